/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/source.c - connection to the master and our own binlog dump loop over libmariadb:
 * session variables, COM_BINLOG_DUMP, raw packet reads. Produces raw event bytes only; never
 * decodes them. */
#include "extractors/source.h"

#include <errmsg.h>
#include <errno.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define SOURCE_MAX_PACKET (1024UL * 1024 * 1024)

struct ext_source {
    MYSQL *mysql;
    char name[300];
    int heartbeat_ms;
    uint32_t replica_server_id;
    char version[128];
    int is_mariadb;
};

void ext_source_options_init(ext_source_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->host = "127.0.0.1";
    opts->port = 3306;
    opts->user = "root";
    opts->password = "";
    opts->replica_server_id = 0;
    opts->heartbeat_ms = 1000;
    opts->connect_timeout_sec = 10;
    opts->read_timeout_sec = 30;
}

/* Connection-level failures are worth retrying; everything else is the server saying no. */
static int source_code_for(unsigned int mysql_err)
{
    switch (mysql_err) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:
        return REPL_ERR_RETRY;
    default:
        return REPL_ERR_SOURCE;
    }
}

static int source_fail(ext_source *src, repl_error *err, const char *what)
{
    unsigned int e = mysql_errno(src->mysql);
    int rc = repl_error_set(err, source_code_for(e), "source %s: %s: %s (error %u)", src->name,
                            what, mysql_error(src->mysql), e);
    if (err != NULL)
        err->sys_errno = (int)e;
    return rc;
}

static void source_set_options(MYSQL *m, const ext_source_options *opts)
{
    unsigned int ct = (unsigned int)opts->connect_timeout_sec;
    unsigned int rt = (unsigned int)opts->read_timeout_sec;
    unsigned long maxp = SOURCE_MAX_PACKET;
    my_bool off = 0;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
}

int ext_source_open(ext_source **out, const ext_source_options *opts, repl_error *err)
{
    ext_source *src = repl_calloc(1, sizeof(*src));
    *out = NULL;
    if (opts->socket != NULL && opts->socket[0] != '\0')
        snprintf(src->name, sizeof(src->name), "%s", opts->socket);
    else
        snprintf(src->name, sizeof(src->name), "%s:%u", opts->host, opts->port);
    src->mysql = mysql_init(NULL);
    if (src->mysql == NULL) {
        repl_free(src);
        return repl_error_set(err, REPL_ERR_IO, "source: mysql_init failed (out of memory)");
    }
    source_set_options(src->mysql, opts);
    src->heartbeat_ms = opts->heartbeat_ms;
    src->replica_server_id = opts->replica_server_id;
    /* a configured socket wins: libmariadb would connect over TCP to a named host */
    if (mysql_real_connect(src->mysql,
                           opts->socket != NULL && opts->socket[0] != '\0' ? NULL : opts->host,
                           opts->user, opts->password, NULL, opts->port, opts->socket, 0) == NULL) {
        int rc = source_fail(src, err, "connect");
        ext_source_close(src);
        return rc;
    }
    snprintf(src->version, sizeof(src->version), "%s", mysql_get_server_info(src->mysql));
    src->is_mariadb = strstr(src->version, "MariaDB") != NULL;
    *out = src;
    return REPL_OK;
}

void ext_source_close(ext_source *src)
{
    if (src == NULL)
        return;
    if (src->mysql != NULL)
        mysql_close(src->mysql);
    repl_free(src);
}

const char *ext_source_name(const ext_source *src)
{
    return src->name;
}

const char *ext_source_version(const ext_source *src, int *is_mariadb)
{
    if (is_mariadb != NULL)
        *is_mariadb = src->is_mariadb;
    return src->version;
}

int ext_source_exec(ext_source *src, const char *sql, repl_error *err)
{
    MYSQL_RES *res;
    if (mysql_query(src->mysql, sql) != 0)
        return source_fail(src, err, sql);
    res = mysql_store_result(src->mysql);
    if (res != NULL)
        mysql_free_result(res);
    return REPL_OK;
}

/* Run a query returning one row; copy up to ncols columns into vals (each of size vsize). */
static int source_query_row(ext_source *src, const char *sql, char vals[][256], unsigned ncols,
                            repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int rc = REPL_OK;
    if (mysql_query(src->mysql, sql) != 0)
        return source_fail(src, err, sql);
    res = mysql_store_result(src->mysql);
    if (res == NULL)
        return source_fail(src, err, sql);
    row = mysql_fetch_row(res);
    if (row == NULL || mysql_num_fields(res) < ncols) {
        rc = repl_error_set(err, REPL_ERR_SOURCE, "source %s: %s returned no row", src->name, sql);
        goto cleanup;
    }
    for (unsigned i = 0; i < ncols; i++)
        snprintf(vals[i], 256, "%s", row[i] != NULL ? row[i] : "");
cleanup:
    mysql_free_result(res);
    return rc;
}

typedef struct preflight_rule {
    const char *name;
    const char *want; /* accepted value (case-insensitive); NULL: special check */
    const char *fix;
} preflight_rule;

static const preflight_rule preflight_rules[] = {
    { "log_bin", "1",
      "add log_bin=mariadb-bin to the [mysqld] section of my.cnf and restart the server" },
    { "binlog_format", "ROW",
      "run SET GLOBAL binlog_format='ROW'; and set binlog_format=ROW in my.cnf" },
    { "binlog_row_metadata", "FULL",
      "run SET GLOBAL binlog_row_metadata='FULL'; and set binlog_row_metadata=FULL in my.cnf" },
    { "server_id", NULL,
      "run SET GLOBAL server_id=<unique non-zero id>; and set server_id in my.cnf" },
    { "binlog_checksum", NULL,
      "run SET GLOBAL binlog_checksum='CRC32'; and set binlog_checksum=CRC32 in my.cnf" },
};

static int preflight_check(const ext_source *src, const preflight_rule *r, const char *val,
                           repl_error *err)
{
    int ok;
    if (r->want != NULL)
        ok = strcasecmp(val, r->want) == 0;
    else if (strcmp(r->name, "server_id") == 0)
        ok = strcmp(val, "0") != 0 && val[0] != '\0';
    else
        ok = strcasecmp(val, "CRC32") == 0 || strcasecmp(val, "NONE") == 0;
    if (ok)
        return REPL_OK;
    return repl_error_set(err, REPL_ERR_INVALID, "source %s: %s is '%s' but trep needs %s: %s",
                          src->name, r->name, val, r->want != NULL ? r->want : "a supported value",
                          r->fix);
}

int ext_source_preflight(ext_source *src, repl_error *err)
{
    char vals[5][256];
    int rc = source_query_row(src,
                              "SELECT @@global.log_bin, @@global.binlog_format, "
                              "@@global.binlog_row_metadata, @@global.server_id, "
                              "@@global.binlog_checksum",
                              vals, 5, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "preflight");
    for (unsigned i = 0; i < 5; i++) {
        rc = preflight_check(src, &preflight_rules[i], vals[i], err);
        if (rc != REPL_OK)
            return rc;
    }
    return REPL_OK;
}

int ext_source_master_status(ext_source *src, char *file, size_t file_size, uint64_t *offset,
                             char *gtid, size_t gtid_size, repl_error *err)
{
    char vals[2][256];
    char gvals[1][256];
    int rc = source_query_row(src, "SHOW MASTER STATUS", vals, 2, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "master status (is log_bin on?)");
    snprintf(file, file_size, "%s", vals[0]);
    *offset = strtoull(vals[1], NULL, 10);
    gvals[0][0] = '\0';
    if (src->is_mariadb) {
        rc = source_query_row(src, "SELECT @@global.gtid_binlog_pos", gvals, 1, err);
        if (rc != REPL_OK)
            return rc;
    }
    if (gtid != NULL)
        snprintf(gtid, gtid_size, "%s", gvals[0]);
    return REPL_OK;
}

/* Session variables a replica sets before the dump (binlog-notes.md section 2.2). */
static int source_set_session(ext_source *src, const ext_start *start, int heartbeat_ms,
                              repl_error *err)
{
    char sql[1400];
    int rc = ext_source_exec(src, "SET @master_binlog_checksum = @@global.binlog_checksum", err);
    if (rc == REPL_OK)
        rc = ext_source_exec(src, "SET @mariadb_slave_capability = 4", err);
    if (rc == REPL_OK && heartbeat_ms > 0) {
        snprintf(sql, sizeof(sql), "SET @master_heartbeat_period = %lld",
                 (long long)heartbeat_ms * 1000000LL);
        rc = ext_source_exec(src, sql, err);
    }
    if (rc == REPL_OK && start->kind == EXT_START_GTID) {
        if (strchr(start->gtid, '\'') != NULL || strchr(start->gtid, '\\') != NULL)
            return repl_error_set(err, REPL_ERR_INVALID, "source: bad GTID position '%s'",
                                  start->gtid);
        snprintf(sql, sizeof(sql), "SET @slave_connect_state = '%s'", start->gtid);
        rc = ext_source_exec(src, sql, err);
        if (rc == REPL_OK)
            rc = ext_source_exec(src, "SET @slave_gtid_strict_mode = 1", err);
    }
    return rc;
}

static int source_send_dump(ext_source *src, const char *file, uint64_t offset, uint32_t server_id,
                            repl_error *err)
{
    unsigned char buf[4 + 2 + 4 + 256];
    size_t flen = strlen(file);
    if (flen > 255)
        return repl_error_set(err, REPL_ERR_INVALID, "source: binlog file name too long");
    if (offset > UINT32_MAX)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "source %s: binlog offset %llu beyond 4 GiB cannot be requested",
                              src->name, (unsigned long long)offset);
    for (int i = 0; i < 4; i++)
        buf[i] = (unsigned char)(offset >> (8 * i));
    buf[4] = 0; /* flags: blocking dump */
    buf[5] = 0;
    for (int i = 0; i < 4; i++)
        buf[6 + i] = (unsigned char)(server_id >> (8 * i));
    memcpy(buf + 10, file, flen);
    if (src->mysql->methods->db_command(src->mysql, COM_BINLOG_DUMP, (const char *)buf, 10 + flen,
                                        1, NULL) != 0)
        return source_fail(src, err, "COM_BINLOG_DUMP");
    return REPL_OK;
}

int ext_source_dump_start(ext_source *src, const ext_start *start, repl_error *err)
{
    ext_start now = *start;
    int rc;
    if (start->kind == EXT_START_NOW) {
        rc = ext_source_master_status(src, now.file, sizeof(now.file), &now.offset, NULL, 0, err);
        if (rc != REPL_OK)
            return rc;
        now.kind = EXT_START_FILE;
    }
    rc = source_set_session(src, &now, src->heartbeat_ms, err);
    if (rc != REPL_OK)
        return rc;
    if (now.kind == EXT_START_GTID)
        rc = source_send_dump(src, "", 4, src->replica_server_id, err);
    else
        rc = source_send_dump(src, now.file, now.offset, src->replica_server_id, err);
    if (rc != REPL_OK)
        return rc;
    REPL_LOG_INFO("extract", "dump started source=%s start=%s", src->name,
                  now.kind == EXT_START_GTID ? now.gtid : now.file);
    return REPL_OK;
}

/* A packet that is neither an event, EOF nor an error: the connection is in an unknown state. The
 * stream is dropped and re-read from the last complete transaction (an exact resume), so this is a
 * retry; the bytes are kept in the message for diagnosis. */
static int source_bad_packet(ext_source *src, const uint8_t *p, unsigned long n, repl_error *err)
{
    char hex[3 * 16 + 1];
    size_t k = 0;
    for (unsigned long i = 0; i < n && i < 16; i++)
        k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x ", p[i]);
    hex[k > 0 ? k - 1 : 0] = '\0';
    return repl_error_set(err, REPL_ERR_RETRY,
                          "source %s: unexpected packet (type 0x%02x, %lu bytes: %s) in the binlog "
                          "stream; reconnecting",
                          src->name, p[0], n, hex);
}

int ext_source_next(ext_source *src, const uint8_t **event, size_t *len, repl_error *err)
{
    unsigned long n = mysql_net_read_packet(src->mysql);
    const uint8_t *p;
    if (n == packet_error || n == 0)
        return source_fail(src, err, "read binlog event");
    p = src->mysql->net.read_pos;
    if (p[0] == 0xfe && n < 9)
        return repl_error_set(err, REPL_ERR_NOTFOUND, "source %s: end of binlog", src->name);
    if (p[0] != 0x00)
        return source_bad_packet(src, p, n, err);
    *event = p + 1;
    *len = n - 1;
    return REPL_OK;
}

void ext_source_interrupt(ext_source *src)
{
    my_socket fd = mysql_get_socket(src->mysql);
    if (fd != (my_socket)-1)
        shutdown(fd, SHUT_RDWR);
}
