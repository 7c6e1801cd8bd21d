/*
 * Weights: a safetensors file mapped read-only, its header validated as untrusted input
 * (attend_safetensors.h), tensors handed out as float32 with strict shape checks.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attend_file.h"
#include "attend_message.h"
#include "attend_runtime.h"
#include "attend_safetensors.h"

/* The reference implementation's limit on the header length. */
#define MAX_HEADER_LENGTH 100000000ull

struct attend_weights {
    const unsigned char *map;
    size_t map_size;
    size_t data_start;   /* 8 + header length */
    st_table table;
};

static int little_endian_host(void) {
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* IEEE 754 binary16 to binary32, exactly (subnormals, infinities, NaN payloads, -0). */
static float float_from_half(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (uint32_t)(half >> 10) & 0x1Fu;
    uint32_t mantissa = half & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {
        float magnitude = (float)mantissa * 0x1p-24f; /* exact: at most 10 significant bits */
        memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | mantissa << 13;
    } else {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    }
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

/* bfloat16 is the top half of a float32. */
static float float_from_bfloat16(uint16_t raw) {
    uint32_t bits = (uint32_t)raw << 16;
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

/* Starts a message `PATH: ` about the weights file. */
static attend_message *about(attend_message *message, char *error, const char *path) {
    attend_message_begin(message, error);
    attend_message_text(message, path);
    attend_message_text(message, ": ");
    return message;
}

attend_weights *attend_weights_open(const char *path, char *error) {
    attend_message message;
    if (!path) {
        attend_fail(error, "no weights file given");
        return NULL;
    }
    int fd = attend_open_regular(path, "the weights file ", about(&message, error, path));
    if (fd < 0) return NULL;
    struct stat status;
    if (fstat(fd, &status) != 0) {
        attend_message_format(about(&message, error, path), "cannot read the weights file (%s)", strerror(errno));
        close(fd);
        return NULL;
    }
    unsigned long long size = (unsigned long long)status.st_size;
    if (size < 8 || size > (unsigned long long)SIZE_MAX) {
        if (size < 8) attend_message_format(about(&message, error, path), "not a safetensors file: %llu bytes is too short for the 8-byte header length", size);
        else attend_message_format(about(&message, error, path), "the weights file is too large to map (%llu bytes)", size);
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        attend_message_format(about(&message, error, path), "cannot map the weights file (%s)", strerror(map_errno));
        return NULL;
    }
    const unsigned char *bytes = map;
    unsigned long long header_length = 0;
    for (int k = 7; k >= 0; k--) header_length = header_length << 8 | bytes[k];
    int bad_header = 1;
    if (header_length > MAX_HEADER_LENGTH) {
        attend_message_format(about(&message, error, path), "safetensors header length %llu exceeds the limit of %llu bytes", header_length, MAX_HEADER_LENGTH);
    } else if (header_length > size - 8) {
        attend_message_format(about(&message, error, path), "safetensors header length %llu is larger than the file (%llu bytes after the length)",
                              header_length, size - 8);
    } else if (header_length == 0 || bytes[8] != '{') {
        attend_message_text(about(&message, error, path), "safetensors header is not a JSON object (it must start with '{')");
    } else {
        bad_header = 0;
    }
    attend_weights *weights = bad_header ? NULL : calloc(1, sizeof *weights);
    if (!bad_header && !weights) attend_message_text(about(&message, error, path), "out of memory");
    if (weights) {
        weights->map = bytes;
        weights->map_size = (size_t)size;
        weights->data_start = 8 + (size_t)header_length;
        if (st_parse(bytes + 8, (size_t)header_length, size - weights->data_start, &weights->table, about(&message, error, path)) != 0) {
            free(weights);
            weights = NULL;
        }
    }
    if (!weights) {
        munmap(map, (size_t)size);
        return NULL;
    }
    if (error) error[0] = '\0';
    return weights;
}

/* The float32 copy of `tensor`, converted from the mapping. */
static float *convert(const attend_weights *weights, const st_tensor *tensor) {
    uint64_t count = tensor->count;
    if (count > SIZE_MAX / sizeof(float)) return NULL;
    float *out = malloc(count ? (size_t)count * sizeof(float) : sizeof(float));
    if (!out) return NULL;
    const unsigned char *source = weights->map + weights->data_start + tensor->begin;
    for (uint64_t i = 0; i < count; i++) {
        if (tensor->dtype == ST_F32) {
            const unsigned char *p = source + 4 * i;
            uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&out[i], &bits, 4);
        } else if (tensor->dtype == ST_F64) {
            /* Rounded to nearest, as the Swift reader (and PyTorch's .float()) rounds. */
            const unsigned char *p = source + 8 * i;
            uint64_t bits = 0;
            for (int k = 7; k >= 0; k--) bits = bits << 8 | p[k];
            double value;
            memcpy(&value, &bits, 8);
            out[i] = (float)value;
        } else {
            const unsigned char *p = source + 2 * i;
            uint16_t bits = (uint16_t)(p[0] | p[1] << 8);
            out[i] = tensor->dtype == ST_F16 ? float_from_half(bits) : float_from_bfloat16(bits);
        }
    }
    return out;
}

int attend_weights_get(attend_weights *weights, const char *name, int rank, const int64_t *shape, const float **data, char *error) {
    attend_message message;
    attend_message_begin(&message, error);
    if (!weights || !name || !data || rank < 0 || (rank > 0 && !shape)) {
        attend_message_text(&message, "attend_weights_get: invalid arguments");
        return 1;
    }
    *data = NULL;
    st_tensor *tensor = st_find(&weights->table, name, strlen(name));
    if (!tensor) {
        attend_message_text(&message, "missing key: ");
        attend_message_text(&message, name);
        return 1;
    }
    int same = tensor->rank == rank;
    for (int k = 0; same && k < rank; k++) same = tensor->shape[k] == shape[k];
    if (!same) {
        attend_message_text(&message, "size mismatch for ");
        attend_message_text(&message, name);
        attend_message_text(&message, ": checkpoint has ");
        attend_message_shape(&message, tensor->rank, tensor->shape);
        attend_message_text(&message, ", model needs ");
        attend_message_shape(&message, rank, shape);
        return 1;
    }
    if (tensor->dtype != ST_F32 && tensor->dtype != ST_F16 && tensor->dtype != ST_BF16 && tensor->dtype != ST_F64) {
        attend_message_text(&message, "unsupported dtype for ");
        attend_message_text(&message, name);
        attend_message_format(&message, ": checkpoint has %s, expected F32, F16, BF16 or F64", st_dtype_name(tensor->dtype));
        return 1;
    }
    const unsigned char *source = weights->map + weights->data_start + tensor->begin;
    if (tensor->dtype == ST_F32 && little_endian_host() && (uintptr_t)source % sizeof(float) == 0) {
        *data = (const float *)(const void *)source;
        return 0;
    }
    if (!tensor->converted) {
        tensor->converted = convert(weights, tensor);
        if (!tensor->converted) {
            attend_message_format(&message, "out of memory converting %s (%llu elements)", name, (unsigned long long)tensor->count);
            return 1;
        }
    }
    *data = tensor->converted;
    return 0;
}

int attend_weights_check_unexpected(const attend_weights *weights, const char *const *known, int known_count,
                                    const char *const *ignored, int ignored_count, char *error) {
    attend_message message;
    attend_message_begin(&message, error);
    if (!weights || known_count < 0 || ignored_count < 0 || (known_count > 0 && !known) || (ignored_count > 0 && !ignored)) {
        attend_message_text(&message, "attend_weights_check_unexpected: invalid arguments");
        return 1;
    }
    size_t count = weights->table.count;
    unsigned char *expected = calloc(count ? count : 1, 1);
    if (!expected) {
        attend_message_text(&message, "out of memory checking for unexpected keys");
        return 1;
    }
    for (int list = 0; list < 2; list++) {
        const char *const *names = list == 0 ? known : ignored;
        int n = list == 0 ? known_count : ignored_count;
        for (int k = 0; k < n; k++) {
            if (!names[k]) continue;
            st_tensor *tensor = st_find(&weights->table, names[k], strlen(names[k]));
            if (tensor) expected[tensor - weights->table.tensors] = 1;
        }
    }
    size_t unexpected = 0;
    for (size_t k = 0; k < count; k++) unexpected += !expected[k];
    if (unexpected > 0) {
        attend_message_text(&message, unexpected == 1 ? "unexpected key: " : "unexpected keys: ");
        size_t listed = 0;
        for (size_t k = 0; k < count; k++) {
            if (expected[k]) continue;
            if (listed++) attend_message_text(&message, ", ");
            attend_message_name(&message, weights->table.tensors[k].name, weights->table.tensors[k].name_length);
        }
    }
    free(expected);
    return unexpected > 0;
}

/* Names one list in a message shows before "and N more" (the Swift `Limits.namesInMessage`). */
#define LISTED_NAMES 10

/* Appends ", " between items and stops listing after LISTED_NAMES; returns whether to show. */
static int list_item(attend_message *message, size_t *shown, size_t *hidden) {
    if (*shown == LISTED_NAMES) { (*hidden)++; return 0; }
    if ((*shown)++) attend_message_text(message, ", ");
    return 1;
}

static void list_end(attend_message *message, size_t hidden) {
    if (hidden) attend_message_format(message, " and %zu more", hidden);
}

int attend_weights_check(const attend_weights *weights, const char *model, const char *const *names, const int *ranks,
                         const int64_t *const *shapes, int count, const char *const *ignored, int ignored_count, char *error) {
    attend_message message;
    attend_message_begin(&message, error);
    if (!weights || count < 0 || ignored_count < 0 || (count > 0 && (!names || !ranks || !shapes)) || (ignored_count > 0 && !ignored)) {
        attend_message_text(&message, "attend_weights_check: invalid arguments");
        return 1;
    }
    size_t tensors = weights->table.count;
    unsigned char *expected = calloc(tensors ? tensors : 1, 1);
    st_tensor **found = calloc(count > 0 ? (size_t)count : 1, sizeof *found);
    if (!expected || !found) {
        free(expected);
        free(found);
        attend_message_text(&message, "out of memory checking the weights");
        return 1;
    }
    size_t missing = 0, unexpected = 0, mismatched = 0;
    for (int k = 0; k < count; k++) {
        found[k] = names[k] ? st_find(&weights->table, names[k], strlen(names[k])) : NULL;
        if (!found[k]) { missing++; continue; }
        expected[found[k] - weights->table.tensors] = 1;
        int same = found[k]->rank == ranks[k];
        for (int d = 0; same && d < ranks[k]; d++) same = found[k]->shape[d] == shapes[k][d];
        mismatched += !same;
    }
    for (int k = 0; k < ignored_count; k++) {
        st_tensor *tensor = ignored[k] ? st_find(&weights->table, ignored[k], strlen(ignored[k])) : NULL;
        if (tensor) expected[tensor - weights->table.tensors] = 1;
    }
    for (size_t k = 0; k < tensors; k++) unexpected += !expected[k];
    if (missing || unexpected || mismatched) {
        attend_message_text(&message, "weights do not match model '");
        attend_message_name(&message, model ? model : "", model ? strlen(model) : 0);
        attend_message_text(&message, "': ");
        const char *separator = "";
        size_t shown = 0, hidden = 0;
        if (missing) {
            attend_message_text(&message, missing == 1 ? "missing key: " : "missing keys: ");
            for (int k = 0; k < count; k++) {
                if (!found[k] && list_item(&message, &shown, &hidden)) attend_message_name(&message, names[k] ? names[k] : "", names[k] ? strlen(names[k]) : 0);
            }
            list_end(&message, hidden);
            separator = "; ";
        }
        if (unexpected) {
            attend_message_text(&message, separator);
            attend_message_text(&message, unexpected == 1 ? "unexpected key: " : "unexpected keys: ");
            shown = hidden = 0;
            for (size_t k = 0; k < tensors; k++) {
                if (!expected[k] && list_item(&message, &shown, &hidden)) {
                    attend_message_name(&message, weights->table.tensors[k].name, weights->table.tensors[k].name_length);
                }
            }
            list_end(&message, hidden);
            separator = "; ";
        }
        if (mismatched) {
            attend_message_text(&message, separator);
            attend_message_text(&message, "size mismatch for ");
            shown = hidden = 0;
            for (int k = 0; k < count; k++) {
                if (!found[k]) continue;
                int same = found[k]->rank == ranks[k];
                for (int d = 0; same && d < ranks[k]; d++) same = found[k]->shape[d] == shapes[k][d];
                if (same) continue;
                if (shown == LISTED_NAMES) { hidden++; continue; }
                if (shown++) attend_message_text(&message, "; ");
                attend_message_name(&message, names[k], strlen(names[k]));
                attend_message_text(&message, ": checkpoint has ");
                attend_message_shape(&message, found[k]->rank, found[k]->shape);
                attend_message_text(&message, ", model needs ");
                attend_message_shape(&message, ranks[k], shapes[k]);
            }
            if (hidden) attend_message_format(&message, "; and %zu more", hidden);
        }
    }
    free(expected);
    free(found);
    return missing || unexpected || mismatched;
}

void attend_weights_close(attend_weights *weights) {
    if (!weights) return;
    st_free(&weights->table);
    munmap((void *)(uintptr_t)weights->map, weights->map_size);
    free(weights);
}
