/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/catalog.c - catalog.json of a backup store: entries to and from JSON, read the file, and
 * replace it atomically (temp file, fsync, rename, fsync directory). Knows nothing about locks or
 * archives; store.c decides when to call it. */
#include "backup/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup_int.h"
#include "backup/store_int.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define CATALOG_FORMAT 1

static json_t *catalog_entry_to_json(const bkp_entry *e)
{
    char t[64];
    char sum[16];
    json_t *o = json_object();
    json_t *c = json_object();
    bkp_json_set(o, "id", json_string(e->id));
    bkp_json_set(o, "service", json_string(e->service));
    bkp_json_set(o, "method", json_string(e->method));
    bkp_time_format(e->created_us, t, sizeof(t));
    bkp_json_set(o, "created", json_string(t));
    bkp_time_format(e->finished_us, t, sizeof(t));
    bkp_json_set(o, "finished", json_string(t));
    bkp_json_set(o, "status", json_string(e->status));
    bkp_json_set(o, "size_bytes", json_integer((json_int_t)e->size_bytes));
    bkp_json_set(o, "duration_ms", json_integer((json_int_t)e->duration_ms));
    bkp_json_set(o, "server_version", bkp_json_str_or_null(e->server_version));
    bkp_json_set(o, "position", bkp_position_to_json(&e->position));
    bkp_json_set(o, "archive", json_string(e->archive));
    snprintf(sum, sizeof(sum), "%08" PRIx32, e->archive_crc32c);
    bkp_json_set(c, "type", json_string("crc32c"));
    bkp_json_set(c, "value", json_string(sum));
    bkp_json_set(o, "checksum", c);
    return o;
}

static int catalog_sum_from_json(bkp_entry *e, const json_t *o, repl_error *err)
{
    const json_t *c = json_object_get(o, "checksum");
    char type[16];
    char value[16];
    char *end = NULL;
    int rc = bkp_json_get_str(c, "type", type, sizeof(type), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(c, "value", value, sizeof(value), 0, err);
    if (rc != REPL_OK)
        return rc;
    if (strcmp(type, "crc32c") != 0)
        return repl_error_set(err, REPL_ERR_CORRUPT, "unknown checksum type \"%s\"", type);
    e->archive_crc32c = (uint32_t)strtoul(value, &end, 16);
    if (strlen(value) != 8 || *end != '\0')
        return repl_error_set(err, REPL_ERR_CORRUPT, "bad checksum \"%s\"", value);
    return REPL_OK;
}

static int catalog_times_from_json(bkp_entry *e, const json_t *o, repl_error *err)
{
    char t[64];
    int rc = bkp_json_get_str(o, "created", t, sizeof(t), 0, err);
    if (rc == REPL_OK)
        rc = bkp_time_parse(t, &e->created_us, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "finished", t, sizeof(t), 0, err);
    if (rc == REPL_OK)
        rc = bkp_time_parse(t, &e->finished_us, err);
    return rc;
}

static int catalog_entry_from_json(bkp_entry *e, const json_t *o, repl_error *err)
{
    int rc;
    memset(e, 0, sizeof(*e));
    if (!json_is_object(o))
        return repl_error_set(err, REPL_ERR_CORRUPT, "entry is not an object");
    rc = bkp_json_get_str(o, "id", e->id, sizeof(e->id), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "service", e->service, sizeof(e->service), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "method", e->method, sizeof(e->method), 0, err);
    if (rc == REPL_OK)
        rc = catalog_times_from_json(e, o, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "status", e->status, sizeof(e->status), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_u64(o, "size_bytes", &e->size_bytes, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_u64(o, "duration_ms", &e->duration_ms, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "server_version", e->server_version, sizeof(e->server_version), 1,
                              err);
    if (rc == REPL_OK)
        rc = bkp_position_from_json(&e->position, json_object_get(o, "position"), err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "archive", e->archive, sizeof(e->archive), 0, err);
    if (rc == REPL_OK)
        rc = catalog_sum_from_json(e, o, err);
    if (rc == REPL_OK && (strchr(e->archive, '/') != NULL || e->archive[0] == '.'))
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "bad archive name \"%s\"", e->archive);
    return rc;
}

int bkp_catalog_parse(const char *text, size_t len, bkp_entry **out, size_t *count, repl_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *arr = json_object_get(root, "backups");
    bkp_entry *e = NULL;
    size_t n = json_array_size(arr);
    int rc = REPL_OK;
    *out = NULL;
    *count = 0;
    if (root == NULL)
        return repl_error_set(err, REPL_ERR_CORRUPT, "line %d: %s", jerr.line, jerr.text);
    if (!json_is_array(arr) || json_integer_value(json_object_get(root, "format")) != 1) {
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "not a format 1 catalog");
        goto cleanup;
    }
    e = repl_calloc(n + 1, sizeof(*e));
    for (size_t i = 0; i < n && rc == REPL_OK; i++) {
        rc = catalog_entry_from_json(&e[i], json_array_get(arr, i), err);
        if (rc != REPL_OK)
            repl_error_wrap(err, "backup %zu", i);
    }
    if (rc == REPL_OK && n > 0) {
        *out = e;
        *count = n;
        e = NULL;
    }
cleanup:
    repl_free(e);
    json_decref(root);
    return rc;
}

char *bkp_catalog_format(const bkp_entry *entries, size_t count)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    char *text;
    bkp_json_set(root, "format", json_integer(CATALOG_FORMAT));
    for (size_t i = 0; i < count; i++)
        json_array_append_new(arr, catalog_entry_to_json(&entries[i]));
    bkp_json_set(root, "backups", arr);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        abort(); /* jansson fails only on OOM here */
    return text;
}

static int catalog_read_file(const char *path, char **out, size_t *len, repl_error *err)
{
    FILE *f = fopen(path, "rbe");
    repl_buf b;
    char chunk[8192];
    size_t n;
    int rc = REPL_OK;
    *out = NULL;
    *len = 0;
    if (f == NULL && errno == ENOENT)
        return REPL_ERR_NOTFOUND;
    if (f == NULL)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: open %s", path);
    repl_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        repl_buf_put(&b, chunk, n);
    if (ferror(f))
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "backup: read %s", path);
    fclose(f);
    if (rc != REPL_OK) {
        repl_buf_dispose(&b);
        return rc;
    }
    repl_buf_put_u8(&b, 0);
    *len = b.len - 1;
    *out = (char *)b.data;
    return REPL_OK;
}

int bkp_catalog_read(const char *dir, bkp_entry **out, size_t *count, repl_error *err)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    int rc;
    *out = NULL;
    *count = 0;
    snprintf(path, sizeof(path), "%s/catalog.json", dir);
    rc = catalog_read_file(path, &text, &len, err);
    if (rc == REPL_ERR_NOTFOUND)
        return REPL_OK;
    if (rc != REPL_OK)
        return rc;
    rc = bkp_catalog_parse(text, len, out, count, err);
    repl_free(text);
    if (rc != REPL_OK)
        repl_error_wrap(err, "backup: catalog %s", path);
    return rc;
}

static int catalog_write_tmp(const char *tmp, const char *text, repl_error *err)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int rc;
    if (fd < 0)
        return repl_error_sys(err, bkp_errno_code(errno), errno, "backup: create %s", tmp);
    rc = bkp_write_all(fd, text, strlen(text), tmp, err);
    if (rc == REPL_OK && fsync(fd) != 0)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: fsync %s", tmp);
    if (close(fd) != 0 && rc == REPL_OK)
        rc = repl_error_sys(err, bkp_errno_code(errno), errno, "backup: close %s", tmp);
    return rc;
}

/* The new catalog is in place once renamed: a failed directory fsync cannot be undone, so it is
 * reported as a warning rather than as a failure that would make callers act as if the old catalog
 * were still current. */
static void catalog_sync_dir(const char *dir)
{
    repl_error e;
    repl_error_clear(&e);
    if (bkp_fsync_dir(dir, &e) != REPL_OK)
        REPL_LOG_WARN("backup", "%s", e.msg);
}

int bkp_store_write_catalog(const char *dir, const bkp_entry *entries, size_t count,
                            repl_error *err)
{
    char path[4096];
    char tmp[4096];
    char *text = bkp_catalog_format(entries, count);
    int rc;
    snprintf(path, sizeof(path), "%s/catalog.json", dir);
    snprintf(tmp, sizeof(tmp), "%s/.catalog.json.tmp", dir);
    rc = catalog_write_tmp(tmp, text, err);
    if (rc == REPL_OK && rename(tmp, path) != 0)
        rc =
            repl_error_sys(err, bkp_errno_code(errno), errno, "backup: rename %s to %s", tmp, path);
    if (rc != REPL_OK)
        unlink(tmp);
    free(text);
    if (rc == REPL_OK)
        catalog_sync_dir(dir);
    return rc;
}
