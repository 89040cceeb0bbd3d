/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/json_binary.h - MySQL's binary JSON (the bytes of a JSON column in a MySQL binlog row,
 * sql-common/json_binary.cc) to JSON text exactly as MySQL prints it (Json_wrapper::to_string: ", "
 * and
 * ": " separators, keys in stored order, doubles as my_gcvt with ".0" for integral values, DECIMAL
 * with its scale, DATE/TIME/DATETIME/TIMESTAMP as quoted strings with 6 fraction digits, other
 * opaque values as "base64:typeNN:..."); and the diff list of a partial JSON update
 * (PARTIAL_UPDATE_ROWS) to the expression mysqlbinlog -v prints. Pure functions over byte buffers;
 * bounds-checked; thread-safe. */
#ifndef EXT_JSON_BINARY_H
#define EXT_JSON_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"

/** Deepest nesting of arrays/objects accepted (MySQL's JSON_DOCUMENT_MAX_DEPTH). */
#define EXT_JSON_MAX_DEPTH 100

/**
 * Append the JSON text of a binary JSON document to out.
 * @param out   receives the text (not NUL-terminated; out->len grows)
 * @param data  the document: type byte then value; len 0 (an empty JSON column value) prints "null"
 * @return REPL_OK, or REPL_ERR_CORRUPT with err set (bad type, offset or length past the document,
 *         nesting deeper than EXT_JSON_MAX_DEPTH). On error out may hold a partial text.
 */
int ext_json_binary_to_text(repl_buf *out, const uint8_t *data, size_t len, repl_error *err);

/**
 * Append a partial JSON update as the expression mysqlbinlog -v prints for it, on one line:
 * JSON_REPLACE / JSON_INSERT / JSON_ARRAY_INSERT / JSON_REMOVE calls nested in the order the diffs
 * apply (consecutive diffs of one kind share a call), the innermost argument col_ref, paths as SQL
 * string literals, values as SQL literals (numbers, true/false/null bare; strings and temporals
 * quoted; objects and arrays as CAST('...' AS JSON)). An empty diff list appends col_ref alone.
 * Example: JSON_INSERT(JSON_REPLACE(@2, '$.a', 1, '$.b', 'x'), '$.c', CAST('[1, 2]' AS JSON))
 * String literals escape \ ' NUL LF CR and ^Z with backslashes (valid MySQL/MariaDB SQL unless
 * NO_BACKSLASH_ESCAPES).
 * @return REPL_OK, or REPL_ERR_CORRUPT with err set.
 */
int ext_json_diff_to_text(repl_buf *out, const uint8_t *data, size_t len, const char *col_ref,
                          repl_error *err);

#endif
