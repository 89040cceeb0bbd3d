/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/thl/tool_thl.h - private to the thl tool: its parsed command line and the commands (info
 * and list in show.c, check and purge in check.c). Commands print results on stdout and errors on
 * stderr, and return the process exit status. */
#ifndef TOOL_THL_H
#define TOOL_THL_H

#include <stdint.h>

#include "thl/log.h"

typedef struct tool_args {
    const char *cmd;
    const char *dir;     /* --dir, or thl-dir from --config */
    const char *config;  /* --config FILE */
    const char *service; /* --service NAME */
    int json;
    int have_low, have_high, have_seqno, have_below, have_keep;
    uint64_t low, high, seqno, below, keep;
} tool_args;

/** Open the THL of args (read-only unless writer); prints the error and returns NULL on failure. */
thl_log *tool_log_open(const tool_args *args, int writer);

int tool_cmd_info(const tool_args *args);
int tool_cmd_list(const tool_args *args);
int tool_cmd_check(const tool_args *args);
int tool_cmd_purge(const tool_args *args);

/** Print "thl: " + message on stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Write out (text) to stdout; 0 on success, -1 (after an error message) if stdout failed. */
int tool_write(const void *data, size_t len);

#endif
