/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/bkp_util.c - the helpers of backup_int.h: JSON members, UTC timestamps, entry names,
 * writes and directory fsync. Pure or plain file-system code; safe from any thread. */
#include "backup/backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "replicator/base/log.h"
#include "replicator/base/mem.h"

int bkp_json_get_str(const json_t *o, const char *key, char *out, size_t out_len, int nullable,
                     repl_error *err)
{
    const json_t *v = json_object_get(o, key);
    size_t len;
    out[0] = '\0';
    if ((v == NULL || json_is_null(v)) && nullable)
        return REPL_OK;
    if (!json_is_string(v))
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" missing or not a string", key);
    len = json_string_length(v);
    if (len >= out_len || strlen(json_string_value(v)) != len)
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" too long or holds NUL", key);
    memcpy(out, json_string_value(v), len + 1);
    return REPL_OK;
}

int bkp_json_dup_str(const json_t *o, const char *key, char **out, repl_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" missing or not a string", key);
    *out = repl_strdup(json_string_value(v));
    return REPL_OK;
}

int bkp_json_get_i64(const json_t *o, const char *key, int64_t *out, int nullable, repl_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = -1;
    if ((v == NULL || json_is_null(v)) && nullable)
        return REPL_OK;
    if (!json_is_integer(v))
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" missing or not an integer", key);
    *out = (int64_t)json_integer_value(v);
    return REPL_OK;
}

int bkp_json_get_u64(const json_t *o, const char *key, uint64_t *out, repl_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" missing or not a count", key);
    *out = (uint64_t)json_integer_value(v);
    return REPL_OK;
}

static json_t *util_check(json_t *v)
{
    if (v == NULL) {
        REPL_LOG_ERROR("backup", "out of memory building JSON");
        abort();
    }
    return v;
}

json_t *bkp_json_str_or_null(const char *s)
{
    json_t *v;
    if (s == NULL || s[0] == '\0')
        return util_check(json_null());
    v = json_string(s);
    return v != NULL ? v : util_check(json_null());
}

json_t *bkp_json_int_or_null(int64_t v)
{
    return util_check(v < 0 ? json_null() : json_integer(v));
}

void bkp_json_set(json_t *o, const char *key, json_t *v)
{
    if (json_object_set_new(o, key, util_check(v)) != 0) {
        REPL_LOG_ERROR("backup", "out of memory building JSON");
        abort();
    }
}

void bkp_time_format(int64_t us, char *out, size_t out_len)
{
    time_t sec = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, out_len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

int bkp_time_parse(const char *s, int64_t *out_us, repl_error *err)
{
    struct tm tm;
    unsigned frac = 0;
    int n = 0;
    int frac_len = 0;
    memset(&tm, 0, sizeof(tm));
    *out_us = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return repl_error_set(err, REPL_ERR_CORRUPT, "bad timestamp \"%.64s\"", s);
    if (s[n] == '.' && sscanf(s + n + 1, "%6u%n", &frac, &frac_len) == 1)
        n += 1 + frac_len;
    if (s[n] != 'Z' || s[n + 1] != '\0')
        return repl_error_set(err, REPL_ERR_CORRUPT, "bad timestamp \"%.64s\"", s);
    for (int i = frac_len; i < 6; i++)
        frac *= 10;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out_us = (int64_t)timegm(&tm) * 1000000 + frac;
    return REPL_OK;
}

void bkp_name_encode(repl_buf *b, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        int safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (safe) {
            repl_buf_put_u8(b, *p);
            continue;
        }
        repl_buf_put_u8(b, '%');
        repl_buf_put_u8(b, (uint8_t)hex[*p >> 4]);
        repl_buf_put_u8(b, (uint8_t)hex[*p & 15]);
    }
}

int bkp_errno_code(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EFBIG ? REPL_ERR_FULL : REPL_ERR_IO;
}

int bkp_write_all(int fd, const void *buf, size_t len, const char *path, repl_error *err)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return repl_error_sys(err, bkp_errno_code(errno), errno, "backup: write %s", path);
        if (n == 0)
            return repl_error_sys(err, REPL_ERR_FULL, ENOSPC, "backup: write %s", path);
        p += n;
        len -= (size_t)n;
    }
    return REPL_OK;
}

int bkp_fsync_dir(const char *dir, repl_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = REPL_OK;
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: open directory %s", dir);
    if (fsync(fd) != 0)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: fsync directory %s", dir);
    close(fd);
    return rc;
}
