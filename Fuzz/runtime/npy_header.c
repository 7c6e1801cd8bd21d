/* libFuzzer target: the C runtime's .npy header dictionary parser (npy_parse_header). */
#include <stdint.h>

#include "attend_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    npy_header header;
    const char *reason = npy_parse_header((const char *)data, size, &header);
    if (!reason && (header.rank < 0 || header.rank > NPY_MAX_RANK)) __builtin_trap();
    return 0;
}
