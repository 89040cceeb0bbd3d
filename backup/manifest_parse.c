/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/manifest_parse.c - parse and validate manifest.json (bkp_manifest_parse). Everything in it
 * is input from disk: every member is type-checked, entry names must be safe relative paths and
 * unique, and data files must point at a listed table. */
#include "backup/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "replicator/base/mem.h"

static const char *const parse_kinds[] = { "database", "table", "data", "objects", "xbstream" };

static int parse_kind_ok(const char *kind)
{
    for (size_t i = 0; i < sizeof(parse_kinds) / sizeof(parse_kinds[0]); i++) {
        if (strcmp(kind, parse_kinds[i]) == 0)
            return 1;
    }
    return 0;
}

static int parse_name_ok(const char *name)
{
    if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
        return 0;
    return strcmp(name, BKP_MANIFEST_NAME) != 0;
}

static int parse_opt_str(const json_t *o, const char *key, char **out, repl_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return REPL_OK;
    return bkp_json_dup_str(o, key, out, err);
}

static int parse_file(bkp_manifest *m, const json_t *o, repl_error *err)
{
    char kind[16];
    char sum[16];
    char *name = NULL;
    char *schema = NULL;
    char *table = NULL;
    char *end = NULL;
    bkp_file_info f;
    int rc = bkp_json_dup_str(o, "name", &name, err);
    memset(&f, 0, sizeof(f));
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "kind", kind, sizeof(kind), 0, err);
    if (rc == REPL_OK)
        rc = parse_opt_str(o, "schema", &schema, err);
    if (rc == REPL_OK)
        rc = parse_opt_str(o, "table", &table, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_u64(o, "bytes", &f.bytes, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_u64(o, "rows", &f.rows, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "crc32c", sum, sizeof(sum), 0, err);
    if (rc == REPL_OK) {
        f.crc32c = (uint32_t)strtoul(sum, &end, 16);
        if (strlen(sum) != 8 || *end != '\0')
            rc = repl_error_set(err, REPL_ERR_CORRUPT, "bad crc32c \"%s\"", sum);
    }
    if (rc == REPL_OK && !parse_kind_ok(kind))
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "unknown kind \"%s\"", kind);
    if (rc == REPL_OK && !parse_name_ok(name))
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "unsafe entry name \"%s\"", name);
    if (rc == REPL_OK)
        bkp_manifest_add_file(m, name, kind, schema, table, f.bytes, f.rows, f.crc32c);
    repl_free(name);
    repl_free(schema);
    repl_free(table);
    return rc;
}

static int parse_columns(bkp_table_info *t, const json_t *cols, repl_error *err)
{
    if (!json_is_array(cols))
        return repl_error_set(err, REPL_ERR_CORRUPT, "columns is not an array");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const json_t *c = json_array_get(cols, i);
        if (!json_is_string(c) || json_string_length(c) == 0)
            return repl_error_set(err, REPL_ERR_CORRUPT, "bad column name");
        bkp_table_add_column(t, json_string_value(c));
    }
    return REPL_OK;
}

static int parse_table(bkp_manifest *m, const json_t *o, repl_error *err)
{
    char *schema = NULL;
    char *name = NULL;
    char *engine = NULL;
    char kind[16];
    uint64_t files = 0;
    bkp_table_info *t;
    int rc = bkp_json_dup_str(o, "schema", &schema, err);
    if (rc == REPL_OK)
        rc = bkp_json_dup_str(o, "name", &name, err);
    if (rc == REPL_OK)
        rc = bkp_json_dup_str(o, "engine", &engine, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "kind", kind, sizeof(kind), 0, err);
    if (rc == REPL_OK && strcmp(kind, "table") != 0 && strcmp(kind, "sequence") != 0)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "unknown table kind \"%s\"", kind);
    if (rc == REPL_OK) {
        t = bkp_manifest_add_table(m, schema, name, kind, engine);
        rc = bkp_json_get_u64(o, "rows", &t->rows, err);
        if (rc == REPL_OK)
            rc = bkp_json_get_u64(o, "files", &files, err);
        t->files = (uint32_t)files;
        if (rc == REPL_OK)
            rc = parse_columns(t, json_object_get(o, "columns"), err);
    }
    repl_free(schema);
    repl_free(name);
    repl_free(engine);
    return rc;
}

static int parse_array(bkp_manifest *m, const json_t *root, const char *key,
                       int (*one)(bkp_manifest *, const json_t *, repl_error *), repl_error *err)
{
    const json_t *arr = json_object_get(root, key);
    if (!json_is_array(arr))
        return repl_error_set(err, REPL_ERR_CORRUPT, "\"%s\" missing or not an array", key);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int rc = one(m, json_array_get(arr, i), err);
        if (rc != REPL_OK)
            return repl_error_wrap(err, "%s[%zu]", key, i);
    }
    return REPL_OK;
}

static int parse_header(bkp_manifest *m, const json_t *root, repl_error *err)
{
    char t[64];
    int64_t v = 0;
    int rc = bkp_json_get_i64(root, "format", &v, 0, err);
    if (rc == REPL_OK && v != BKP_MANIFEST_FORMAT)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "unknown manifest format %lld", (long long)v);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "id", m->id, sizeof(m->id), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "service", m->service, sizeof(m->service), 0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "method", m->method, sizeof(m->method), 0, err);
    if (rc == REPL_OK && strcmp(m->method, "logical") != 0 && strcmp(m->method, "physical") != 0)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "unknown method \"%s\"", m->method);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "server_version", m->server_version, sizeof(m->server_version),
                              0, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "created", t, sizeof(t), 0, err);
    if (rc == REPL_OK)
        rc = bkp_time_parse(t, &m->created_us, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(root, "finished", t, sizeof(t), 0, err);
    if (rc == REPL_OK)
        rc = bkp_time_parse(t, &m->finished_us, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(root, "threads", &v, 0, err);
    m->threads = (uint32_t)v;
    return rc;
}

/* Unique names; every data file names a listed table. */
static int parse_check(bkp_manifest *m, repl_error *err)
{
    (void)bkp_manifest_find_file(m, ""); /* builds the sorted index */
    for (size_t i = 1; i < m->n_files; i++) {
        if (strcmp(m->by_name[i - 1]->name, m->by_name[i]->name) == 0)
            return repl_error_set(err, REPL_ERR_CORRUPT, "entry %s listed twice",
                                  m->by_name[i]->name);
    }
    for (size_t i = 0; i < m->n_files; i++) {
        const bkp_file_info *f = &m->files[i];
        if (strcmp(f->kind, "data") != 0)
            continue;
        if (f->schema == NULL || f->table == NULL ||
            bkp_manifest_find_table(m, f->schema, f->table) == NULL)
            return repl_error_set(err, REPL_ERR_CORRUPT, "data file %s has no table entry",
                                  f->name);
    }
    return REPL_OK;
}

int bkp_manifest_parse(bkp_manifest **out, const char *text, size_t len, repl_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    bkp_manifest *m = NULL;
    int rc;
    *out = NULL;
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return repl_error_set(err, REPL_ERR_CORRUPT, "manifest: line %d: %s", jerr.line,
                              root == NULL ? jerr.text : "not an object");
    }
    m = bkp_manifest_new();
    rc = parse_header(m, root, err);
    if (rc == REPL_OK)
        rc = bkp_position_from_json(&m->position, json_object_get(root, "position"), err);
    if (rc == REPL_OK)
        rc = bkp_channels_from_json(&m->channels, &m->n_channels, json_object_get(root, "channels"),
                                    err);
    if (rc == REPL_OK)
        rc = parse_array(m, root, "tables", parse_table, err);
    if (rc == REPL_OK)
        rc = parse_array(m, root, "files", parse_file, err);
    if (rc == REPL_OK)
        rc = parse_check(m, err);
    json_decref(root);
    if (rc != REPL_OK) {
        bkp_manifest_free(m);
        return repl_error_wrap(err, "manifest");
    }
    *out = m;
    return REPL_OK;
}
