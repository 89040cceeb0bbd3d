/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/logical_apply.c - create the non-table objects of a logical backup once every table is
 * loaded: sequence states first, then routines, views (retried while one depends on a view not
 * created yet), triggers (after the data, so loading fired none) and events. Each statement runs
 * in the schema with the sql_mode (and, for events, time_zone) it was created with. */
#include "backup/logical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/restore_int.h"
#include "replicator/base/mem.h"

static const char *apply_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

static int apply_use(bkp_rs *rs, const char *schema, repl_buf *sql, repl_error *err)
{
    repl_buf_clear(sql);
    bkp_buf_puts(sql, "USE ");
    bkp_quote_ident(sql, schema);
    return bkp_conn_exec(rs->control, bkp_buf_str(sql), err);
}

static int apply_session(bkp_rs *rs, const json_t *o, repl_buf *sql, repl_error *err)
{
    repl_buf_clear(sql);
    bkp_buf_puts(sql, "SET SESSION sql_mode = ");
    bkp_quote_string(sql, apply_str(o, "sql_mode"));
    if (strncmp(apply_str(o, "character_set_client"), "utf8", 4) == 0) {
        /* our text is utf8mb4; a utf8mb3 object can hold only 3-byte characters, so its bytes
         * read the same in its own character set: keep the object's metadata as it was */
        bkp_buf_puts(sql, ", character_set_client = ");
        bkp_quote_string(sql, apply_str(o, "character_set_client"));
        bkp_buf_puts(sql, ", collation_connection = ");
        bkp_quote_string(sql, apply_str(o, "collation_connection"));
    }
    if (apply_str(o, "time_zone")[0] != '\0') {
        bkp_buf_puts(sql, ", time_zone = ");
        bkp_quote_string(sql, apply_str(o, "time_zone"));
    }
    return bkp_conn_exec(rs->control, bkp_buf_str(sql), err);
}

static int apply_sequence(bkp_rs *rs, const char *schema, const json_t *o, repl_buf *sql,
                          repl_error *err)
{
    repl_buf_clear(sql);
    bkp_buf_puts(sql, "SELECT SETVAL(");
    bkp_quote_ident(sql, schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, apply_str(o, "name"));
    repl_buf_printf(sql, ", %lld, 0, %lld)", strtoll(apply_str(o, "next"), NULL, 10),
                    strtoll(apply_str(o, "round"), NULL, 10));
    return bkp_conn_exec(rs->control, bkp_buf_str(sql), err);
}

static int apply_event_disable(bkp_rs *rs, const char *schema, const json_t *o, repl_buf *sql,
                               repl_error *err)
{
    repl_buf_clear(sql);
    bkp_buf_puts(sql, "ALTER EVENT ");
    bkp_quote_ident(sql, schema);
    repl_buf_put_u8(sql, '.');
    bkp_quote_ident(sql, apply_str(o, "name"));
    bkp_buf_puts(sql, " DISABLE ON SLAVE");
    return bkp_conn_exec(rs->control, bkp_buf_str(sql), err);
}

static int apply_one(bkp_rs *rs, const char *schema, const json_t *o, repl_buf *sql,
                     repl_error *err)
{
    const char *type = apply_str(o, "type");
    int rc;
    if (strcmp(type, "SEQUENCE") == 0)
        return apply_sequence(rs, schema, o, sql, err);
    rc = apply_use(rs, schema, sql, err);
    if (rc == REPL_OK)
        rc = apply_session(rs, o, sql, err);
    if (rc == REPL_OK)
        rc = bkp_conn_exec(rs->control, apply_str(o, "sql"), err);
    if (rc == REPL_OK && strcmp(type, "EVENT") == 0 && rs->o->events_disabled)
        rc = apply_event_disable(rs, schema, o, sql, err);
    if (rc == REPL_OK)
        rc = bkp_conn_exec(rs->control,
                           "SET character_set_client = utf8mb4, "
                           "collation_connection = utf8mb4_general_ci",
                           err);
    return rc;
}

static int apply_matches(const char *type, const json_t *o)
{
    const char *t = apply_str(o, "type");
    if (json_is_true(json_object_get(o, "_done")))
        return 0;
    if (strcmp(type, "ROUTINE") == 0)
        return strcmp(t, "PROCEDURE") == 0 || strcmp(t, "FUNCTION") == 0;
    return strcmp(t, type) == 0;
}

/* One pass over the objects of one type in one schema file. A view whose table or view does not
 * exist yet (1146) is left pending for the next pass; any other failure stops. */
static int apply_file(bkp_rs *rs, const json_t *file, const char *type, repl_buf *sql, size_t *done,
                      size_t *pending, repl_error *err)
{
    const char *schema = apply_str(file, "schema");
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(file, "objects"), k, o)
    {
        if (!apply_matches(type, o))
            continue;
        if (apply_one(rs, schema, o, sql, err) == REPL_OK) {
            json_object_set_new(o, "_done", json_true());
            (*done)++;
            continue;
        }
        (*pending)++;
        if (strcmp(type, "VIEW") != 0 || err->sys_errno != 1146)
            return repl_error_wrap(err, "backup %s: %s %s.%s", rs->label, apply_str(o, "type"),
                                   schema, apply_str(o, "name"));
    }
    return REPL_OK;
}

/* Apply every object of one type (all schemas). Views are retried while some succeed. */
static int apply_type(bkp_rs *rs, const char *type, repl_buf *sql, repl_error *err)
{
    size_t pending = 1;
    size_t i;
    json_t *file;
    int rc = REPL_OK;
    while (pending > 0 && rc == REPL_OK) {
        size_t done = 0;
        pending = 0;
        json_array_foreach(rs->objects, i, file)
        {
            rc = apply_file(rs, file, type, sql, &done, &pending, err);
            if (rc != REPL_OK)
                break;
        }
        if (rc == REPL_OK && pending > 0 && done == 0)
            rc = repl_error_wrap(err, "backup %s: views depend on missing tables", rs->label);
    }
    return rc;
}

int bkp_rs_apply_objects(bkp_rs *rs, repl_error *err)
{
    static const char *const order[] = { "SEQUENCE", "ROUTINE", "VIEW", "TRIGGER", "EVENT" };
    repl_buf sql;
    int rc = REPL_OK;
    if (rs->objects == NULL)
        return REPL_OK;
    repl_buf_init(&sql);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && rc == REPL_OK; i++)
        rc = apply_type(rs, order[i], &sql, err);
    if (rc == REPL_OK)
        rc = bkp_rs_session(rs->control, err);
    repl_buf_dispose(&sql);
    return rc;
}
