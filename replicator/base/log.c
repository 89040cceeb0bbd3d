/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/base/log.c - timestamped single-line log records to stderr or a file, one lock. */
#include "replicator/base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int repl_log_level_current = REPL_LOG_LEVEL_INFO;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const log_names[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };

void repl_log_set_level(repl_log_level level)
{
    repl_log_level_current = (int)level;
}

int repl_log_level_parse(const char *name)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0)
            return i;
    }
    return -1;
}

int repl_log_open(const char *path, repl_error *err)
{
    FILE *f = NULL;
    if (path != NULL) {
        f = fopen(path, "ae");
        if (f == NULL)
            return repl_error_sys(err, REPL_ERR_IO, errno, "log: open %s", path);
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&log_lock);
    if (log_file != NULL)
        fclose(log_file);
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    return REPL_OK;
}

void repl_log_write(repl_log_level level, const char *component, const char *fmt, ...)
{
    char line[2048];
    char stamp[40];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    FILE *out;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    out = log_file != NULL ? log_file : stderr;
    fprintf(out, "%s.%03ldZ %s %s: %s\n", stamp, ts.tv_nsec / 1000000, log_names[level & 3],
            component, line);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
}
