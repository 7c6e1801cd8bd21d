/* A monotonic clock. */
#define _POSIX_C_SOURCE 200809L

#include <time.h>

#include "attend_runtime.h"

int64_t attend_now_ns(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 0;
    return (int64_t)now.tv_sec * 1000000000 + (int64_t)now.tv_nsec;
}

void attend_profile_mark(int64_t *slot, int64_t *mark) {
    int64_t now = attend_now_ns();
    *slot += now - *mark;
    *mark = now;
}
