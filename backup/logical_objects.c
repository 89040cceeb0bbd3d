/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_objects.c - the non-table objects of a logical dump, one JSON entry per schema
 * (objects/<schema>.json): sequence states, stored routines, views, triggers and events, each with
 * its CREATE statement and the session settings it was created with (SHOW CREATE ... on the
 * control connection, results in utf8mb4). */
#include "backup/logical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"
#include "backup/logical_int.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/mem.h"

static int obj_set_str(json_t *o, const char *key, const char *v, size_t len, repl_error *err)
{
    json_t *s = json_stringn(v, len);
    if (s == NULL)
        return repl_error_set(err, REPL_ERR_SOURCE, "backup: %s is not valid UTF-8", key);
    bkp_json_set(o, key, s);
    return REPL_OK;
}

static void obj_show_sql(repl_buf *sql, const char *type, const char *schema, const char *name)
{
    repl_buf_clear(sql);
    repl_buf_printf(sql, "SHOW CREATE %s ", type);
    bkp_quote_ident(sql, schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, name);
    (void)bkp_buf_str(sql);
}

/* Pick the statement and session columns of a SHOW CREATE row by their names. */
static int obj_from_row(json_t *o, MYSQL_RES *res, MYSQL_ROW r, repl_error *err)
{
    static const char *const keep[] = { "sql_mode", "character_set_client", "collation_connection",
                                        "time_zone" };
    const MYSQL_FIELD *f = mysql_fetch_fields(res);
    const unsigned long *lens = mysql_fetch_lengths(res);
    int have_sql = 0;
    int rc = REPL_OK;
    for (unsigned i = 0; i < mysql_num_fields(res) && rc == REPL_OK; i++) {
        const int is_sql = strncmp(f[i].name, "Create ", 7) == 0 ||
                           strcmp(f[i].name, "SQL Original Statement") == 0;
        if (r[i] == NULL)
            continue;
        if (is_sql) {
            have_sql = 1;
            rc = obj_set_str(o, "sql", r[i], lens[i], err);
        }
        for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]) && rc == REPL_OK; k++) {
            if (strcmp(f[i].name, keep[k]) == 0)
                rc = obj_set_str(o, keep[k], r[i], lens[i], err);
        }
    }
    if (rc == REPL_OK && !have_sql)
        rc = repl_error_set(err, REPL_ERR_SOURCE, "no statement (missing privileges?)");
    return rc;
}

static int obj_show(bkp_ld *d, json_t *arr, const char *type, const char *schema, const char *name,
                    repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW r;
    repl_buf sql;
    json_t *o = json_object();
    int rc;
    repl_buf_init(&sql);
    obj_show_sql(&sql, type, schema, name);
    bkp_json_set(o, "type", json_string(type));
    rc = obj_set_str(o, "name", name, strlen(name), err);
    if (rc == REPL_OK && (mysql_query(d->control, (const char *)sql.data) != 0 ||
                          (res = mysql_store_result(d->control)) == NULL))
        rc = bkp_conn_error(d->control, err, "backup");
    if (rc == REPL_OK && (r = mysql_fetch_row(res)) != NULL)
        rc = obj_from_row(o, res, r, err);
    if (rc == REPL_OK)
        json_array_append_new(arr, o);
    else
        json_decref(o);
    if (res != NULL)
        mysql_free_result(res);
    if (rc != REPL_OK)
        repl_error_wrap(err, "backup: %s", (const char *)sql.data);
    repl_buf_dispose(&sql);
    return rc;
}

/* Names (column 0) and kinds (column 1, optional) listed by sql; SHOW CREATE for each. */
static int obj_list(bkp_ld *d, json_t *arr, const char *sql, const char *type, const char *schema,
                    repl_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW r;
    int rc = REPL_OK;
    if (mysql_query(d->control, sql) != 0 || (res = mysql_store_result(d->control)) == NULL)
        return bkp_conn_error(d->control, err, "backup: list objects");
    while (rc == REPL_OK && (r = mysql_fetch_row(res)) != NULL) {
        const char *kind = mysql_num_fields(res) > 1 && r[1] != NULL ? r[1] : type;
        if (r[0] != NULL)
            rc = obj_show(d, arr, kind, schema, r[0], err);
    }
    mysql_free_result(res);
    return rc;
}

/* {query before the schema literal, after it, kind} */
static const char *const obj_lists[][3] = {
    { "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ",
      " AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_NAME", "PROCEDURE" },
    { "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ",
      " AND TABLE_TYPE = 'VIEW' ORDER BY TABLE_NAME", "VIEW" },
    { "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ",
      " ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER", "TRIGGER" },
    { "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ",
      " ORDER BY EVENT_NAME", "EVENT" },
};

static void obj_add_sequences(bkp_ld *d, json_t *arr, const char *schema)
{
    size_t i;
    json_t *s;
    json_array_foreach(d->seq_states, i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "schema")), schema) == 0)
            json_array_append(arr, s);
    }
}

static int obj_schema(bkp_ld *d, const char *schema, json_t *arr, repl_error *err)
{
    repl_buf lit;
    repl_buf sql;
    int rc = REPL_OK;
    repl_buf_init(&lit);
    repl_buf_init(&sql);
    bkp_quote_string(&lit, schema);
    (void)bkp_buf_str(&lit);
    obj_add_sequences(d, arr, schema);
    for (size_t i = 0; i < sizeof(obj_lists) / sizeof(obj_lists[0]) && rc == REPL_OK; i++) {
        repl_buf_clear(&sql);
        repl_buf_put(&sql, obj_lists[i][0], strlen(obj_lists[i][0]));
        repl_buf_put(&sql, lit.data, lit.len);
        repl_buf_put(&sql, obj_lists[i][1], strlen(obj_lists[i][1]));
        rc = obj_list(d, arr, bkp_buf_str(&sql), obj_lists[i][2], schema, err);
    }
    repl_buf_dispose(&lit);
    repl_buf_dispose(&sql);
    return rc;
}

static int obj_write_schema(bkp_ld *d, const char *schema, repl_error *err)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    repl_buf name;
    char *text = NULL;
    int rc;
    repl_buf_init(&name);
    bkp_json_set(root, "schema", json_string(schema));
    bkp_json_set(root, "objects", arr);
    rc = obj_schema(d, schema, arr, err);
    if (rc == REPL_OK) {
        text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        bkp_ld_entry_name(&name, "objects", schema, NULL, ".json");
        rc = bkp_archive_add(d->w, (const char *)name.data, text, strlen(text), err);
    }
    if (rc == REPL_OK)
        bkp_manifest_add_file(d->m, (const char *)name.data, "objects", schema, NULL, strlen(text),
                              json_array_size(arr), repl_crc32c(0, text, strlen(text)));
    free(text);
    json_decref(root);
    repl_buf_dispose(&name);
    return rc;
}

int bkp_ld_write_objects(bkp_ld *d, repl_error *err)
{
    int rc = REPL_OK;
    for (size_t i = 0; i < d->n_schemas && rc == REPL_OK; i++)
        rc = obj_write_schema(d, d->schemas[i], err);
    return rc;
}

static int obj_read_sequence(bkp_ld *d, const bkp_ld_table *t, repl_error *err)
{
    char cols[2][1024];
    repl_buf sql;
    json_t *o;
    int rc;
    repl_buf_init(&sql);
    bkp_buf_puts(&sql, "SELECT next_not_cached_value, cycle_count FROM ");
    bkp_quote_ident(&sql, t->schema);
    repl_buf_put_u8(&sql, '.');
    bkp_quote_ident(&sql, t->name);
    rc = bkp_conn_query_row(d->control, bkp_buf_str(&sql), cols, 2, NULL, err);
    repl_buf_dispose(&sql);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "backup: sequence %s.%s", t->schema, t->name);
    o = json_object();
    bkp_json_set(o, "type", json_string("SEQUENCE"));
    bkp_json_set(o, "schema", json_string(t->schema));
    bkp_json_set(o, "name", json_string(t->name));
    bkp_json_set(o, "next", json_string(cols[0]));
    bkp_json_set(o, "round", json_string(cols[1]));
    json_array_append_new(d->seq_states, o);
    return REPL_OK;
}

int bkp_ld_read_sequences(bkp_ld *d, repl_error *err)
{
    int rc = REPL_OK;
    if (d->seq_states == NULL)
        d->seq_states = json_array();
    for (size_t i = 0; i < d->n_tables && rc == REPL_OK; i++) {
        if (d->tables[i].is_sequence)
            rc = obj_read_sequence(d, &d->tables[i], err);
    }
    return rc;
}
