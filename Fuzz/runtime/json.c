/* libFuzzer target: the C runtime's strict JSON reader (skipping any value, as the
 * safetensors parser skips unknown members), then the integer reader on the input. */
#include <stdint.h>

#include "attend_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_parser parser;
    json_begin(&parser, data, size);
    if (json_skip(&parser, 0)) (void)json_at_end(&parser);
    json_end(&parser);
    uint64_t value;
    (void)json_integer((const char *)data, size, &value);
    return 0;
}
