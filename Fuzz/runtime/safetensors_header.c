/* libFuzzer target: the C runtime's safetensors header parser and validator (st_parse),
 * with the error message builder it writes through. Input: 8 bytes giving the data buffer
 * size (little-endian, reduced below 2^40), then the JSON header. */
#include <stdint.h>
#include <string.h>

#include "attend_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8) return 0;
    uint64_t buffer_size = 0;
    for (int k = 7; k >= 0; k--) buffer_size = buffer_size << 8 | data[k];
    buffer_size &= (UINT64_C(1) << 40) - 1;
    char error[ATTEND_ERROR_SIZE];
    attend_message message;
    attend_message_begin(&message, error);
    st_table table;
    memset(&table, 0, sizeof table);
    if (st_parse(data + 8, size - 8, buffer_size, &table, &message) == 0) {
        for (size_t k = 0; k < table.count; k++) {
            st_tensor *found = st_find(&table, table.tensors[k].name, table.tensors[k].name_length);
            if (found != &table.tensors[k]) __builtin_trap(); /* names are unique and sorted */
        }
        st_free(&table);
    }
    if (strlen(error) >= ATTEND_ERROR_SIZE) __builtin_trap();
    return 0;
}
