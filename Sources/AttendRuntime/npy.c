/*
 * NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * `\x93NUMPY`, a version, a little-endian header length, a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a
 * newline, then the raw data. Reading accepts versions 1.0, 2.0 and 3.0 and C-order
 * '<f4' (or '<f8', rounded to float32) of exactly the expected shape; writing produces the
 * bytes numpy.save does for a C-contiguous float32 array. Errors name the file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attend_file.h"
#include "attend_message.h"
#include "attend_npy.h"
#include "attend_runtime.h"

#define NPY_MAX_HEADER (1u << 20) /* refuse, rather than parse, longer headers */

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int little_endian_host(void) {
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Starts a message `PATH: `. */
static attend_message *about(attend_message *message, char *error, const char *path) {
    attend_message_begin(message, error);
    attend_message_text(message, path);
    attend_message_text(message, ": ");
    return message;
}

/* Element count of a caller's shape; 0 (with a message) when invalid. */
static int count_elements(int rank, const int64_t *shape, uint64_t *count, attend_message *message) {
    *count = 1;
    if (rank < 0 || rank > NPY_MAX_RANK || (rank > 0 && !shape)) {
        attend_message_format(message, "invalid shape of rank %d", rank);
        return 0;
    }
    for (int k = 0; k < rank; k++) {
        if (shape[k] < 0 || (shape[k] > 0 && *count > SIZE_MAX / sizeof(double) / (uint64_t)shape[k])) {
            attend_message_text(message, "invalid or too large shape ");
            attend_message_shape(message, rank, shape);
            return 0;
        }
        *count *= (uint64_t)shape[k];
    }
    return 1;
}

/* ---- Reading ---- */

/* Reads the data: `count` elements of `width` bytes (4 or 8) into `data`. */
static int read_data(FILE *file, uint64_t count, int width, float *data, uint64_t *got_bytes) {
    *got_bytes = 0;
    if (width == 4) {
        size_t got = count ? fread(data, 1, (size_t)count * 4, file) : 0;
        *got_bytes = got;
        if (got != count * 4) return 0;
        if (!little_endian_host()) {
            for (uint64_t i = 0; i < count; i++) {
                unsigned char b[4];
                memcpy(b, &data[i], 4);
                uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
                memcpy(&data[i], &bits, 4);
            }
        }
        return 1;
    }
    unsigned char chunk[8 * 1024];
    for (uint64_t done = 0; done < count;) {
        size_t want = count - done < 1024 ? (size_t)(count - done) : 1024;
        size_t got = fread(chunk, 1, want * 8, file);
        *got_bytes += got;
        for (size_t i = 0; i < got / 8; i++) {
            uint64_t bits = 0;
            for (int k = 7; k >= 0; k--) bits = bits << 8 | chunk[8 * i + (size_t)k];
            double value;
            memcpy(&value, &bits, 8);
            data[done + i] = (float)value;
        }
        if (got != want * 8) return 0;
        done += want;
    }
    return 1;
}

int attend_npy_read(const char *path, int rank, const int64_t *shape, float *data, char *error) {
    attend_message message;
    if (!path) return attend_fail(error, "no .npy path given");
    uint64_t count;
    if (!count_elements(rank, shape, &count, about(&message, error, path))) return 1;
    if (count > 0 && !data) return attend_fail(error, "attend_npy_read: no data buffer");
    int fd = attend_open_regular(path, "", about(&message, error, path));
    if (fd < 0) return 1;
    FILE *file = fdopen(fd, "rb");
    if (!file) {
        attend_message_format(about(&message, error, path), "cannot open (%s)", strerror(errno));
        close(fd);
        return 1;
    }
    int failed = 1;
    char *text = NULL;
    unsigned char prefix[12];
    size_t got = fread(prefix, 1, 8, file);
    if (ferror(file)) {
        attend_message_format(about(&message, error, path), "cannot read (%s)", strerror(errno));
        goto done;
    }
    if (got < 8 || memcmp(prefix, npy_magic, 6) != 0) {
        if (got > 0 && (got >= 6 ? memcmp(prefix, npy_magic, 6) == 0 : memcmp(prefix, npy_magic, got) == 0)) {
            attend_message_format(about(&message, error, path), "truncated NPY file: %zu bytes, too short for a header", got);
        } else {
            attend_message_text(about(&message, error, path), "not an NPY file (bad magic: expected '\\x93NUMPY')");
        }
        goto done;
    }
    int major = prefix[6], minor = prefix[7];
    size_t width = major == 1 && minor == 0 ? 2 : (major == 2 || major == 3) && minor == 0 ? 4 : 0;
    if (width == 0) {
        attend_message_format(about(&message, error, path), "unsupported NPY format version %d.%d (expected 1.0, 2.0 or 3.0)", major, minor);
        goto done;
    }
    if (fread(prefix + 8, 1, width, file) != width) {
        attend_message_text(about(&message, error, path), "truncated NPY file: too short for a header");
        goto done;
    }
    uint32_t length = prefix[8] | (uint32_t)prefix[9] << 8;
    if (width == 4) length |= (uint32_t)prefix[10] << 16 | (uint32_t)prefix[11] << 24;
    if (length > NPY_MAX_HEADER) {
        attend_message_format(about(&message, error, path), "NPY header length %lu is too large (limit %u bytes)", (unsigned long)length, NPY_MAX_HEADER);
        goto done;
    }
    text = malloc(length ? length : 1);
    if (!text) {
        attend_message_text(about(&message, error, path), "out of memory reading the header");
        goto done;
    }
    size_t header_got = fread(text, 1, length, file);
    if (header_got != length) {
        attend_message_format(about(&message, error, path), "truncated NPY header: it claims %lu bytes but the file has only %zu after the length",
                              (unsigned long)length, header_got);
        goto done;
    }
    npy_header header;
    memset(&header, 0, sizeof header);
    const char *reason = npy_parse_header(text, length, &header);
    if (reason) {
        attend_message_format(about(&message, error, path), "malformed NPY header (%s)", reason);
        goto done;
    }
    int element_width = 0;
    if (!header.descr_is_string) {
        attend_message_text(about(&message, error, path), "unsupported dtype: structured arrays are not supported (expected float32 '<f4')");
        goto done;
    }
    if (strcmp(header.descr, "<f4") == 0) element_width = 4;
    else if (strcmp(header.descr, "<f8") == 0) element_width = 8;
    else {
        int big = strcmp(header.descr, ">f4") == 0 || strcmp(header.descr, ">f8") == 0;
        attend_message_format(about(&message, error, path), "unsupported dtype '%s'%s (expected float32 '<f4')", header.descr,
                              big ? ": big-endian data is not supported" : "");
        goto done;
    }
    if (header.fortran_order) {
        attend_message_text(about(&message, error, path), "Fortran-order arrays are not supported (save a C-order array, e.g. numpy.ascontiguousarray)");
        goto done;
    }
    int same = header.rank == rank;
    for (int k = 0; same && k < rank; k++) same = header.dims[k] == shape[k];
    if (!same) {
        about(&message, error, path);
        attend_message_text(&message, "array has shape ");
        attend_message_shape(&message, header.rank, header.dims);
        attend_message_text(&message, ", expected ");
        attend_message_shape(&message, rank, shape);
        goto done;
    }
    uint64_t got_bytes;
    if (!read_data(file, count, element_width, data, &got_bytes)) {
        about(&message, error, path);
        if (ferror(file)) {
            attend_message_format(&message, "cannot read (%s)", strerror(errno));
        } else {
            attend_message_text(&message, "truncated NPY data: shape ");
            attend_message_shape(&message, rank, shape);
            attend_message_format(&message, " of '%s' needs %llu bytes, the file has %llu", header.descr,
                                  (unsigned long long)(count * (uint64_t)element_width), (unsigned long long)got_bytes);
        }
        goto done;
    }
    if (fgetc(file) != EOF) {
        about(&message, error, path);
        attend_message_text(&message, "NPY data size does not match the header: shape ");
        attend_message_shape(&message, rank, shape);
        attend_message_format(&message, " of '%s' needs %llu bytes, the file has more", header.descr, (unsigned long long)(count * (uint64_t)element_width));
        goto done;
    }
    failed = 0;
    if (error) error[0] = '\0';
done:
    free(text);
    fclose(file);
    return failed;
}

/* ---- Writing ---- */

int attend_npy_write(const char *path, int rank, const int64_t *shape, const float *data, char *error) {
    attend_message message;
    if (!path) return attend_fail(error, "no .npy path given");
    uint64_t count;
    if (!count_elements(rank, shape, &count, about(&message, error, path))) return 1;
    if (count > 0 && !data) return attend_fail(error, "attend_npy_write: no data");

    char *header = NULL;
    size_t padded = 0, width = 0;
    if (npy_format_header(rank, shape, &header, &padded, &width) != 0) {
        attend_message_text(about(&message, error, path), "out of memory");
        return 1;
    }
    unsigned char prefix[12];
    memcpy(prefix, npy_magic, sizeof npy_magic);
    prefix[6] = width == 2 ? 1 : 2;
    prefix[7] = 0;
    for (size_t k = 0; k < width; k++) prefix[8 + k] = (unsigned char)(padded >> (8 * k));

    FILE *file = fopen(path, "wb");
    if (!file) {
        free(header);
        attend_message_format(about(&message, error, path), "cannot create (%s)", strerror(errno));
        return 1;
    }
    int ok = fwrite(prefix, 1, 8 + width, file) == 8 + width && fwrite(header, 1, padded, file) == padded;
    if (ok && little_endian_host()) {
        ok = count == 0 || fwrite(data, sizeof(float), (size_t)count, file) == count;
    } else if (ok) {
        for (uint64_t i = 0; ok && i < count; i++) {
            uint32_t bits;
            memcpy(&bits, &data[i], 4);
            unsigned char b[4] = {(unsigned char)bits, (unsigned char)(bits >> 8), (unsigned char)(bits >> 16), (unsigned char)(bits >> 24)};
            ok = fwrite(b, 1, 4, file) == 4;
        }
    }
    int write_errno = errno;
    if (fclose(file) != 0 && ok) {
        ok = 0;
        write_errno = errno;
    }
    free(header);
    if (!ok) {
        attend_message_format(about(&message, error, path), "cannot write (%s)", strerror(write_errno));
        return 1;
    }
    if (error) error[0] = '\0';
    return 0;
}
