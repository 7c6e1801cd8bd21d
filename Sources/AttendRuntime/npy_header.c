/* The .npy header's dict literal, read strictly and written as numpy does (attend_npy.h). */
#include "attend_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_ALIGNMENT 64
#define NPY_MAGIC_LENGTH 6
#define NPY_GROWTH_AXIS_DIGITS 21 /* numpy leaves room to rewrite the first axis in place */

/* ---- The header: a small strict reader for the dict literal numpy writes ---- */

typedef struct {
    const char *text;
    size_t length, position;
    const char *reason;
} literal;

static int literal_fail(literal *p, const char *reason) {
    if (!p->reason) p->reason = reason;
    return 0;
}

static int peek(literal *p) {
    while (p->position < p->length) {
        char c = p->text[p->position];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->position++;
    }
    return p->position < p->length ? (unsigned char)p->text[p->position] : -1;
}

static int accept(literal *p, char c) {
    if (peek(p) != (unsigned char)c) return 0;
    p->position++;
    return 1;
}

/* A quoted string without escapes, into `out` (`capacity` bytes). */
static int read_string(literal *p, char *out, size_t capacity) {
    int quote = peek(p);
    if (quote != '\'' && quote != '"') return literal_fail(p, "expected a string");
    size_t start = ++p->position;
    while (p->position < p->length && p->text[p->position] != quote) {
        if (p->text[p->position] == '\\' || p->text[p->position] == '\n') return literal_fail(p, "unsupported string");
        p->position++;
    }
    if (p->position >= p->length) return literal_fail(p, "unterminated string");
    size_t n = p->position - start;
    p->position++;
    if (n >= capacity) return literal_fail(p, "string too long");
    memcpy(out, p->text + start, n);
    out[n] = '\0';
    return 1;
}

static int read_word(literal *p, const char *word) {
    size_t n = strlen(word);
    if (peek(p) < 0 || p->length - p->position < n || memcmp(p->text + p->position, word, n) != 0) return 0;
    p->position += n;
    return 1;
}

/* A tuple of non-negative integers: `()`, `(5,)`, `(2, 3)`. */
static int read_tuple(literal *p, int64_t *dims, int *rank) {
    *rank = 0;
    if (!accept(p, '(')) return literal_fail(p, "'shape' must be a tuple of non-negative integers");
    for (;;) {
        if (accept(p, ')')) break;
        int c = peek(p);
        if (c < '0' || c > '9') return literal_fail(p, "'shape' must be a tuple of non-negative integers");
        uint64_t value = 0;
        while (p->position < p->length && p->text[p->position] >= '0' && p->text[p->position] <= '9') {
            uint64_t digit = (uint64_t)(p->text[p->position] - '0');
            if (value > ((uint64_t)INT64_MAX - digit) / 10) return literal_fail(p, "a 'shape' dimension is too large");
            value = value * 10 + digit;
            p->position++;
        }
        if (*rank == NPY_MAX_RANK) return literal_fail(p, "'shape' has more than 64 dimensions");
        dims[(*rank)++] = (int64_t)value;
        if (accept(p, ',')) continue;
        if (accept(p, ')')) {
            if (*rank == 1) return literal_fail(p, "'shape' must be a tuple (a 1-tuple needs a trailing comma)");
            break;
        }
        return literal_fail(p, "expected ',' or ')' in 'shape'");
    }
    return 1;
}

static int read_header(literal *p, npy_header *header) {
    int seen[3] = {0, 0, 0};
    if (!accept(p, '{')) return literal_fail(p, "expected a dict");
    for (;;) {
        if (accept(p, '}')) break;
        char key[32];
        if (!read_string(p, key, sizeof key)) return literal_fail(p, "expected a string key");
        int which = strcmp(key, "descr") == 0 ? 0 : strcmp(key, "fortran_order") == 0 ? 1 : strcmp(key, "shape") == 0 ? 2 : -1;
        if (which < 0) return literal_fail(p, "unexpected key (expected 'descr', 'fortran_order', 'shape')");
        if (seen[which]++) return literal_fail(p, "duplicate key");
        if (!accept(p, ':')) return literal_fail(p, "expected ':' after a key");
        if (which == 0) {
            int c = peek(p);
            header->descr_is_string = c == '\'' || c == '"';
            if (!header->descr_is_string) return 1; /* a structured dtype: reported by the caller */
            if (!read_string(p, header->descr, sizeof header->descr)) return 0;
        } else if (which == 1) {
            if (read_word(p, "True")) header->fortran_order = 1;
            else if (read_word(p, "False")) header->fortran_order = 0;
            else return literal_fail(p, "'fortran_order' must be True or False");
        } else if (!read_tuple(p, header->dims, &header->rank)) {
            return 0;
        }
        if (accept(p, ',')) continue;
        if (accept(p, '}')) break;
        return literal_fail(p, "expected ',' or '}' in the dict");
    }
    if (peek(p) != -1) return literal_fail(p, "unexpected text after the dict");
    if (!seen[0]) return literal_fail(p, "missing key 'descr'");
    if (!seen[1]) return literal_fail(p, "missing key 'fortran_order'");
    if (!seen[2]) return literal_fail(p, "missing key 'shape'");
    return 1;
}

const char *npy_parse_header(const char *text, size_t length, npy_header *header) {
    literal parser = {text, length, 0, NULL};
    memset(header, 0, sizeof *header);
    if (read_header(&parser, header)) return NULL;
    return parser.reason ? parser.reason : "syntax error";
}

int npy_format_header(int rank, const int64_t *shape, char **text, size_t *padded_length, size_t *length_width) {
    /* The dict, then numpy's padding: spaces so that the data starts at a multiple of 64
     * (a full 64 when it already would), and a newline. */
    size_t capacity = 128 + (size_t)rank * 24 + NPY_GROWTH_AXIS_DIGITS + NPY_ALIGNMENT;
    char *header = malloc(capacity);
    if (!header) {
        return 1;
    }
    size_t length = (size_t)snprintf(header, capacity, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int k = 0; k < rank; k++) {
        length += (size_t)snprintf(header + length, capacity - length, k ? ", %lld" : "%lld", (long long)shape[k]);
    }
    length += (size_t)snprintf(header + length, capacity - length, rank == 1 ? ",), }" : "), }");
    if (rank > 0) {
        char first[32];
        int digits = snprintf(first, sizeof first, "%lld", (long long)shape[0]);
        for (int k = digits; k < NPY_GROWTH_AXIS_DIGITS; k++) header[length++] = ' ';
    }
    size_t width = 2;
    size_t padded = length + 1 + (NPY_ALIGNMENT - (NPY_MAGIC_LENGTH + 2 + width + length + 1) % NPY_ALIGNMENT);
    if (padded > 65535) {
        width = 4;
        padded = length + 1 + (NPY_ALIGNMENT - (NPY_MAGIC_LENGTH + 2 + width + length + 1) % NPY_ALIGNMENT);
    }
    memset(header + length, ' ', padded - 1 - length);
    header[padded - 1] = '\n';

    *text = header;
    *padded_length = padded;
    *length_width = width;
    return 0;
}
