/* The intermediates arena: one zero-filled, 64-byte aligned allocation. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attend_message.h"
#include "attend_runtime.h"

#define ARENA_ALIGNMENT 64

float *attend_arena_create(size_t floats, char *error) {
    if (floats > SIZE_MAX / sizeof(float)) {
        attend_fail(error, "arena of %zu floats is too large (the byte count overflows)", floats);
        return NULL;
    }
    size_t bytes = floats * sizeof(float);
    /* Round up to the alignment (so aligned_alloc's rule holds too) and never ask for 0. */
    if (bytes > SIZE_MAX - (ARENA_ALIGNMENT - 1)) {
        attend_fail(error, "arena of %zu floats is too large (the byte count overflows)", floats);
        return NULL;
    }
    bytes = (bytes + ARENA_ALIGNMENT - 1) / ARENA_ALIGNMENT * ARENA_ALIGNMENT;
    if (bytes == 0) bytes = ARENA_ALIGNMENT;
    void *memory = NULL;
    int status = posix_memalign(&memory, ARENA_ALIGNMENT, bytes);
    if (status != 0 || !memory) {
        attend_fail(error, "cannot allocate an arena of %zu bytes (%s)", bytes, strerror(status ? status : ENOMEM));
        return NULL;
    }
    memset(memory, 0, bytes);
    return memory;
}

void attend_arena_destroy(float *arena) {
    free(arena);
}
