/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/integration/apply/apl_test.h - helpers for the applier integration tests: the server to use
 * (REPL_TEST_HOST/PORT/USER/PASSWORD or REPL_TEST_SOCKET, else the throw-away server server.sh
 * started in APL_TEST_SERVER_DIR), an admin connection with asserting query helpers, table
 * comparison, and THL event builders shaped like the extractor's output. Test code only: failures
 * abort the test. */
#ifndef APL_TEST_H
#define APL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <mysql.h>

#include "appliers/applier.h"
#include "thl/event.h"

/** Applier options for service (channel 0, block 100 events / 60 s so tests decide commits). */
void t_options(apl_options *o, const char *service);
/** An admin connection (utf8mb4, multi statements); aborts the test if it fails. */
MYSQL *t_connect(void);
/** Run SQL (printf format); fails the test on error. */
void t_sql(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** First column of the first row as a malloc'd string ("NULL" for NULL, "" for no row). */
char *t_str(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long long t_int(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Fail unless the two tables hold the same rows (ordered by their first column), byte for byte. */
void t_tables_equal(MYSQL *m, const char *t1, const char *t2);
/** Fail unless two queries return the same rows in the same order, byte for byte. */
void t_results_equal(MYSQL *m, const char *q1, const char *q2);
/** Drop and create the given databases; reset the service's catalog rows. */
void t_fresh_db(MYSQL *m, const char *db);
void t_reset_service(MYSQL *m, const char *service);

/** A one-fragment event (LAST_FRAG) with ids and timestamps filled. */
thl_event *t_event(uint64_t seqno);
thl_statement *t_stmt(thl_event *ev, const char *schema, const char *sql);
/** Apply and assert REPL_OK (prints the error otherwise). */
void t_apply(apl_applier *a, const thl_event *ev);
void t_commit(apl_applier *a);
apl_applier *t_open(const char *service);
apl_applier *t_open_opts(const apl_options *o);
uint64_t t_pos_seqno(apl_applier *a); /* UINT64_MAX when empty */

/* Column descriptions as the extractor would fill them (type/meta: MySQL table_def convention). */
void t_col(thl_column *c, const char *name, uint8_t type, uint16_t meta, uint32_t length,
           uint16_t charset, uint8_t flags);

/* Values. */
void t_v_int(thl_value *v, int64_t i);
void t_v_uint(thl_value *v, thl_value_kind kind, uint64_t u);
void t_v_str(thl_event *ev, thl_value *v, const char *s);
void t_v_bytes(thl_event *ev, thl_value *v, const void *p, size_t len);
void t_v_dec(thl_event *ev, thl_value *v, const char *s);
void t_v_date(thl_value *v, unsigned y, unsigned m, unsigned d);
void t_v_time(thl_value *v, int neg, unsigned h, unsigned mi, unsigned s, unsigned us);
void t_v_datetime(thl_value *v, unsigned y, unsigned m, unsigned d, unsigned h, unsigned mi,
                  unsigned s, unsigned us);
void t_v_ts(thl_value *v, int64_t sec, uint32_t usec);

/** Two INT columns (id PK, v) rows item for schema.table: convenient for block/restart tests. */
thl_rows *t_rows_idv(thl_event *ev, const char *schema, const char *table, thl_row_action action);
void t_row_idv(thl_event *ev, thl_rows *r, int64_t id_before, int64_t v_before, int64_t id_after,
               int64_t v_after);

#endif
