/*
 * Private to the runtime: the table of tensors a safetensors header describes, validated
 * as untrusted input (the checks the reference implementation makes, and the Swift reader
 * in AttendBasic makes):
 *   - the header is one strict JSON object (attend_json.h); `__metadata__` is an object of
 *     strings and is otherwise ignored; unknown keys inside an entry are skipped;
 *   - every entry has `dtype` (a known safetensors dtype), `shape` (non-negative integers
 *     whose product does not overflow) and `data_offsets` [begin, end] with
 *     begin <= end <= buffer size and end - begin == the dtype's size times the count;
 *   - the ranges tile the data buffer exactly (no overlaps, no gaps, no trailing bytes);
 *   - names are unique.
 */
#ifndef ATTEND_SAFETENSORS_H
#define ATTEND_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "attend_message.h"

enum { ST_F32, ST_F16, ST_BF16, ST_F64 }; /* the dtypes that load as float32 (as the Swift reader loads them): the first in the table */

/* Dimensions of one tensor: NumPy's maximum, as the Swift reader's `Limits.fileRank`. */
#define ST_MAX_RANK 64

typedef struct {
    char *name;            /* NUL-terminated; may also contain NULs (from \u0000) */
    size_t name_length;
    int dtype;             /* index into the dtype table */
    int rank;
    int64_t *shape;
    uint64_t count;        /* elements */
    uint64_t begin, end;   /* byte range within the data buffer */
    float *converted;      /* float32 copy made on first use, or NULL */
} st_tensor;

typedef struct {
    st_tensor *tensors;    /* sorted by name (bytewise) */
    size_t count;
} st_table;

/* Parses and validates `header` (`length` bytes) for a data buffer of `buffer_size` bytes.
 * On failure returns nonzero and appends the reason to `message`. */
int st_parse(const unsigned char *header, size_t length, uint64_t buffer_size, st_table *table, attend_message *message);
void st_free(st_table *table);

/* The tensor named exactly `name` (`length` bytes), or NULL. */
st_tensor *st_find(const st_table *table, const char *name, size_t length);
const char *st_dtype_name(int dtype);

#endif
