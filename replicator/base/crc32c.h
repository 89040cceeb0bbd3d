/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/crc32c.h - CRC32C (Castagnoli), the checksum of every THL record and network
 * frame. Uses the SSE4.2 crc32 instruction when the CPU has it, else a slicing-by-8 table.
 * Thread-safe. */
#ifndef REPL_CRC32C_H
#define REPL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/** Continue a CRC32C: pass 0 to start; repl_crc32c(repl_crc32c(0, a), b) == CRC of a||b. */
uint32_t repl_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
