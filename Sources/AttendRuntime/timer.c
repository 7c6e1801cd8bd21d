/* A monotonic clock. */
#define _POSIX_C_SOURCE 200809L

#include <time.h>

#include "attend_runtime.h"

int64_t attend_now_ns(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 0;
    return (int64_t)now.tv_sec * 1000000000 + (int64_t)now.tv_nsec;
}
