/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/fuzz/fuzz_binlog.c - libFuzzer target: arbitrary bytes as a stream of binlog events through
 * the decoder (headers, CRC, every event type, TABLE_MAP and rows into THL values, payload
 * streaming). Any crash, sanitizer report, leak or hang is a bug; errors are the expected outcome
 * for most inputs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "extractors/binlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_event(ext_decoder *dec, const ext_raw_event *raw, thl_event *ev)
{
    const ext_event *out = NULL;
    repl_error err;
    thl_rows *rows = NULL;
    if (ext_decoder_decode(dec, raw, &out, &err) != REPL_OK)
        return;
    if (ext_event_type_is_rows(out->type))
        ext_decoder_rows(dec, out, ev, &rows, &err);
    if (out->type == EXT_EV_TRANSACTION_PAYLOAD) {
        while (ext_decoder_next_inner(dec, &out, &err) == 1) {
            if (ext_event_type_is_rows(out->type))
                ext_decoder_rows(dec, out, ev, &rows, &err);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ext_decoder *dec = ext_decoder_new();
    thl_event *ev = thl_event_new();
    size_t off = 0;
    if (size >= 4 && memcmp(data, EXT_BINLOG_MAGIC, 4) == 0)
        off = 4;
    /* frame by the header's event_len, as the file reader does */
    while (size - off >= EXT_EVENT_HEADER_LEN) {
        uint32_t len = (uint32_t)data[off + 9] | (uint32_t)data[off + 10] << 8 |
                       (uint32_t)data[off + 11] << 16 | (uint32_t)data[off + 12] << 24;
        ext_raw_event raw;
        if (len < EXT_EVENT_HEADER_LEN || len > size - off)
            break;
        raw.data = data + off;
        raw.len = len;
        raw.offset = off;
        raw.source = "fuzz";
        fuzz_event(dec, &raw, ev);
        if (thl_event_mem_bytes(ev) > (1u << 24))
            thl_event_reset(ev);
        off += len;
    }
    thl_event_free(ev);
    ext_decoder_free(dec);
    return 0;
}
