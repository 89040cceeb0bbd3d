/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/tsv.h - the data file format of logical backups: LOAD DATA's default text format (fields
 * separated by TAB, rows ended by LF, backslash escapes, \N for NULL), with every byte value kept:
 * files are loaded with CHARACTER SET binary. Pure functions; safe from any thread. */
#ifndef BKP_TSV_H
#define BKP_TSV_H

#include <stddef.h>

#include "replicator/base/buf.h"

/** Append one field: value (len bytes, any bytes) escaped, or \N when value is NULL. The caller
 * puts the separators ('\t' between fields, '\n' after the last). */
void bkp_tsv_put_field(repl_buf *b, const char *value, size_t len);

/** Decode one escaped field of len bytes (no separator inside) into out (cleared first); returns 1
 * for \N (NULL), 0 for a value, -1 for a malformed escape (a lone trailing backslash). The inverse
 * of bkp_tsv_put_field, for tests and tools. */
int bkp_tsv_decode_field(repl_buf *out, const char *field, size_t len);

#endif
