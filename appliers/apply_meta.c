/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_meta.c - what the applier needs to know about target tables, read once from
 * information_schema and cached until the next DDL: column names in ordinal order, generated
 * columns, the primary key, the engine (transactional or not), triggers and system versioning
 * (which decide the BINLOG path) and sequences. Also collation ids -> names for user variables.
 * Owner thread only. */
#include "appliers/applier_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t meta_hash(const char *schema, const char *table)
{
    uint32_t h = 2166136261u;
    for (const char *p = schema; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *p = table; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

int apl_query_rows(apl_applier *a, const char *sql, MYSQL_RES **out, repl_error *err)
{
    int rc;
    *out = NULL;
    rc = apl_exec(a, sql, strlen(sql), err);
    if (rc != REPL_OK)
        return rc;
    *out = mysql_store_result(a->conn);
    if (*out == NULL)
        return apl_fail_server(a, NULL, sql, strlen(sql), err);
    return REPL_OK;
}

static void meta_table_free(apl_table *t)
{
    for (int i = 0; i < t->ncols; i++) {
        repl_free(t->cols[i].name);
    }
    repl_free(t->cols);
    repl_free(t->schema);
    repl_free(t->name);
    repl_free(t);
}

void apl_meta_clear(apl_applier *a)
{
    for (int b = 0; b < APL_TABLE_BUCKETS; b++) {
        apl_table *t = a->tables[b];
        while (t != NULL) {
            apl_table *next = t->next;
            meta_table_free(t);
            t = next;
        }
        a->tables[b] = NULL;
    }
}

void apl_meta_free(apl_applier *a)
{
    apl_coll *c = a->colls;
    apl_meta_clear(a);
    while (c != NULL) {
        apl_coll *next = c->next;
        repl_free(c->charset);
        repl_free(c->collation);
        repl_free(c);
        c = next;
    }
    a->colls = NULL;
}

/* "WHERE <s> = 'schema' AND <t> = 'table'" with hex literals (no escaping, any sql_mode). */
static void meta_where(repl_buf *b, const char *scol, const char *tcol, const apl_table *t)
{
    repl_buf_printf(b, " WHERE %s = CONVERT(", scol);
    apl_put_hex_literal(b, t->schema, strlen(t->schema));
    repl_buf_printf(b, " USING utf8mb4) AND %s = CONVERT(", tcol);
    apl_put_hex_literal(b, t->name, strlen(t->name));
    repl_buf_printf(b, " USING utf8mb4)");
}

static int meta_load_columns(apl_applier *a, apl_table *t, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    repl_buf_clear(&a->sql);
    repl_buf_printf(&a->sql, "SELECT COLUMN_NAME, IS_GENERATED, COLUMN_KEY "
                             "FROM information_schema.COLUMNS");
    meta_where(&a->sql, "TABLE_SCHEMA", "TABLE_NAME", t);
    repl_buf_printf(&a->sql, " ORDER BY ORDINAL_POSITION");
    repl_buf_put_u8(&a->sql, 0);
    rc = apl_query_rows(a, (const char *)a->sql.data, &res, err);
    if (rc != REPL_OK)
        return rc;
    t->ncols = (int)mysql_num_rows(res);
    t->cols = repl_calloc((size_t)t->ncols + 1, sizeof(apl_tcol));
    for (int i = 0; i < t->ncols; i++) {
        apl_tcol *c = &t->cols[i];
        row = mysql_fetch_row(res);
        if (row == NULL) {
            t->ncols = i;
            break;
        }
        c->name = repl_strdup(row[0] != NULL ? row[0] : "");
        c->generated = row[1] != NULL && strcmp(row[1], "ALWAYS") == 0;
        c->pk = row[2] != NULL && strcmp(row[2], "PRI") == 0;
    }
    mysql_free_result(res);
    return REPL_OK;
}

static int meta_load_table(apl_applier *a, apl_table *t, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc;
    repl_buf_clear(&a->sql);
    repl_buf_printf(&a->sql, "SELECT t.TABLE_TYPE, e.TRANSACTIONS, (SELECT COUNT(*) FROM "
                             "information_schema.TRIGGERS g");
    meta_where(&a->sql, "g.EVENT_OBJECT_SCHEMA", "g.EVENT_OBJECT_TABLE", t);
    repl_buf_printf(&a->sql, ") FROM information_schema.TABLES t LEFT JOIN "
                             "information_schema.ENGINES e ON e.ENGINE = t.ENGINE");
    meta_where(&a->sql, "t.TABLE_SCHEMA", "t.TABLE_NAME", t);
    repl_buf_put_u8(&a->sql, 0);
    rc = apl_query_rows(a, (const char *)a->sql.data, &res, err);
    if (rc != REPL_OK)
        return rc;
    row = mysql_fetch_row(res);
    if (row != NULL) {
        t->exists = 1;
        t->versioned = row[0] != NULL && strcmp(row[0], "SYSTEM VERSIONED") == 0;
        t->sequence = row[0] != NULL && strcmp(row[0], "SEQUENCE") == 0;
        /* views and unknown engines count as transactional: the statement will fail anyway */
        t->transactional = row[1] == NULL || strcmp(row[1], "NO") != 0;
        t->triggers = row[2] != NULL && atoi(row[2]) > 0;
    }
    mysql_free_result(res);
    return REPL_OK;
}

static int meta_is_catalog_pos(const char *schema, const char *table)
{
    return strncmp(schema, "trep_", 5) == 0 && strcmp(table, "trep_commit_seqno") == 0;
}

static apl_table *meta_find(apl_applier *a, const char *schema, const char *table, uint32_t h)
{
    for (apl_table *t = a->tables[h % APL_TABLE_BUCKETS]; t != NULL; t = t->next) {
        if (strcmp(t->schema, schema) == 0 && strcmp(t->name, table) == 0)
            return t;
    }
    return NULL;
}

int apl_meta_table(apl_applier *a, const char *schema, const char *table, apl_table **out,
                   repl_error *err)
{
    uint32_t h = meta_hash(schema, table);
    apl_table *t = meta_find(a, schema, table, h);
    int rc;
    *out = NULL;
    if (t != NULL) {
        *out = t;
        return REPL_OK;
    }
    t = repl_calloc(1, sizeof(*t));
    t->schema = repl_strdup(schema);
    t->name = repl_strdup(table);
    t->catalog_pos = meta_is_catalog_pos(schema, table);
    rc = meta_load_table(a, t, err);
    if (rc == REPL_OK && t->exists)
        rc = meta_load_columns(a, t, err);
    if (rc != REPL_OK) {
        meta_table_free(t);
        return rc;
    }
    /* sequences take a plain INSERT of their logged row: no BINLOG needed */
    t->binlog_path = a->opts.binlog_path && (t->triggers || t->versioned);
    t->next = a->tables[h % APL_TABLE_BUCKETS];
    a->tables[h % APL_TABLE_BUCKETS] = t;
    *out = t;
    return REPL_OK;
}

int apl_meta_collation(apl_applier *a, unsigned id, const apl_coll **out, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char sql[160];
    int rc;
    *out = NULL;
    for (apl_coll *c = a->colls; c != NULL; c = c->next) {
        if (c->id == id) {
            *out = c;
            return REPL_OK;
        }
    }
    snprintf(sql, sizeof(sql),
             "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS "
             "WHERE ID = %u",
             id);
    rc = apl_query_rows(a, sql, &res, err);
    if (rc != REPL_OK)
        return rc;
    row = mysql_fetch_row(res);
    if (row == NULL || row[0] == NULL || row[1] == NULL) {
        mysql_free_result(res);
        return repl_error_set(err, REPL_ERR_INVALID, "apply: unknown collation id %u", id);
    }
    apl_coll *c = repl_calloc(1, sizeof(*c));
    c->id = id;
    c->charset = repl_strdup(row[0]);
    c->collation = repl_strdup(row[1]);
    c->next = a->colls;
    a->colls = c;
    mysql_free_result(res);
    *out = c;
    return REPL_OK;
}
