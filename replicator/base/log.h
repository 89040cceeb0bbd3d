/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/log.h - one-line log records: "2026-11-22T02:30:00.123Z INFO  thl: seqno=12 ...".
 * Macros check the level before evaluating arguments (Redis serverLog). Thread-safe; writes to
 * stderr or to a file set with repl_log_open. Modules log through these macros and never print
 * directly. */
#ifndef REPL_LOG_H
#define REPL_LOG_H

#include "replicator/base/error.h"

typedef enum repl_log_level {
    REPL_LOG_LEVEL_ERROR = 0,
    REPL_LOG_LEVEL_WARN = 1,
    REPL_LOG_LEVEL_INFO = 2,
    REPL_LOG_LEVEL_DEBUG = 3
} repl_log_level;

extern int repl_log_level_current;

void repl_log_set_level(repl_log_level level);
/** Parse "error|warn|info|debug"; returns -1 if unknown. */
int repl_log_level_parse(const char *name);
/** Log to path (append) instead of stderr; NULL returns to stderr. */
int repl_log_open(const char *path, repl_error *err);
void repl_log_write(repl_log_level level, const char *component, const char *fmt, ...)
    REPL_PRINTF(3, 4);

#define REPL_LOG(level, comp, ...)                        \
    do {                                                  \
        if ((int)(level) <= repl_log_level_current)       \
            repl_log_write((level), (comp), __VA_ARGS__); \
    } while (0)
#define REPL_LOG_ERROR(comp, ...) REPL_LOG(REPL_LOG_LEVEL_ERROR, comp, __VA_ARGS__)
#define REPL_LOG_WARN(comp, ...)  REPL_LOG(REPL_LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define REPL_LOG_INFO(comp, ...)  REPL_LOG(REPL_LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define REPL_LOG_DEBUG(comp, ...) REPL_LOG(REPL_LOG_LEVEL_DEBUG, comp, __VA_ARGS__)

#endif
