/*
 * Private to the runtime: the .npy header, a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, read and written.
 */
#ifndef ATTEND_NPY_H
#define ATTEND_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_RANK 64

typedef struct {
    char descr[32];
    int descr_is_string;   /* 0: a structured dtype (a list), which no caller supports */
    int fortran_order;
    int64_t dims[NPY_MAX_RANK];
    int rank;
} npy_header;

/* Parses the dict (with its padding) strictly: the three keys once each, nothing else.
 * Returns NULL, or the reason it is malformed. */
const char *npy_parse_header(const char *text, size_t length, npy_header *header);

/* The header numpy.save writes for a float32 C-order array of this shape, padded so the
 * data starts at a multiple of 64 bytes: `*text` (malloc'd, `*length` bytes including the
 * newline) and `*width`, the size of the length field (2 for version 1.0, 4 for 2.0).
 * Returns nonzero when out of memory. `rank` is at most NPY_MAX_RANK. */
int npy_format_header(int rank, const int64_t *shape, char **text, size_t *length, size_t *width);

#endif
