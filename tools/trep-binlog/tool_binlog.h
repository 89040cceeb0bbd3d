/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/tool_binlog.h - shared by the trep-binlog sources: the two renderings (text in
 * the shape of mariadb-binlog -vv, and one JSON document) of a decoded event with its rows, and the
 * mariadb-binlog-style names of column types. Private to the tool. */
#ifndef TOOL_BINLOG_H
#define TOOL_BINLOG_H

#include <jansson.h>
#include <stdio.h>

#include "extractors/binlog.h"
#include "replicator/base/buf.h"
#include "thl/event.h"

/** The column type as mariadb-binlog -vv names it: "INT", "VARSTRING(100)", "DECIMAL(20,6)",
 * "BLOB/TEXT COMPRESSED", ... written into out (at least 64 bytes). */
const char *tool_col_type_name(char *out, size_t size, const thl_column *col);

/** Append the text rendering of ev (and its decoded rows, or NULL) to out. */
void tool_text_event(repl_buf *out, const ext_event *ev, const thl_rows *rows);

/** A JSON object for ev with every decoded field (and its rows, or NULL). */
json_t *tool_json_event(const ext_event *ev, const thl_rows *rows);

/** --extract-to: extract the binlog files (or directories of them) args into the THL at thl_dir,
 * resuming after its last complete transaction. Returns the exit status. */
int tool_extract(const char *thl_dir, const char *service, char **args, int nargs);

#endif
