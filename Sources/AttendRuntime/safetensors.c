/* Parsing and validating a safetensors header (see attend_safetensors.h). */
#include "attend_safetensors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attend_json.h"

static const struct { const char *name; unsigned bits; } dtypes[] = {
    {"F32", 32}, {"F16", 16}, {"BF16", 16}, {"F64", 64}, /* ST_F32, ST_F16, ST_BF16, ST_F64 */
    {"BOOL", 8}, {"U8", 8}, {"I8", 8}, {"I16", 16}, {"U16", 16}, {"I32", 32}, {"U32", 32},
    {"I64", 64}, {"U64", 64}, {"C64", 64}, {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"F8_E5M2", 8},
    {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
};
#define DTYPE_COUNT ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *st_dtype_name(int dtype) {
    return dtype >= 0 && dtype < DTYPE_COUNT ? dtypes[dtype].name : "?";
}

typedef struct {
    json_parser json;
    attend_message *message;
    int schema_failed;      /* a message was written; otherwise a JSON error is pending */
    uint64_t buffer_size;
    st_tensor *tensors;
    size_t count, capacity;
    int metadata_seen;
} header_parser;

/* Starts a message about `tensor`: `tensor 'NAME': `. */
static void tensor_prefix(header_parser *h, const st_tensor *tensor) {
    attend_message_text(h->message, "tensor '");
    attend_message_name(h->message, tensor->name, tensor->name_length);
    attend_message_text(h->message, "': ");
    h->schema_failed = 1;
}

/* Writes `tensor 'NAME': ` then the formatted reason. Returns 0. */
static int tensor_error(header_parser *h, const st_tensor *tensor, const char *format, ...) ATTEND_PRINTF(3, 4);

static int tensor_error(header_parser *h, const st_tensor *tensor, const char *format, ...) {
    char text[ATTEND_ERROR_SIZE];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    tensor_prefix(h, tensor);
    attend_message_text(h->message, text);
    return 0;
}

/* A value of the wrong kind: a schema error, unless the text simply ended (a JSON error). */
static int kind_error(header_parser *h, const st_tensor *tensor, const char *reason) {
    if (json_peek(&h->json) == -1) return json_fail(&h->json, "unexpected end of input");
    if (!tensor) {
        attend_message_text(h->message, reason);
        h->schema_failed = 1;
        return 0;
    }
    return tensor_error(h, tensor, "%s", reason);
}

/* A non-negative integer element of `what`. */
static int read_integer(header_parser *h, st_tensor *tensor, const char *what, uint64_t *value) {
    int c = json_peek(&h->json);
    if (c != '-' && (c < '0' || c > '9')) {
        return kind_error(h, tensor, what[0] == 's' ? "'shape' must be an array of non-negative integers" : "'data_offsets' must be an array [begin, end]");
    }
    size_t start, length;
    if (!json_number(&h->json, &start, &length)) return 0;
    const char *text = (const char *)h->json.text + start;
    switch (json_integer(text, length, value)) {
    case JSON_INTEGER_OK: return 1;
    case JSON_INTEGER_NEGATIVE: return tensor_error(h, tensor, "invalid %s: %.*s is negative", what, (int)(length < 30 ? length : 30), text);
    case JSON_INTEGER_FRACTIONAL: return tensor_error(h, tensor, "invalid %s: %.*s is not an integer", what, (int)(length < 30 ? length : 30), text);
    case JSON_INTEGER_TOO_LARGE: break;
    }
    return tensor_error(h, tensor, "invalid %s: %.*s is too large", what, (int)(length < 30 ? length : 30), text);
}

static int read_shape(header_parser *h, st_tensor *tensor) {
    if (json_peek(&h->json) != '[') return kind_error(h, tensor, "'shape' must be an array of non-negative integers");
    h->json.position++;
    if (json_empty(&h->json, ']')) return 1;
    int capacity = 0, more;
    do {
        uint64_t dim;
        if (!read_integer(h, tensor, "shape", &dim)) return 0;
        if (tensor->rank == ST_MAX_RANK) {
            return tensor_error(h, tensor, "'shape' has more than %d dimensions (a shape has at most %d)", ST_MAX_RANK, ST_MAX_RANK);
        }
        if (tensor->rank == capacity) {
            capacity = capacity ? capacity * 2 : 4;
            int64_t *grown = realloc(tensor->shape, (size_t)capacity * sizeof *grown);
            if (!grown) return tensor_error(h, tensor, "out of memory");
            tensor->shape = grown;
        }
        tensor->shape[tensor->rank++] = (int64_t)dim;
        more = json_more(&h->json, ']');
    } while (more == 1);
    return more == 0;
}

static int read_offsets(header_parser *h, st_tensor *tensor) {
    if (json_peek(&h->json) != '[') return kind_error(h, tensor, "'data_offsets' must be an array [begin, end]");
    h->json.position++;
    uint64_t bounds[2];
    int count = 0, more;
    if (json_empty(&h->json, ']')) return tensor_error(h, tensor, "'data_offsets' must be an array [begin, end]");
    do {
        if (count == 2) return tensor_error(h, tensor, "'data_offsets' must be an array [begin, end]");
        if (!read_integer(h, tensor, "data_offsets", &bounds[count])) return 0;
        count++;
        more = json_more(&h->json, ']');
    } while (more == 1);
    if (more != 0) return 0;
    if (count != 2) return tensor_error(h, tensor, "'data_offsets' must be an array [begin, end]");
    tensor->begin = bounds[0];
    tensor->end = bounds[1];
    return 1;
}

/* The entry object after a tensor name. */
static int read_entry(header_parser *h, st_tensor *tensor) {
    if (json_peek(&h->json) != '{') return kind_error(h, tensor, "expected an object with 'dtype', 'shape' and 'data_offsets'");
    h->json.position++;
    int seen_dtype = 0, seen_shape = 0, seen_offsets = 0;
    if (!json_empty(&h->json, '}')) {
        int more;
        do {
            if (!json_string(&h->json) || !json_expect(&h->json, ':', "expected ':' after a key")) return 0;
            const char *key = h->json.string;
            size_t key_length = h->json.string_length;
            int *seen = NULL;
            if (key_length == 5 && memcmp(key, "dtype", 5) == 0) seen = &seen_dtype;
            else if (key_length == 5 && memcmp(key, "shape", 5) == 0) seen = &seen_shape;
            else if (key_length == 12 && memcmp(key, "data_offsets", 12) == 0) seen = &seen_offsets;
            if (!seen) {
                if (!json_skip(&h->json, 2)) return 0;
            } else {
                if (*seen) return tensor_error(h, tensor, "duplicate key '%s'", seen == &seen_offsets ? "data_offsets" : key);
                *seen = 1;
                if (seen == &seen_dtype) {
                    if (json_peek(&h->json) != '"') return kind_error(h, tensor, "'dtype' must be a string");
                    if (!json_string(&h->json)) return 0;
                    tensor->dtype = -1;
                    for (int k = 0; k < DTYPE_COUNT; k++) {
                        if (strlen(dtypes[k].name) == h->json.string_length && strcmp(dtypes[k].name, h->json.string) == 0) tensor->dtype = k;
                    }
                    if (tensor->dtype < 0) {
                        tensor_prefix(h, tensor);
                        attend_message_text(h->message, "unknown dtype '");
                        attend_message_name(h->message, h->json.string, h->json.string_length);
                        attend_message_text(h->message, "'");
                        return 0;
                    }
                } else if (seen == &seen_shape) {
                    if (!read_shape(h, tensor)) return 0;
                } else if (!read_offsets(h, tensor)) {
                    return 0;
                }
            }
            more = json_more(&h->json, '}');
        } while (more == 1);
        if (more != 0) return 0;
    }
    if (!seen_dtype) return tensor_error(h, tensor, "missing 'dtype'");
    if (!seen_shape) return tensor_error(h, tensor, "missing 'shape'");
    if (!seen_offsets) return tensor_error(h, tensor, "missing 'data_offsets'");

    unsigned long long begin = tensor->begin, end = tensor->end;
    if (begin > end) return tensor_error(h, tensor, "data_offsets [%llu, %llu] begin after they end", begin, end);
    if (end > h->buffer_size) {
        return tensor_error(h, tensor, "data_offsets [%llu, %llu] are out of range (the data buffer has %llu bytes)", begin, end,
                            (unsigned long long)h->buffer_size);
    }
    uint64_t count = 1;
    for (int k = 0; k < tensor->rank; k++) {
        uint64_t dim = (uint64_t)tensor->shape[k];
        if (dim != 0 && count > (uint64_t)INT64_MAX / dim) {
            tensor_prefix(h, tensor);
            attend_message_text(h->message, "shape ");
            attend_message_shape(h->message, tensor->rank, tensor->shape);
            attend_message_text(h->message, " is too large (the element count overflows)");
            return 0;
        }
        count *= dim;
    }
    const char *dtype = dtypes[tensor->dtype].name;
    unsigned bits = dtypes[tensor->dtype].bits;
    if (count > UINT64_MAX / bits || count * bits % 8 != 0 || count * bits / 8 != end - begin) {
        tensor_prefix(h, tensor);
        attend_message_text(h->message, "shape ");
        attend_message_shape(h->message, tensor->rank, tensor->shape);
        if (count > UINT64_MAX / bits) {
            attend_message_format(h->message, " of %s is too large (the byte size overflows)", dtype);
        } else if (count * bits % 8 != 0) {
            attend_message_format(h->message, " of %s (%llu elements) does not fill a whole number of bytes", dtype, (unsigned long long)count);
        } else {
            attend_message_format(h->message, " of %s needs %llu bytes but data_offsets [%llu, %llu] span %llu", dtype,
                                  (unsigned long long)(count * bits / 8), begin, end, end - begin);
        }
        return 0;
    }
    tensor->count = count;
    return 1;
}

/* `__metadata__`: an object of strings, checked and dropped. */
static int read_metadata(header_parser *h) {
    if (h->metadata_seen) {
        attend_message_text(h->message, "duplicate '__metadata__' in the header");
        h->schema_failed = 1;
        return 0;
    }
    h->metadata_seen = 1;
    if (json_peek(&h->json) != '{') return kind_error(h, NULL, "'__metadata__' must be an object of strings");
    h->json.position++;
    if (json_empty(&h->json, '}')) return 1;
    int more;
    do {
        if (!json_string(&h->json) || !json_expect(&h->json, ':', "expected ':' after a key")) return 0;
        if (json_peek(&h->json) == -1) return json_fail(&h->json, "unexpected end of input");
        if (json_peek(&h->json) != '"') {
            attend_message_text(h->message, "'__metadata__' value for '");
            attend_message_name(h->message, h->json.string, h->json.string_length);
            attend_message_text(h->message, "' must be a string");
            h->schema_failed = 1;
            return 0;
        }
        if (!json_string(&h->json)) return 0;
        more = json_more(&h->json, '}');
    } while (more == 1);
    return more == 0;
}

/* The top-level object: names to entries. */
static int read_header(header_parser *h) {
    if (!json_expect(&h->json, '{', "the header must be a JSON object")) return 0;
    if (!json_empty(&h->json, '}')) {
        int more;
        do {
            if (!json_string(&h->json) || !json_expect(&h->json, ':', "expected ':' after a key")) return 0;
            if (h->json.string_length == 12 && memcmp(h->json.string, "__metadata__", 12) == 0) {
                if (!read_metadata(h)) return 0;
            } else {
                if (h->count == h->capacity) {
                    size_t capacity = h->capacity ? h->capacity * 2 : 16;
                    st_tensor *grown = capacity <= SIZE_MAX / sizeof *grown ? realloc(h->tensors, capacity * sizeof *grown) : NULL;
                    if (!grown) {
                        attend_message_text(h->message, "out of memory reading the header");
                        h->schema_failed = 1;
                        return 0;
                    }
                    h->tensors = grown;
                    h->capacity = capacity;
                }
                st_tensor *tensor = &h->tensors[h->count];
                memset(tensor, 0, sizeof *tensor);
                tensor->name = malloc(h->json.string_length + 1);
                if (!tensor->name) {
                    attend_message_text(h->message, "out of memory reading the header");
                    h->schema_failed = 1;
                    return 0;
                }
                memcpy(tensor->name, h->json.string, h->json.string_length + 1);
                tensor->name_length = h->json.string_length;
                h->count++;
                if (!read_entry(h, tensor)) return 0;
            }
            more = json_more(&h->json, '}');
        } while (more == 1);
        if (more != 0) return 0;
    }
    return json_at_end(&h->json);
}

static int compare_names(const void *a, const void *b) {
    const st_tensor *x = a, *y = b;
    size_t n = x->name_length < y->name_length ? x->name_length : y->name_length;
    int order = memcmp(x->name, y->name, n);
    if (order) return order;
    return (x->name_length > y->name_length) - (x->name_length < y->name_length);
}

static int compare_ranges(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* The ranges, sorted by offset, must each begin where the previous one ended. */
static int check_tiling(st_tensor *tensors, size_t count, uint64_t buffer_size, attend_message *message) {
    const st_tensor **order = malloc((count ? count : 1) * sizeof *order);
    if (!order) {
        attend_message_text(message, "out of memory checking the header");
        return 1;
    }
    for (size_t k = 0; k < count; k++) order[k] = &tensors[k];
    qsort(order, count, sizeof *order, compare_ranges);
    uint64_t end = 0;
    const st_tensor *previous = NULL;
    int failed = 0;
    for (size_t k = 0; k < count && !failed; k++) {
        const st_tensor *tensor = order[k];
        if (tensor->begin != end) {
            attend_message_text(message, "tensor '");
            attend_message_name(message, tensor->name, tensor->name_length);
            attend_message_format(message, "': data_offsets [%llu, %llu] ", (unsigned long long)tensor->begin, (unsigned long long)tensor->end);
            if (tensor->begin < end && previous) {
                attend_message_text(message, "overlap tensor '");
                attend_message_name(message, previous->name, previous->name_length);
                attend_message_format(message, "' (which ends at %llu)", (unsigned long long)end);
            } else {
                attend_message_format(message, "leave a gap: bytes [%llu, %llu) of the data buffer belong to no tensor",
                                      (unsigned long long)end, (unsigned long long)tensor->begin);
            }
            failed = 1;
        }
        end = tensor->end;
        if (tensor->end > tensor->begin) previous = tensor;
    }
    if (!failed && end != buffer_size) {
        attend_message_format(message, "the data buffer has %llu trailing bytes after the last tensor (the tensors cover %llu of %llu)",
                              (unsigned long long)(buffer_size - end), (unsigned long long)end, (unsigned long long)buffer_size);
        failed = 1;
    }
    free(order);
    return failed;
}

int st_parse(const unsigned char *header, size_t length, uint64_t buffer_size, st_table *table, attend_message *message) {
    table->tensors = NULL;
    table->count = 0;
    header_parser h;
    memset(&h, 0, sizeof h);
    json_begin(&h.json, header, length);
    h.message = message;
    h.buffer_size = buffer_size;
    int ok = read_header(&h);
    if (!ok && !h.schema_failed) {
        attend_message_format(message, "safetensors header is not valid JSON: %s at header byte %zu",
                              h.json.reason ? h.json.reason : "syntax error", h.json.error_position);
    }
    json_end(&h.json);
    table->tensors = h.tensors;
    table->count = h.count;
    if (!ok) {
        st_free(table);
        return 1;
    }
    if (table->count > 1) qsort(table->tensors, table->count, sizeof *table->tensors, compare_names);
    for (size_t k = 1; k < table->count; k++) {
        if (compare_names(&table->tensors[k - 1], &table->tensors[k]) == 0) {
            attend_message_text(message, "duplicate tensor name '");
            attend_message_name(message, table->tensors[k].name, table->tensors[k].name_length);
            attend_message_text(message, "' in the header");
            st_free(table);
            return 1;
        }
    }
    if (check_tiling(table->tensors, table->count, buffer_size, message)) {
        st_free(table);
        return 1;
    }
    return 0;
}

st_tensor *st_find(const st_table *table, const char *name, size_t length) {
    st_tensor key;
    memset(&key, 0, sizeof key);
    key.name = (char *)(uintptr_t)name; /* only read */
    key.name_length = length;
    if (table->count == 0) return NULL;
    return bsearch(&key, table->tensors, table->count, sizeof *table->tensors, compare_names);
}

void st_free(st_table *table) {
    for (size_t k = 0; k < table->count; k++) {
        free(table->tensors[k].name);
        free(table->tensors[k].shape);
        free(table->tensors[k].converted);
    }
    free(table->tensors);
    table->tensors = NULL;
    table->count = 0;
}
