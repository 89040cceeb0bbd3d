/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/backup_int.h - helpers shared by the files of the backup module only (never included from
 * outside backup/): JSON field readers, UTC timestamps, archive entry names, small file-system
 * helpers. */
#ifndef BKP_BACKUP_INT_H
#define BKP_BACKUP_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"

/** Copy string member key of o into out. nullable: a missing or null member gives "". A value that
 * does not fit is an error. REPL_ERR_CORRUPT names the key. */
int bkp_json_get_str(const json_t *o, const char *key, char *out, size_t out_len, int nullable,
                     repl_error *err);
/** New string of member key (repl_strdup), or NULL with REPL_ERR_CORRUPT. */
int bkp_json_dup_str(const json_t *o, const char *key, char **out, repl_error *err);
/** Integer member; nullable: missing or null gives -1. */
int bkp_json_get_i64(const json_t *o, const char *key, int64_t *out, int nullable, repl_error *err);
/** Non-negative integer member. */
int bkp_json_get_u64(const json_t *o, const char *key, uint64_t *out, repl_error *err);
/** json_string of s, or json_null() when s is "" (aborts on OOM or invalid UTF-8 is reported as
 * null). */
json_t *bkp_json_str_or_null(const char *s);
/** json_integer(v), or json_null() when v < 0. */
json_t *bkp_json_int_or_null(int64_t v);
/** Set o[key] = v, aborting on OOM (v is stolen). */
void bkp_json_set(json_t *o, const char *key, json_t *v);

/** "2026-11-22T03:15:00.123456Z" from microseconds since the epoch. */
void bkp_time_format(int64_t us, char *out, size_t out_len);
/** Parse bkp_time_format's form (fraction optional); REPL_ERR_CORRUPT if malformed. */
int bkp_time_parse(const char *s, int64_t *out_us, repl_error *err);

/** Append name with bytes outside [A-Za-z0-9_-] as %XX, so any schema or table name becomes one
 * safe path component. */
void bkp_name_encode(repl_buf *b, const char *name);

/** write(2) all of buf, retrying short writes and EINTR. REPL_ERR_FULL on ENOSPC/EDQUOT/EFBIG,
 * else REPL_ERR_IO; the message names path. */
int bkp_write_all(int fd, const void *buf, size_t len, const char *path, repl_error *err);
/** fsync the directory dir (after a rename or unlink inside it). */
int bkp_fsync_dir(const char *dir, repl_error *err);
/** REPL_ERR_FULL for errno values meaning "no space", else REPL_ERR_IO. */
int bkp_errno_code(int e);

#endif
