/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/physical.c - physical backup: mariadb-backup --backup --stream=xbstream as a child
 * process (connection options in a private defaults file, never on the command line), its stdout
 * cut into archive entries of piece_bytes, its stderr in a log file that gives the binlog position
 * and, on failure, the error line. */
#include "backup/physical.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/proc_int.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define PHYS_PATH_MAX 4096

void bkp_physical_options_init(bkp_physical_options *o)
{
    memset(o, 0, sizeof(*o));
    o->thl_wait_ms = 30000;
    o->mariadb_backup = "mariadb-backup";
    o->tmp_dir = "/tmp";
    o->piece_bytes = (size_t)16 << 20;
    o->parallel = 1;
}

typedef struct phys_run {
    const bkp_physical_options *o;
    char dir[PHYS_PATH_MAX]; /* scratch: my.cnf, backup.log, target/ */
    char cnf[PHYS_PATH_MAX];
    char log[PHYS_PATH_MAX];
    char target[PHYS_PATH_MAX];
    int log_fd;
    bkp_proc proc;
} phys_run;

static void phys_cnf_line(repl_buf *b, const char *key, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    repl_buf_printf(b, "%s=", key);
    /* option files take the value up to the end of the line; quote to keep # and spaces */
    repl_buf_put_u8(b, '"');
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            repl_buf_put_u8(b, '\\');
        repl_buf_put_u8(b, (uint8_t)*p);
    }
    bkp_buf_puts(b, "\"\n");
}

static int phys_write_cnf(phys_run *r, repl_error *err)
{
    const bkp_conn_options *c = &r->o->conn;
    repl_buf b;
    int fd;
    int rc;
    repl_buf_init(&b);
    repl_buf_printf(&b, "[mariadb-backup]\n");
    phys_cnf_line(&b, "user", c->user);
    phys_cnf_line(&b, "password", c->password);
    if (c->host != NULL && c->host[0] != '\0') {
        phys_cnf_line(&b, "host", c->host);
        repl_buf_printf(&b, "port=%u\nprotocol=TCP\n", c->port != 0 ? c->port : 3306);
    } else {
        phys_cnf_line(&b, "socket", c->socket);
    }
    fd = open(r->cnf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    rc = fd < 0 ? repl_error_sys(err, bkp_errno_code(errno), errno, "backup: create %s", r->cnf)
                : bkp_write_all(fd, b.data, b.len, r->cnf, err);
    if (fd >= 0)
        close(fd);
    repl_buf_dispose(&b);
    return rc;
}

static int phys_prepare(phys_run *r, repl_error *err)
{
    int rc = bkp_scratch_dir(r->dir, sizeof(r->dir), r->o->tmp_dir, "mb", err);
    if (rc != REPL_OK)
        return rc;
    snprintf(r->cnf, sizeof(r->cnf), "%s/my.cnf", r->dir);
    snprintf(r->log, sizeof(r->log), "%s/backup.log", r->dir);
    snprintf(r->target, sizeof(r->target), "%s/target", r->dir);
    if (mkdir(r->target, 0700) != 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: mkdir %s", r->target);
    rc = phys_write_cnf(r, err);
    if (rc != REPL_OK)
        return rc;
    r->log_fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (r->log_fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: create %s", r->log);
    return REPL_OK;
}

static int phys_spawn(phys_run *r, repl_error *err)
{
    char a_cnf[PHYS_PATH_MAX + 32];
    char a_target[PHYS_PATH_MAX + 32];
    char a_par[32];
    const char *argv[8];
    snprintf(a_cnf, sizeof(a_cnf), "--defaults-file=%s", r->cnf);
    snprintf(a_target, sizeof(a_target), "--target-dir=%s", r->target);
    snprintf(a_par, sizeof(a_par), "--parallel=%u", r->o->parallel > 0 ? r->o->parallel : 1);
    argv[0] = r->o->mariadb_backup;
    argv[1] = a_cnf; /* must come first */
    argv[2] = "--backup";
    argv[3] = "--stream=xbstream";
    argv[4] = a_target;
    argv[5] = a_par;
    argv[6] = NULL;
    return bkp_proc_spawn(&r->proc, argv, 0, 1, r->log_fd, err);
}

static int phys_piece(bkp_archive_writer *w, bkp_manifest *m, uint32_t n, const repl_buf *b,
                      repl_error *err)
{
    char name[64];
    int rc;
    snprintf(name, sizeof(name), "physical/backup.xbstream.%06" PRIu32, n);
    rc = bkp_archive_add(w, name, b->data, b->len, err);
    if (rc == REPL_OK)
        bkp_manifest_add_file(m, name, "xbstream", NULL, NULL, b->len, 0,
                              repl_crc32c(0, b->data, b->len));
    return rc;
}

/* Copy the child's stdout into the archive, piece by piece. */
static int phys_stream(phys_run *r, bkp_archive_writer *w, bkp_manifest *m, repl_error *err)
{
    const size_t piece = r->o->piece_bytes >= 65536 ? r->o->piece_bytes : 65536;
    repl_buf b;
    uint32_t n = 0;
    int rc = REPL_OK;
    repl_buf_init(&b);
    repl_buf_reserve(&b, piece);
    for (;;) {
        ssize_t got = read(r->proc.out_fd, b.data + b.len, piece - b.len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = repl_error_sys(err, REPL_ERR_IO, errno, "backup: read from mariadb-backup");
            break;
        }
        b.len += (size_t)got;
        if ((got == 0 && b.len > 0) || b.len == piece) {
            rc = phys_piece(w, m, n++, &b, err);
            repl_buf_clear(&b);
        }
        if (got == 0 || rc != REPL_OK)
            break;
    }
    repl_buf_dispose(&b);
    return rc;
}

/* "MySQL binlog position: filename 'F', position 'P', GTID of the last change 'G'" */
static int phys_position(phys_run *r, bkp_position *pos, repl_error *err)
{
    FILE *f = fopen(r->log, "re");
    char line[4096];
    int found = 0;
    if (f == NULL)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: open %s", r->log);
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p = strstr(line, "binlog position: filename '");
        unsigned long long off = 0;
        if (p == NULL)
            continue;
        if (sscanf(p, "binlog position: filename '%255[^']', position '%llu'", pos->binlog_file,
                   &off) == 2) {
            pos->binlog_pos = off;
            found = 1;
        }
        p = strstr(p, "GTID of the last change '");
        pos->gtid[0] = '\0';
        if (p != NULL)
            sscanf(p, "GTID of the last change '%1023[^']'", pos->gtid);
    }
    fclose(f);
    if (!found)
        REPL_LOG_WARN("backup", "physical: no binlog position in mariadb-backup's log %s", r->log);
    return REPL_OK;
}

static int phys_version(const bkp_physical_options *o, bkp_manifest *m, repl_error *err)
{
    char cols[1][1024];
    MYSQL *c = NULL;
    int rc = bkp_conn_open(&c, &o->conn, 0, err);
    if (rc == REPL_OK)
        rc = bkp_conn_query_row(c, "SELECT VERSION()", cols, 1, NULL, err);
    if (rc == REPL_OK)
        snprintf(m->server_version, sizeof(m->server_version), "%s", cols[0]);
    if (c != NULL)
        mysql_close(c);
    return rc;
}

static int phys_finish(phys_run *r, int rc, repl_error *err)
{
    char tail[1024];
    repl_error werr;
    int wrc;
    if (rc != REPL_OK)
        bkp_proc_kill(&r->proc);
    wrc = bkp_proc_wait(&r->proc, r->o->mariadb_backup, &werr);
    if (rc != REPL_OK || wrc == REPL_OK)
        return rc;
    *err = werr;
    bkp_proc_log_tail(r->log, tail, sizeof(tail));
    return repl_error_set(err, werr.code, "%s: %s", werr.msg, tail);
}

static int phys_map(const bkp_physical_options *o, bkp_manifest *m, repl_error *err)
{
    snprintf(m->position.role, sizeof(m->position.role), "%s", o->slave ? "slave" : "master");
    if (o->slave || o->thl == NULL)
        return REPL_OK;
    return bkp_position_map_thl(&m->position, o->thl, o->thl_wait_ms, err);
}

int bkp_physical_backup(bkp_archive_writer *w, const bkp_physical_options *o, bkp_manifest *m,
                        repl_error *err)
{
    phys_run r;
    int rc;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.log_fd = -1;
    r.proc.pid = -1;
    snprintf(m->method, sizeof(m->method), "physical");
    m->threads = o->parallel;
    rc = phys_version(o, m, err);
    if (rc == REPL_OK)
        rc = phys_prepare(&r, err);
    if (rc == REPL_OK)
        rc = phys_spawn(&r, err);
    if (rc == REPL_OK || r.proc.pid > 0) {
        if (rc == REPL_OK)
            rc = phys_stream(&r, w, m, err);
        rc = phys_finish(&r, rc, err);
    }
    if (rc == REPL_OK)
        rc = phys_position(&r, &m->position, err);
    if (rc == REPL_OK)
        rc = phys_map(o, m, err);
    if (r.log_fd >= 0)
        close(r.log_fd);
    if (r.dir[0] != '\0')
        bkp_remove_tree(r.dir);
    return rc;
}
