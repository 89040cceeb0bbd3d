/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_schema.c - what a logical dump contains: the schemas (system schemas left out,
 * include/exclude patterns applied), their tables with the columns to select and the key to split
 * on (read from information_schema on the control connection, under the read lock), and the
 * CREATE DATABASE / CREATE TABLE entries. */
#include "backup/logical.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "backup/logical_int.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/mem.h"

#define SCHEMA_SYSTEM_LIST "'mysql','information_schema','performance_schema','sys'"

static int schema_wanted(const bkp_logical_options *o, const char *name)
{
    static const char *const sys[] = { "mysql", "information_schema", "performance_schema", "sys" };
    int in = o->n_include == 0;
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
        if (strcmp(name, sys[i]) == 0)
            return 0;
    }
    for (size_t i = 0; i < o->n_include; i++)
        in = in || fnmatch(o->include[i], name, 0) == 0;
    for (size_t i = 0; i < o->n_exclude && in; i++)
        in = fnmatch(o->exclude[i], name, 0) != 0;
    return in;
}

static int schema_selected(const bkp_ld *d, const char *name)
{
    for (size_t i = 0; i < d->n_schemas; i++) {
        if (strcmp(d->schemas[i], name) == 0)
            return 1;
    }
    return 0;
}

/* Run sql and call row() for each row of the result (mysql_store_result: these are small). */
static int schema_each_row(bkp_ld *d, const char *sql,
                           int (*row)(bkp_ld *, MYSQL_ROW, repl_error *), repl_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW r;
    int rc = REPL_OK;
    if (mysql_query(d->control, sql) != 0 || (res = mysql_store_result(d->control)) == NULL)
        return bkp_conn_error(d->control, err, "backup: list schemas and tables");
    while (rc == REPL_OK && (r = mysql_fetch_row(res)) != NULL)
        rc = row(d, r, err);
    mysql_free_result(res);
    return rc;
}

static int schema_row(bkp_ld *d, MYSQL_ROW r, repl_error *err)
{
    (void)err;
    if (r[0] == NULL || !schema_wanted(d->o, r[0]))
        return REPL_OK;
    d->schemas = repl_realloc(d->schemas, (d->n_schemas + 1) * sizeof(*d->schemas));
    d->schemas[d->n_schemas++] = repl_strdup(r[0]);
    return REPL_OK;
}

static int table_row(bkp_ld *d, MYSQL_ROW r, repl_error *err)
{
    bkp_ld_table *t;
    (void)err;
    if (r[0] == NULL || r[1] == NULL || !schema_selected(d, r[0]))
        return REPL_OK;
    d->tables = repl_realloc(d->tables, (d->n_tables + 1) * sizeof(*d->tables));
    t = &d->tables[d->n_tables++];
    memset(t, 0, sizeof(*t));
    t->schema = repl_strdup(r[0]);
    t->name = repl_strdup(r[1]);
    t->is_sequence = r[2] != NULL && strcmp(r[2], "SEQUENCE") == 0;
    t->engine = repl_strdup(r[3] != NULL ? r[3] : "");
    t->est_rows = r[4] != NULL ? strtoull(r[4], NULL, 10) : 0;
    t->transactional = r[5] == NULL || strcmp(r[5], "NO") != 0;
    repl_buf_init(&t->select);
    return REPL_OK;
}

static int table_cmp(const void *a, const void *b)
{
    const bkp_ld_table *x = a;
    const bkp_ld_table *y = b;
    int c = strcmp(x->schema, y->schema);
    return c != 0 ? c : strcmp(x->name, y->name);
}

static bkp_ld_table *table_find(bkp_ld *d, const char *schema, const char *name)
{
    bkp_ld_table key;
    key.schema = (char *)schema;
    key.name = (char *)name;
    if (d->n_tables == 0)
        return NULL;
    return bsearch(&key, d->tables, d->n_tables, sizeof(*d->tables), table_cmp);
}

static int column_is_int(const char *type)
{
    return strcmp(type, "tinyint") == 0 || strcmp(type, "smallint") == 0 ||
           strcmp(type, "mediumint") == 0 || strcmp(type, "int") == 0 ||
           strcmp(type, "bigint") == 0;
}

/* Columns: schema, table, name, data type, generated, key. */
static int column_row(bkp_ld *d, MYSQL_ROW r, repl_error *err)
{
    bkp_ld_table *t = table_find(d, r[0] != NULL ? r[0] : "", r[1] != NULL ? r[1] : "");
    const char *type = r[3] != NULL ? r[3] : "";
    (void)err;
    if (t == NULL || t->is_sequence || r[2] == NULL)
        return REPL_OK;
    if (r[4] != NULL && strcmp(r[4], "NEVER") != 0)
        return REPL_OK; /* generated: recomputed by the target */
    if (r[5] != NULL && strcmp(r[5], "PRI") == 0) {
        t->pk_count++;
        if (t->pk == NULL && column_is_int(type))
            t->pk = repl_strdup(r[2]);
    }
    if (t->select.len > 0)
        repl_buf_put_u8(&t->select, ',');
    if (strcmp(type, "float") == 0 || strcmp(type, "double") == 0) {
        /* FLOAT is printed with 6 digits; as DOUBLE the shortest exact form comes out */
        bkp_buf_puts(&t->select, "CAST(");
        bkp_quote_ident(&t->select, r[2]);
        bkp_buf_puts(&t->select, " AS DOUBLE)");
    } else if (strcmp(type, "uuid") == 0 || strcmp(type, "inet6") == 0 ||
               strcmp(type, "inet4") == 0) {
        /* text form out, but a binary load expects the binary form: select that */
        bkp_buf_puts(&t->select, "CAST(");
        bkp_quote_ident(&t->select, r[2]);
        bkp_buf_puts(&t->select, " AS BINARY)");
    } else {
        bkp_quote_ident(&t->select, r[2]);
    }
    bkp_table_add_column(&d->m->tables[t->info], r[2]);
    return REPL_OK;
}

static const char schema_tables_sql[] =
    "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.ENGINE, t.TABLE_ROWS, e.TRANSACTIONS "
    "FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES e "
    "ON e.ENGINE = t.ENGINE WHERE t.TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE', 'SYSTEM VERSIONED') "
    "AND t.TABLE_SCHEMA NOT IN (" SCHEMA_SYSTEM_LIST ")";

static const char schema_columns_sql[] =
    "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.IS_GENERATED, "
    "c.COLUMN_KEY FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA NOT IN "
    "(" SCHEMA_SYSTEM_LIST ") "
    "ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION";

int bkp_ld_list(bkp_ld *d, repl_error *err)
{
    int rc =
        schema_each_row(d, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA", schema_row, err);
    if (rc == REPL_OK)
        rc = schema_each_row(d, schema_tables_sql, table_row, err);
    if (rc != REPL_OK)
        return rc;
    if (d->n_tables > 1)
        qsort(d->tables, d->n_tables, sizeof(*d->tables), table_cmp);
    for (size_t i = 0; i < d->n_tables; i++) {
        bkp_ld_table *t = &d->tables[i];
        bkp_manifest_add_table(d->m, t->schema, t->name, t->is_sequence ? "sequence" : "table",
                               t->engine);
        t->info = d->m->n_tables - 1;
    }
    rc = schema_each_row(d, schema_columns_sql, column_row, err);
    for (size_t i = 0; i < d->n_tables && rc == REPL_OK; i++) {
        bkp_ld_table *t = &d->tables[i];
        (void)bkp_buf_str(&t->select);
        if (t->pk_count != 1) {
            repl_free(t->pk); /* a composite key: the table is dumped whole */
            t->pk = NULL;
        }
    }
    return rc;
}

void bkp_ld_entry_name(repl_buf *b, const char *dir, const char *schema, const char *table,
                       const char *suffix)
{
    repl_buf_clear(b);
    repl_buf_printf(b, "%s/", dir);
    bkp_name_encode(b, schema);
    if (table != NULL) {
        repl_buf_put_u8(b, '/');
        bkp_name_encode(b, table);
    }
    repl_buf_put(b, suffix, strlen(suffix));
    (void)bkp_buf_str(b);
}

/* SHOW CREATE ... into the archive as entry name; col is the statement's column. */
static int schema_write_show(bkp_ld *d, const char *show, const char *name, const char *kind,
                             const char *schema, const char *table, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW r;
    unsigned long *lens;
    int rc;
    if (mysql_query(d->control, show) != 0 || (res = mysql_store_result(d->control)) == NULL)
        return bkp_conn_error(d->control, err, "backup: read DDL");
    r = mysql_fetch_row(res);
    lens = mysql_fetch_lengths(res);
    if (r == NULL || mysql_num_fields(res) < 2 || r[1] == NULL) {
        mysql_free_result(res);
        return repl_error_set(err, REPL_ERR_SOURCE, "backup: %s returned nothing", show);
    }
    rc = bkp_archive_add(d->w, name, r[1], lens[1], err);
    if (rc == REPL_OK)
        bkp_manifest_add_file(d->m, name, kind, schema, table, lens[1], 0,
                              repl_crc32c(0, r[1], lens[1]));
    mysql_free_result(res);
    return rc;
}

static int schema_write_table(bkp_ld *d, const bkp_ld_table *t, repl_buf *sql, repl_buf *name,
                              repl_error *err)
{
    repl_buf_clear(sql);
    repl_buf_printf(sql, "SHOW CREATE %s ", t->is_sequence ? "SEQUENCE" : "TABLE");
    bkp_quote_ident(sql, t->schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, t->name);
    bkp_ld_entry_name(name, "schema", t->schema, t->name, ".sql");
    return schema_write_show(d, bkp_buf_str(sql), (const char *)name->data, "table", t->schema,
                             t->name, err);
}

int bkp_ld_write_ddl(bkp_ld *d, repl_error *err)
{
    repl_buf sql;
    repl_buf name;
    int rc = REPL_OK;
    repl_buf_init(&sql);
    repl_buf_init(&name);
    for (size_t i = 0; i < d->n_schemas && rc == REPL_OK; i++) {
        repl_buf_clear(&sql);
        repl_buf_printf(&sql, "SHOW CREATE DATABASE ");
        bkp_quote_ident(&sql, d->schemas[i]);
        bkp_ld_entry_name(&name, "schema", d->schemas[i], NULL, ".sql");
        rc = schema_write_show(d, bkp_buf_str(&sql), (const char *)name.data, "database",
                               d->schemas[i], NULL, err);
    }
    for (size_t i = 0; i < d->n_tables && rc == REPL_OK; i++)
        rc = schema_write_table(d, &d->tables[i], &sql, &name, err);
    repl_buf_dispose(&sql);
    repl_buf_dispose(&name);
    return rc;
}
