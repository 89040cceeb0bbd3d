/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_ops.c - service commands that talk to the local database: flush (the master's
 * current binlog position into the THL) and heartbeat (a row that travels the whole pipeline). */
#include "replicator/service_int.h"

#include <inttypes.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"

int svc_mysql_connect(repl_service *svc, MYSQL **out, repl_error *err)
{
    const repl_service_config *c = &svc->cfg;
    MYSQL *m = mysql_init(NULL);
    unsigned int timeout = 10;
    *out = NULL;
    if (m == NULL)
        return repl_error_set(err, REPL_ERR_IO, "mysql_init failed");
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    /* a configured socket wins: libmariadb would connect over TCP to a named host */
    if (mysql_real_connect(m, c->mysql_socket[0] != '\0' ? NULL : c->mysql_host, c->mysql_user,
                           c->mysql_password, NULL, (unsigned)c->mysql_port,
                           c->mysql_socket[0] != '\0' ? c->mysql_socket : NULL, 0) == NULL) {
        int rc = repl_error_set(err, REPL_ERR_RETRY, "service %s: connect to %s:%d: %s", c->name,
                                c->mysql_host, c->mysql_port, mysql_error(m));
        mysql_close(m);
        return rc;
    }
    *out = m;
    return REPL_OK;
}

static int ops_exec(MYSQL *m, const char *sql, repl_error *err)
{
    if (mysql_query(m, sql) != 0)
        return repl_error_set(err, REPL_ERR_SOURCE, "%s: %s (error %u)", sql, mysql_error(m),
                              mysql_errno(m));
    MYSQL_RES *res = mysql_store_result(m);
    if (res != NULL)
        mysql_free_result(res);
    return REPL_OK;
}

static int ops_master_status(MYSQL *m, char *file, size_t size, uint64_t *pos, repl_error *err)
{
    MYSQL_RES *res;
    MYSQL_ROW row;
    if (mysql_query(m, "SHOW MASTER STATUS") != 0 || (res = mysql_store_result(m)) == NULL)
        return repl_error_set(err, REPL_ERR_SOURCE, "SHOW MASTER STATUS: %s", mysql_error(m));
    row = mysql_fetch_row(res);
    if (row == NULL || row[0] == NULL || row[1] == NULL) {
        mysql_free_result(res);
        return repl_error_set(err, REPL_ERR_SOURCE, "SHOW MASTER STATUS: no binlog (log_bin off)");
    }
    snprintf(file, size, "%s", row[0]);
    *pos = strtoull(row[1], NULL, 10);
    mysql_free_result(res);
    return REPL_OK;
}

/* Whether the extractor has read up to (file, pos). Binlog file names of one server sort in order.
 */
static int ops_extracted_past(repl_service *svc, const char *file, uint64_t pos)
{
    ext_extractor_status xs;
    int cmp;
    if (svc->extractor == NULL)
        return 0;
    ext_extractor_status_get(svc->extractor, &xs);
    cmp = strcmp(xs.binlog_file, file);
    return cmp > 0 || (cmp == 0 && xs.binlog_offset >= pos);
}

int repl_service_flush(repl_service *svc, uint64_t *seqno, int timeout_sec, repl_error *err)
{
    MYSQL *m = NULL;
    char file[256];
    uint64_t pos = 0;
    thl_log_state st;
    int64_t deadline = repl_clock_mono_ms() + (int64_t)timeout_sec * 1000;
    int rc;
    if (svc->cfg.role != REPL_ROLE_MASTER)
        return repl_error_set(err, REPL_ERR_INVALID, "flush: service %s is not a master",
                              svc->cfg.name);
    rc = svc_mysql_connect(svc, &m, err);
    if (rc == REPL_OK)
        rc = ops_master_status(m, file, sizeof(file), &pos, err);
    mysql_close(m);
    if (rc != REPL_OK)
        return rc;
    while (!ops_extracted_past(svc, file, pos)) {
        if (repl_clock_mono_ms() > deadline)
            return repl_error_set(err, REPL_ERR_RETRY,
                                  "flush: the extractor did not reach %s:%" PRIu64 " within %d s",
                                  file, pos, timeout_sec);
        if (svc->state != SVC_ONLINE)
            return repl_error_set(err, REPL_ERR_INVALID, "flush: service %s is %s", svc->cfg.name,
                                  svc_state_name(svc));
        struct timespec ts = { 0, 20 * 1000000 };
        nanosleep(&ts, NULL);
    }
    /* what the extractor appended is committed at its next group bound or heartbeat */
    ext_extractor_status xs;
    ext_extractor_status_get(svc->extractor, &xs);
    if (xs.has_emitted) {
        int left = (int)(deadline - repl_clock_mono_ms());
        rc = thl_log_wait_seqno(svc->log, xs.emitted_seqno, left > 0 ? left : 0, err);
        if (rc != REPL_OK)
            return rc;
    }
    rc = thl_log_state_get(svc->log, &st, err);
    if (rc == REPL_OK && st.empty)
        return repl_error_set(err, REPL_ERR_NOTFOUND, "flush: the THL is empty");
    if (rc == REPL_OK)
        *seqno = st.max_seqno;
    return rc;
}

static int ops_quote_ok(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\'' || *s == '\\')
            return 0;
    }
    return 1;
}

int repl_service_heartbeat(repl_service *svc, const char *name, repl_error *err)
{
    MYSQL *m = NULL;
    char sql[1024];
    int rc;
    if (name == NULL || name[0] == '\0')
        name = "MANUAL";
    if (!ops_quote_ok(name) || strlen(name) > 128)
        return repl_error_set(err, REPL_ERR_INVALID, "heartbeat: bad name '%s'", name);
    if (svc->cfg.role != REPL_ROLE_MASTER)
        return repl_error_set(err, REPL_ERR_INVALID, "heartbeat: service %s is not a master",
                              svc->cfg.name);
    rc = svc_mysql_connect(svc, &m, err);
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `trep_%s`", svc->cfg.name);
    if (rc == REPL_OK)
        rc = ops_exec(m, sql, err);
    apl_heartbeat_create_sql(sql, sizeof(sql), svc->cfg.name);
    if (rc == REPL_OK)
        rc = ops_exec(m, sql, err);
    snprintf(sql, sizeof(sql),
             "INSERT INTO `trep_%s`.`heartbeat` (id, name, source_tstamp, salt) "
             "VALUES (1, '%s', UTC_TIMESTAMP(6), 1) ON DUPLICATE KEY UPDATE name = VALUES(name), "
             "source_tstamp = VALUES(source_tstamp), salt = salt + 1",
             svc->cfg.name, name);
    if (rc == REPL_OK)
        rc = ops_exec(m, sql, err);
    mysql_close(m);
    if (rc == REPL_OK)
        REPL_LOG_INFO("service", "service=%s heartbeat name=%s", svc->cfg.name, name);
    return rc;
}
