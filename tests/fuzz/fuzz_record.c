/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz_record.c - libFuzzer target: arbitrary bytes as a THL record (header parse, CRC,
 * decompression, payload decode). Records come from disk and the network: nothing may crash. To let
 * the fuzzer reach the payload decoder, the input's last 4 bytes are replaced by a valid CRC32C. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/crc32c.h"
#include "thl/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    thl_record_header h;
    thl_event *ev = NULL;
    repl_error err;
    uint8_t *copy;
    if (size < 4)
        return 0;
    thl_record_parse_header(&h, data, size, &err);
    copy = malloc(size);
    memcpy(copy, data, size);
    uint32_t crc = repl_crc32c(0, copy, size - 4);
    for (int i = 0; i < 4; i++)
        copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    if (thl_record_decode(&ev, copy, size, &err) == REPL_OK)
        thl_event_free(ev);
    free(copy);
    return 0;
}
