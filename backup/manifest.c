/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/manifest.c - build, format and parse manifest.json (see manifest.h and docs/backup.md).
 * Pure data code: no I/O. */
#include "backup/manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "replicator/base/mem.h"

bkp_manifest *bkp_manifest_new(void)
{
    bkp_manifest *m = repl_calloc(1, sizeof(*m));
    m->format = BKP_MANIFEST_FORMAT;
    bkp_position_init(&m->position);
    return m;
}

static void manifest_table_dispose(bkp_table_info *t)
{
    for (size_t i = 0; i < t->n_columns; i++)
        repl_free(t->columns[i]);
    repl_free(t->columns);
    repl_free(t->schema);
    repl_free(t->name);
    repl_free(t->engine);
}

void bkp_manifest_free(bkp_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_files; i++) {
        repl_free(m->files[i].name);
        repl_free(m->files[i].schema);
        repl_free(m->files[i].table);
    }
    for (size_t i = 0; i < m->n_tables; i++)
        manifest_table_dispose(&m->tables[i]);
    repl_free(m->files);
    repl_free(m->tables);
    repl_free(m->channels);
    repl_free(m->by_name);
    repl_free(m);
}

static char *manifest_dup(const char *s)
{
    return s != NULL ? repl_strdup(s) : NULL;
}

bkp_file_info *bkp_manifest_add_file(bkp_manifest *m, const char *name, const char *kind,
                                     const char *schema, const char *table, uint64_t bytes,
                                     uint64_t rows, uint32_t crc32c)
{
    bkp_file_info *f;
    if (m->n_files == m->files_cap) {
        m->files_cap = m->files_cap != 0 ? m->files_cap * 2 : 64;
        m->files = repl_realloc(m->files, m->files_cap * sizeof(*m->files));
    }
    f = &m->files[m->n_files++];
    memset(f, 0, sizeof(*f));
    f->name = repl_strdup(name);
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
    f->schema = manifest_dup(schema);
    f->table = manifest_dup(table);
    f->bytes = bytes;
    f->rows = rows;
    f->crc32c = crc32c;
    return f;
}

bkp_table_info *bkp_manifest_add_table(bkp_manifest *m, const char *schema, const char *name,
                                       const char *kind, const char *engine)
{
    bkp_table_info *t;
    if (m->n_tables == m->tables_cap) {
        m->tables_cap = m->tables_cap != 0 ? m->tables_cap * 2 : 32;
        m->tables = repl_realloc(m->tables, m->tables_cap * sizeof(*m->tables));
    }
    t = &m->tables[m->n_tables++];
    memset(t, 0, sizeof(*t));
    t->schema = repl_strdup(schema);
    t->name = repl_strdup(name);
    snprintf(t->kind, sizeof(t->kind), "%s", kind);
    t->engine = repl_strdup(engine != NULL ? engine : "");
    return t;
}

void bkp_table_add_column(bkp_table_info *t, const char *column)
{
    t->columns = repl_realloc(t->columns, (t->n_columns + 1) * sizeof(*t->columns));
    t->columns[t->n_columns++] = repl_strdup(column);
}

static int manifest_cmp_name(const void *a, const void *b)
{
    const bkp_file_info *const *x = a;
    const bkp_file_info *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static void manifest_index(bkp_manifest *m)
{
    if (m->by_name != NULL || m->n_files == 0)
        return;
    m->by_name = repl_malloc(m->n_files * sizeof(*m->by_name));
    for (size_t i = 0; i < m->n_files; i++)
        m->by_name[i] = &m->files[i];
    qsort(m->by_name, m->n_files, sizeof(*m->by_name), manifest_cmp_name);
}

const bkp_file_info *bkp_manifest_find_file(bkp_manifest *m, const char *name)
{
    bkp_file_info key;
    const bkp_file_info *kp = &key;
    bkp_file_info **hit;
    manifest_index(m);
    if (m->n_files == 0)
        return NULL;
    key.name = (char *)name;
    hit = bsearch(&kp, m->by_name, m->n_files, sizeof(*m->by_name), manifest_cmp_name);
    return hit != NULL ? *hit : NULL;
}

const bkp_table_info *bkp_manifest_find_table(const bkp_manifest *m, const char *schema,
                                              const char *name)
{
    for (size_t i = 0; i < m->n_tables; i++) {
        if (strcmp(m->tables[i].schema, schema) == 0 && strcmp(m->tables[i].name, name) == 0)
            return &m->tables[i];
    }
    return NULL;
}

/* ---- JSON ---- */

static json_t *manifest_file_json(const bkp_file_info *f)
{
    char sum[16];
    json_t *o = json_object();
    snprintf(sum, sizeof(sum), "%08" PRIx32, f->crc32c);
    bkp_json_set(o, "name", json_string(f->name));
    bkp_json_set(o, "kind", json_string(f->kind));
    bkp_json_set(o, "schema", f->schema != NULL ? json_string(f->schema) : json_null());
    bkp_json_set(o, "table", f->table != NULL ? json_string(f->table) : json_null());
    bkp_json_set(o, "bytes", json_integer((json_int_t)f->bytes));
    bkp_json_set(o, "rows", json_integer((json_int_t)f->rows));
    bkp_json_set(o, "crc32c", json_string(sum));
    return o;
}

static json_t *manifest_table_json(const bkp_table_info *t)
{
    json_t *o = json_object();
    json_t *cols = json_array();
    for (size_t i = 0; i < t->n_columns; i++)
        json_array_append_new(cols, json_string(t->columns[i]));
    bkp_json_set(o, "schema", json_string(t->schema));
    bkp_json_set(o, "name", json_string(t->name));
    bkp_json_set(o, "kind", json_string(t->kind));
    bkp_json_set(o, "engine", json_string(t->engine));
    bkp_json_set(o, "columns", cols);
    bkp_json_set(o, "rows", json_integer((json_int_t)t->rows));
    bkp_json_set(o, "files", json_integer(t->files));
    return o;
}

char *bkp_manifest_format(const bkp_manifest *m)
{
    json_t *root = json_object();
    json_t *files = json_array();
    json_t *tables = json_array();
    char t[64];
    char *text;
    bkp_json_set(root, "format", json_integer(m->format));
    bkp_json_set(root, "id", json_string(m->id));
    bkp_json_set(root, "service", json_string(m->service));
    bkp_json_set(root, "method", json_string(m->method));
    bkp_json_set(root, "server_version", json_string(m->server_version));
    bkp_time_format(m->created_us, t, sizeof(t));
    bkp_json_set(root, "created", json_string(t));
    bkp_time_format(m->finished_us, t, sizeof(t));
    bkp_json_set(root, "finished", json_string(t));
    bkp_json_set(root, "threads", json_integer(m->threads));
    bkp_json_set(root, "position", bkp_position_to_json(&m->position));
    bkp_json_set(root, "channels", bkp_channels_to_json(m->channels, m->n_channels));
    for (size_t i = 0; i < m->n_tables; i++)
        json_array_append_new(tables, manifest_table_json(&m->tables[i]));
    for (size_t i = 0; i < m->n_files; i++)
        json_array_append_new(files, manifest_file_json(&m->files[i]));
    bkp_json_set(root, "tables", tables);
    bkp_json_set(root, "files", files);
    text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        abort(); /* jansson fails only on OOM here */
    return text;
}
