/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/thl/test_net.c - the THL network protocol (thl/net.h): a real thl-server on 127.0.0.1
 * (ephemeral port) over a master THL, thl-clients over slave THLs: byte-identical replication,
 * resume, live appends, refusals (divergence, slave ahead, purged, secrets, service, version), stop
 * and close promptness; a fake master writing raw frames (bad CRC, oversize, truncated, closed
 * mid-frame, out of order) and a raw slave sending garbage; SHA-256/HMAC against FIPS 180 / RFC
 * 4231 vectors. Frames are built here by hand from docs/thl-protocol.md, independently of the
 * library's encoder. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "replicator/base/buf.h"
#include "replicator/base/clock.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/mem.h"
#include "thl/log.h"
#include "thl/net.h"

#define WAIT_MS 10000 /* generous bound on every wait (sanitizer builds are slow) */

/* ---- temporary logs ---- */

typedef struct tlog {
    char path[64];
    thl_log *log;
} tlog;

static void tlog_open(tlog *t)
{
    thl_log_options o;
    repl_error err;
    snprintf(t->path, sizeof(t->path), "/tmp/trep-test-net-XXXXXX");
    assert_non_null(mkdtemp(t->path));
    thl_log_options_init(&o);
    o.dir = t->path;
    o.service = "alpha";
    o.sync = THL_SYNC_NONE;
    o.map_bytes = 64u << 20;
    if (thl_log_open(&t->log, &o, &err) != REPL_OK)
        fail_msg("open %s: %s", t->path, err.msg);
}

static void tlog_close(tlog *t)
{
    char p[128];
    thl_log_close(t->log);
    snprintf(p, sizeof(p), "%s/data.mdb", t->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", t->path);
    unlink(p);
    rmdir(t->path);
}

static thl_event *ev_make(uint64_t seqno, uint16_t fragno, int last, uint64_t epoch,
                          const char *tag)
{
    thl_event *ev = thl_event_new();
    thl_statement *st;
    char eid[128];
    char sql[128];
    ev->seqno = seqno;
    ev->fragno = fragno;
    ev->flags = last ? THL_EV_LAST_FRAG : 0;
    ev->epoch = epoch;
    ev->source_tstamp_us = 1700000000000000 + (int64_t)seqno;
    snprintf(eid, sizeof(eid), "mysql-bin.000001:%llu;0-1-%llu%s",
             (unsigned long long)(4 + seqno * 100), (unsigned long long)seqno + 1, tag);
    thl_event_set_ids(ev, "master-a", eid, "db1");
    st = thl_event_add_statement(ev);
    st->schema = thl_event_strdup(ev, "db1");
    snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%llu, %u)", (unsigned long long)seqno,
             fragno);
    st->sql = (const uint8_t *)thl_event_strdup(ev, sql);
    st->sql_len = strlen(sql);
    return ev;
}

static void append_one(thl_log *log, uint64_t seqno, uint16_t fragno, int last, uint64_t epoch,
                       const char *tag)
{
    thl_event *ev = ev_make(seqno, fragno, last, epoch, tag);
    repl_error err;
    if (thl_log_append(log, ev, &err) != REPL_OK)
        fail_msg("append seqno=%llu: %s", (unsigned long long)seqno, err.msg);
    thl_event_free(ev);
}

/* Seqnos from..to, seqno 10 (when in range) as three fragments; then commit. */
static void append_range(thl_log *log, uint64_t from, uint64_t to, uint64_t epoch, const char *tag)
{
    repl_error err;
    for (uint64_t s = from; s <= to; s++) {
        if (s == 10) {
            append_one(log, s, 0, 0, epoch, tag);
            append_one(log, s, 1, 0, epoch, tag);
            append_one(log, s, 2, 1, epoch, tag);
        } else {
            append_one(log, s, 0, 1, epoch, tag);
        }
    }
    assert_int_equal(thl_log_commit(log, &err), REPL_OK);
}

/* Copy master records [from, to] into the slave as is. */
static void copy_range(thl_log *dst, thl_log *src, uint64_t from, uint64_t to)
{
    repl_buf b;
    repl_error err;
    repl_buf_init(&b);
    for (uint64_t s = from; s <= to; s++) {
        for (uint16_t f = 0; thl_log_read_record(src, s, f, &b, &err) == REPL_OK; f++)
            assert_int_equal(thl_log_append_record(dst, b.data, b.len, &err), REPL_OK);
    }
    assert_int_equal(thl_log_commit(dst, &err), REPL_OK);
    repl_buf_dispose(&b);
}

static thl_log_state state_of(thl_log *log)
{
    thl_log_state st;
    repl_error err;
    assert_int_equal(thl_log_state_get(log, &st, &err), REPL_OK);
    return st;
}

/* Every record of a in [from, to] is byte-identical in b; returns the number compared. */
static size_t compare_logs(thl_log *a, thl_log *b, uint64_t from, uint64_t to)
{
    repl_buf x;
    repl_buf y;
    repl_error err;
    size_t n = 0;
    repl_buf_init(&x);
    repl_buf_init(&y);
    for (uint64_t s = from; s <= to; s++) {
        uint16_t f = 0;
        while (thl_log_read_record(a, s, f, &x, &err) == REPL_OK) {
            if (thl_log_read_record(b, s, f, &y, &err) != REPL_OK)
                fail_msg("slave lacks seqno=%llu fragno=%u", (unsigned long long)s, f);
            assert_int_equal(x.len, y.len);
            assert_memory_equal(x.data, y.data, x.len);
            n++;
            f++;
        }
        assert_true(f > 0);
    }
    repl_buf_dispose(&x);
    repl_buf_dispose(&y);
    return n;
}

/* ---- server and client helpers ---- */

static thl_server *server_start(thl_log *log, const char *secret, uint32_t heartbeat_ms)
{
    thl_server_options o;
    thl_server *s = NULL;
    repl_error err;
    thl_server_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.service = "alpha";
    o.secret = secret;
    o.heartbeat_ms = heartbeat_ms;
    o.timeout_ms = 5000;
    if (thl_server_open(&s, &o, log, &err) != REPL_OK)
        fail_msg("server: %s", err.msg);
    assert_true(thl_server_port(s) > 0);
    return s;
}

static void uri_of(char *out, size_t len, uint16_t port)
{
    snprintf(out, len, "thl://127.0.0.1:%u", (unsigned)port);
}

static int client_open(thl_client **c, uint16_t port, const char *secret, int force, thl_log *log,
                       repl_error *err)
{
    thl_client_options o;
    char uri[64];
    uri_of(uri, sizeof(uri), port);
    thl_client_options_init(&o);
    o.uri = uri;
    o.service = "alpha";
    o.secret = secret;
    o.force = force;
    o.timeout_ms = 5000;
    o.commit_every = 7;
    return thl_client_open(c, &o, log, err);
}

typedef struct runner {
    thl_client *client;
    pthread_t thread;
    int rc;
    repl_error err;
} runner;

static void *runner_main(void *arg)
{
    runner *r = arg;
    r->rc = thl_client_run(r->client, &r->err);
    return NULL;
}

static void runner_start(runner *r, uint16_t port, const char *secret, thl_log *slave)
{
    memset(r, 0, sizeof(*r));
    if (client_open(&r->client, port, secret, 0, slave, &r->err) != REPL_OK)
        fail_msg("client open: %s", r->err.msg);
    assert_int_equal(pthread_create(&r->thread, NULL, runner_main, r), 0);
}

static int runner_stop(runner *r)
{
    thl_client_stop(r->client);
    pthread_join(r->thread, NULL);
    thl_client_close(r->client);
    return r->rc;
}

static void wait_slave(thl_log *slave, uint64_t seqno)
{
    repl_error err;
    if (thl_log_wait_seqno(slave, seqno, WAIT_MS, &err) != REPL_OK)
        fail_msg("slave never reached seqno %llu: %s", (unsigned long long)seqno, err.msg);
}

/* Poll a condition (state owned by other threads, no waitable event) within WAIT_MS. */
static int server_acked(thl_server *s, uint64_t seqno)
{
    const int64_t deadline = repl_clock_mono_ms() + WAIT_MS;
    while (repl_clock_mono_ms() < deadline) {
        thl_server_client *cl = NULL;
        const size_t n = thl_server_clients(s, &cl);
        const int ok = n == 1 && cl[0].has_acked && cl[0].acked_seqno == seqno;
        repl_free(cl);
        if (ok)
            return 1;
        usleep(2000);
    }
    return 0;
}

static uint64_t server_errors_reach(thl_server *s, uint64_t count, repl_error *out)
{
    const int64_t deadline = repl_clock_mono_ms() + WAIT_MS;
    uint64_t n = thl_server_last_error(s, out);
    while (n < count && repl_clock_mono_ms() < deadline) {
        usleep(2000);
        n = thl_server_last_error(s, out);
    }
    return n;
}

/* ---- SHA-256 ---- */

static void hex(char *out, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha(const void *data, size_t len, const char *want)
{
    uint8_t d[32];
    char h[65];
    thl_net_sha256(d, data, len);
    hex(h, d, 32);
    assert_string_equal(h, want);
}

static void net__sha256_fips_vectors(void **state)
{
    char *million = repl_malloc(1000000);
    (void)state;
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
              "nopqrlmnopqrsmnopqrstnopqrstu",
              112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    memset(million, 'a', 1000000);
    check_sha(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    repl_free(million);
}

static void net__hmac_rfc4231_vectors(void **state)
{
    uint8_t key[131];
    uint8_t d[32];
    char h[65];
    static const char msg6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    (void)state;
    memset(key, 0x0b, 20);
    thl_net_hmac_sha256(d, key, 20, "Hi There", 8);
    hex(h, d, 32);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    thl_net_hmac_sha256(d, "Jefe", 4, "what do ya want for nothing?", 28);
    hex(h, d, 32);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, sizeof(key));
    thl_net_hmac_sha256(d, key, sizeof(key), msg6, strlen(msg6));
    hex(h, d, 32);
    assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void net__backoff_bounds(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        const int a = thl_backoff_next_ms(0);
        const int b = thl_backoff_next_ms(3);
        const int c = thl_backoff_next_ms(40);
        assert_true(a >= 75 && a <= 100);
        assert_true(b >= 600 && b <= 800);
        assert_true(c >= 7500 && c <= 10000);
    }
}

static void net__stop_token_wakes_wait(void **state)
{
    thl_net_stop *stop = NULL;
    repl_error err;
    int64_t t0;
    (void)state;
    assert_int_equal(thl_net_stop_new(&stop, &err), REPL_OK);
    assert_int_equal(thl_net_stop_wait(stop, 20), 0);
    assert_int_equal(thl_net_stop_is_set(stop), 0);
    thl_net_stop_signal(stop);
    t0 = repl_clock_mono_ms();
    assert_int_equal(thl_net_stop_wait(stop, 5000), 1);
    assert_true(repl_clock_mono_ms() - t0 < 1000);
    thl_net_stop_free(stop);
    thl_net_stop_free(NULL);
}

/* ---- replication through a real server ---- */

static void net__replicates_byte_identical(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    thl_client_status cs;
    uint64_t need = 0;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 49, 0, "");
    s = server_start(m.log, NULL, 1000);
    assert_int_equal(thl_server_min_needed(s, &need), 0);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    wait_slave(sl.log, 49);
    assert_true(server_acked(s, 49));
    assert_int_equal(thl_server_min_needed(s, &need), 1);
    assert_true(need == 50);
    thl_client_status_get(r.client, &cs);
    assert_true(cs.start_seqno == 0);
    assert_true(cs.has_acked && cs.acked_seqno == 49);
    assert_true(cs.master_max_seqno == 49);
    assert_int_equal(runner_stop(&r), REPL_OK);
    assert_int_equal(compare_logs(m.log, sl.log, 0, 49), 52);
    assert_true(state_of(sl.log).max_seqno == 49);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__resume_from_middle_and_live_appends(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    thl_server_client *cl = NULL;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 29, 0, "");
    copy_range(sl.log, m.log, 0, 14);
    s = server_start(m.log, NULL, 1000);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    wait_slave(sl.log, 29);
    assert_int_equal(thl_server_clients(s, &cl), 1);
    assert_true(cl[0].start_seqno == 15);
    assert_string_equal(cl[0].service, "alpha");
    assert_true(cl[0].connected_since_us > 0);
    repl_free(cl);
    /* the master keeps writing while the slave is connected */
    append_range(m.log, 30, 44, 0, "");
    wait_slave(sl.log, 44);
    append_one(m.log, 45, 0, 1, 45, "");
    assert_int_equal(thl_log_commit(m.log, &(repl_error){ 0 }), REPL_OK);
    wait_slave(sl.log, 45);
    assert_int_equal(runner_stop(&r), REPL_OK);
    compare_logs(m.log, sl.log, 0, 45);
    assert_true(state_of(sl.log).last_epoch == 45);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__resumes_after_partial_transaction(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    repl_buf b;
    repl_error err;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 19, 0, "");
    copy_range(sl.log, m.log, 0, 9);
    /* the slave lost its master after two of seqno 10's three fragments */
    repl_buf_init(&b);
    for (uint16_t f = 0; f < 2; f++) {
        assert_int_equal(thl_log_read_record(m.log, 10, f, &b, &err), REPL_OK);
        assert_int_equal(thl_log_append_record(sl.log, b.data, b.len, &err), REPL_OK);
    }
    assert_int_equal(thl_log_commit(sl.log, &err), REPL_OK);
    repl_buf_dispose(&b);
    assert_true(state_of(sl.log).max_seqno == 9);
    s = server_start(m.log, NULL, 1000);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    wait_slave(sl.log, 19);
    assert_int_equal(runner_stop(&r), REPL_OK);
    assert_int_equal(compare_logs(m.log, sl.log, 0, 19), 22);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__heartbeats_when_idle(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    thl_client_status cs;
    const int64_t deadline = repl_clock_mono_ms() + WAIT_MS;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    s = server_start(m.log, NULL, 20);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    do {
        usleep(2000);
        thl_client_status_get(r.client, &cs);
    } while (cs.master_clock_us == 0 && repl_clock_mono_ms() < deadline);
    assert_true(cs.master_clock_us > 0);
    assert_true(cs.master_empty);
    assert_false(cs.has_acked);
    assert_int_equal(strncmp(cs.master, "127.0.0.1:", 10), 0);
    /* a master that starts empty: the first records arrive */
    append_range(m.log, 0, 3, 0, "");
    wait_slave(sl.log, 3);
    assert_int_equal(runner_stop(&r), REPL_OK);
    compare_logs(m.log, sl.log, 0, 3);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__close_with_client_connected_is_prompt(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    int64_t t0;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 4, 0, "");
    s = server_start(m.log, NULL, 60000);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    wait_slave(sl.log, 4);
    assert_true(server_acked(s, 4));
    t0 = repl_clock_mono_ms();
    thl_server_close(s);
    assert_true(repl_clock_mono_ms() - t0 < 2000);
    pthread_join(r.thread, NULL);
    assert_int_equal(r.rc, REPL_ERR_RETRY);
    assert_non_null(strstr(r.err.msg, "shutting down"));
    thl_client_close(r.client);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__client_stop_is_prompt(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    runner r;
    int64_t t0;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    s = server_start(m.log, NULL, 60000);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    t0 = repl_clock_mono_ms();
    assert_int_equal(runner_stop(&r), REPL_OK);
    assert_true(repl_clock_mono_ms() - t0 < 2000);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

/* ---- refusals ---- */

static void expect_refusal(thl_server *s, thl_log *slave, const char *secret, int force, int code,
                           const char *text)
{
    thl_client *c = NULL;
    repl_error err;
    repl_error serr;
    uint64_t before = thl_server_last_error(s, &serr);
    const int rc = client_open(&c, thl_server_port(s), secret, force, slave, &err);
    if (rc != code || strstr(err.msg, text) == NULL)
        fail_msg("expected %d '%s', got %d '%s'", code, text, rc, err.msg);
    assert_null(c);
    if (code == REPL_ERR_INVALID && strstr(text, "does not require") == NULL) {
        assert_true(server_errors_reach(s, before + 1, &serr) == before + 1);
        assert_int_equal(serr.code, REPL_ERR_INVALID);
        assert_non_null(strstr(serr.msg, text));
    }
}

static void net__divergence_refused_unless_forced(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    thl_client *c = NULL;
    thl_client_status cs;
    repl_error err;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 29, 9, "");
    append_range(sl.log, 0, 19, 7, ";other");
    s = server_start(m.log, NULL, 1000);
    expect_refusal(s, sl.log, NULL, 0, REPL_ERR_INVALID,
                   "diverged: slave seqno 19 epoch 7 event_id mysql-bin.000001:1904;0-1-20;other, "
                   "master has epoch 9 event_id mysql-bin.000001:1904;0-1-20 at that seqno; "
                   "reprovision the slave or use --force");
    assert_int_equal(client_open(&c, thl_server_port(s), NULL, 1, sl.log, &err), REPL_OK);
    thl_client_status_get(c, &cs);
    assert_true(cs.start_seqno == 20);
    thl_client_close(c);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

/* A slave restored from a backup: empty (reset) log, but it states the backup's position; the
 * master checks it and sends what follows. A wrong event_id at that seqno is refused. */
static void net__empty_slave_starts_after_stated_position(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    thl_client *c = NULL;
    thl_client_options o;
    thl_client_status cs;
    repl_error err;
    char uri[64];
    char eid[128];
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 29, 0, "");
    assert_int_equal(thl_log_reset(sl.log, &err), REPL_OK);
    s = server_start(m.log, NULL, 1000);
    uri_of(uri, sizeof(uri), thl_server_port(s));
    thl_client_options_init(&o);
    o.uri = uri;
    o.service = "alpha";
    o.has_start_after = 1;
    o.start_after_seqno = 14;
    o.start_after_epoch = 0;
    o.start_after_event_id = "mysql-bin.000001:1404;0-1-15;wrong";
    assert_int_equal(thl_client_open(&c, &o, sl.log, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "diverged"));
    snprintf(eid, sizeof(eid), "mysql-bin.000001:1404;0-1-15");
    o.start_after_event_id = eid;
    assert_int_equal(thl_client_open(&c, &o, sl.log, &err), REPL_OK);
    thl_client_status_get(c, &cs);
    assert_true(cs.start_seqno == 15);
    thl_client_close(c);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__slave_ahead_refused(void **state)
{
    tlog m;
    tlog sl;
    tlog empty;
    thl_server *s;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    tlog_open(&empty);
    append_range(m.log, 0, 9, 0, "");
    append_range(sl.log, 0, 14, 0, "");
    s = server_start(m.log, NULL, 1000);
    expect_refusal(s, sl.log, NULL, 0, REPL_ERR_INVALID,
                   "slave ahead of master: slave seqno 14, master max seqno 9");
    expect_refusal(s, sl.log, NULL, 1, REPL_ERR_INVALID, "slave ahead of master");
    thl_server_close(s);
    s = server_start(empty.log, NULL, 1000);
    expect_refusal(s, sl.log, NULL, 0, REPL_ERR_INVALID,
                   "slave ahead of master: slave seqno 14, master THL is empty");
    thl_server_close(s);
    tlog_close(&empty);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__purged_position(void **state)
{
    tlog m;
    tlog sl;
    tlog sl2;
    thl_server *s;
    runner r;
    uint64_t removed = 0;
    repl_error err;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    tlog_open(&sl2);
    append_range(m.log, 0, 39, 0, "");
    copy_range(sl.log, m.log, 0, 9);
    copy_range(sl2.log, m.log, 0, 29);
    assert_int_equal(thl_log_purge(m.log, 30, &removed, &err), REPL_OK);
    assert_true(removed == 32);
    s = server_start(m.log, NULL, 1000);
    expect_refusal(s, sl.log, NULL, 0, REPL_ERR_INVALID,
                   "master purged seqno 10 the slave needs next (oldest stored is 30)");
    /* the slave's last record is purged, the next is not: checked through the epoch history */
    runner_start(&r, thl_server_port(s), NULL, sl2.log);
    wait_slave(sl2.log, 39);
    assert_int_equal(runner_stop(&r), REPL_OK);
    compare_logs(m.log, sl2.log, 30, 39);
    thl_server_close(s);
    tlog_close(&sl2);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__secrets(void **state)
{
    tlog m;
    tlog sl;
    thl_server *s;
    thl_server *open_srv;
    runner r;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    append_range(m.log, 0, 5, 0, "");
    s = server_start(m.log, "s3cret", 1000);
    expect_refusal(s, sl.log, "wrong", 0, REPL_ERR_INVALID,
                   "authentication failed: wrong shared secret");
    expect_refusal(s, sl.log, NULL, 0, REPL_ERR_INVALID, "authentication required");
    assert_true(state_of(sl.log).empty);
    runner_start(&r, thl_server_port(s), "s3cret", sl.log);
    wait_slave(sl.log, 5);
    assert_int_equal(runner_stop(&r), REPL_OK);
    compare_logs(m.log, sl.log, 0, 5);
    open_srv = server_start(m.log, NULL, 1000);
    expect_refusal(open_srv, sl.log, "s3cret", 0, REPL_ERR_INVALID,
                   "does not require the shared secret");
    thl_server_close(open_srv);
    thl_server_close(s);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__service_mismatch_and_max_clients(void **state)
{
    tlog m;
    tlog sl;
    tlog sl2;
    thl_server_options o;
    thl_server *s = NULL;
    thl_client_options co;
    thl_client *c = NULL;
    runner r;
    char uri[64];
    repl_error err;
    (void)state;
    tlog_open(&m);
    tlog_open(&sl);
    tlog_open(&sl2);
    s = server_start(m.log, NULL, 1000);
    uri_of(uri, sizeof(uri), thl_server_port(s));
    thl_client_options_init(&co);
    co.uri = uri;
    co.service = "beta";
    assert_int_equal(thl_client_open(&c, &co, sl.log, &err), REPL_ERR_INVALID);
    assert_non_null(
        strstr(err.msg, "service mismatch: slave asks for 'beta', master serves 'alpha'"));
    thl_server_close(s);
    s = NULL;
    thl_server_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.max_clients = 1;
    assert_int_equal(thl_server_open(&s, &o, m.log, &err), REPL_OK);
    runner_start(&r, thl_server_port(s), NULL, sl.log);
    uri_of(uri, sizeof(uri), thl_server_port(s));
    co.service = "alpha";
    assert_int_equal(thl_client_open(&c, &co, sl2.log, &err), REPL_ERR_RETRY);
    assert_non_null(strstr(err.msg, "too many slaves (max 1)"));
    assert_int_equal(runner_stop(&r), REPL_OK);
    thl_server_close(s);
    tlog_close(&sl2);
    tlog_close(&sl);
    tlog_close(&m);
}

static void net__addresses_and_connect_errors(void **state)
{
    tlog m;
    thl_server_options o;
    thl_server *s = NULL;
    thl_server *s2 = NULL;
    thl_client *c = NULL;
    thl_client_options co;
    char addr[64];
    repl_error err;
    (void)state;
    tlog_open(&m);
    thl_server_options_init(&o);
    o.listen = "127.0.0.1:99999";
    assert_int_equal(thl_server_open(&s, &o, m.log, &err), REPL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "port must be a number"));
    o.listen = "[::1";
    assert_int_equal(thl_server_open(&s, &o, m.log, &err), REPL_ERR_INVALID);
    o.listen = "thl://127.0.0.1:0";
    assert_int_equal(thl_server_open(&s, &o, m.log, &err), REPL_OK);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)thl_server_port(s));
    o.listen = addr;
    assert_int_equal(thl_server_open(&s2, &o, m.log, &err), REPL_ERR_IO);
    assert_non_null(strstr(err.msg, addr));
    assert_non_null(strstr(err.msg, "in use"));
    thl_server_close(s);
    /* nobody listens there any more */
    thl_client_options_init(&co);
    co.uri = addr;
    assert_int_equal(thl_client_open(&c, &co, m.log, &err), REPL_ERR_RETRY);
    assert_non_null(strstr(err.msg, "Connection refused"));
    co.uri = "thl://127.0.0.1:x";
    assert_int_equal(thl_client_open(&c, &co, m.log, &err), REPL_ERR_INVALID);
    assert_null(c);
    tlog_close(&m);
}

/* ---- a fake master writing raw frames ---- */

static void frame_put(repl_buf *b, uint8_t type, const void *payload, size_t len)
{
    repl_buf_put_u32be(b, (uint32_t)(len + 5));
    repl_buf_put_u8(b, type);
    repl_buf_put(b, payload, len);
    repl_buf_put_u32be(b, repl_crc32c(repl_crc32c(0, &type, 1), payload, len));
}

static void hello_put(repl_buf *b)
{
    repl_buf p;
    repl_buf_init(&p);
    repl_buf_put(&p, "TREP", 4);
    repl_buf_put_u8(&p, 0); /* min version 1 */
    repl_buf_put_u8(&p, 1);
    repl_buf_put_u8(&p, 0); /* max version 1 */
    repl_buf_put_u8(&p, 1);
    repl_buf_put_u8(&p, 0); /* no auth */
    for (int i = 0; i < 32; i++)
        repl_buf_put_u8(&p, (uint8_t)i);
    repl_buf_put_u8(&p, 0); /* service "" */
    repl_buf_put_u8(&p, 0);
    frame_put(b, 0x01, p.data, p.len);
    repl_buf_dispose(&p);
}

static void accept_put(repl_buf *b, uint64_t start)
{
    repl_buf p;
    repl_buf_init(&p);
    repl_buf_put_u64be(&p, start);
    repl_buf_put_u32be(&p, 1000);
    repl_buf_put_u8(&p, 0);
    repl_buf_put_u64be(&p, 0);
    repl_buf_put_u64be(&p, 100);
    repl_buf_put_u8(&p, 0);
    frame_put(b, 0x03, p.data, p.len);
    repl_buf_dispose(&p);
}

static void record_put(repl_buf *b, uint64_t seqno)
{
    repl_buf rec;
    repl_error err;
    thl_codec_options co;
    thl_event *ev = ev_make(seqno, 0, 1, 0, "");
    thl_codec_options_init(&co);
    repl_buf_init(&rec);
    assert_int_equal(thl_record_encode(&rec, ev, &co, &err), REPL_OK);
    frame_put(b, 0x04, rec.data, rec.len);
    repl_buf_dispose(&rec);
    thl_event_free(ev);
}

typedef struct fake_master {
    int listen_fd;
    uint16_t port;
    pthread_t thread;
    repl_buf script; /* written after the handshake */
    repl_buf hello;  /* the CLIENT_HELLO frame received */
    int silent;      /* write nothing at all */
} fake_master;

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        const ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void fake_read_hello(fake_master *f, int fd)
{
    uint8_t hdr[4];
    uint32_t len;
    if (read_full(fd, hdr, 4) != 0)
        return;
    len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
    if (len > 1 << 20)
        return;
    repl_buf_reserve(&f->hello, len);
    if (read_full(fd, f->hello.data, len) == 0)
        f->hello.len = len;
}

static void *fake_master_main(void *arg)
{
    fake_master *f = arg;
    repl_buf b;
    uint8_t sink[256];
    const int fd = accept(f->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    repl_buf_init(&b);
    if (!f->silent) {
        hello_put(&b);
        write_all(fd, b.data, b.len);
        fake_read_hello(f, fd);
        write_all(fd, f->script.data, f->script.len);
        shutdown(fd, SHUT_WR);
    }
    while (recv(fd, sink, sizeof(sink), 0) > 0) {
        /* drain ACKs until the client closes: closing with unread data would reset the stream */
    }
    close(fd);
    repl_buf_dispose(&b);
    return NULL;
}

static void fake_start(fake_master *f)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->listen_fd >= 0);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->listen_fd, 4), 0);
    assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_master_main, f), 0);
}

static void fake_init(fake_master *f)
{
    memset(f, 0, sizeof(*f));
    repl_buf_init(&f->script);
    repl_buf_init(&f->hello);
}

static void fake_finish(fake_master *f)
{
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
    repl_buf_dispose(&f->script);
}

/* Run a client against the fake master's script; returns run's (or open's) code. */
static int fake_session(fake_master *f, thl_log *slave, repl_error *err)
{
    thl_client *c = NULL;
    int rc;
    fake_start(f);
    rc = client_open(&c, f->port, NULL, 0, slave, err);
    if (rc == REPL_OK)
        rc = thl_client_run(c, err);
    thl_client_close(c);
    fake_finish(f);
    return rc;
}

static void fake_case(void (*tail)(repl_buf *), int code, const char *text, uint64_t slave_max)
{
    fake_master f;
    tlog sl;
    repl_error err;
    thl_log_state st;
    int rc;
    tlog_open(&sl);
    fake_init(&f);
    accept_put(&f.script, 0);
    record_put(&f.script, 0);
    record_put(&f.script, 1);
    tail(&f.script);
    rc = fake_session(&f, sl.log, &err);
    if (rc != code || strstr(err.msg, text) == NULL)
        fail_msg("expected %d '%s', got %d '%s'", code, text, rc, err.msg);
    repl_buf_dispose(&f.hello);
    st = state_of(sl.log);
    assert_false(st.empty);
    assert_true(st.max_seqno == slave_max);
    tlog_close(&sl);
}

static void tail_bad_crc(repl_buf *b)
{
    const size_t at = b->len;
    record_put(b, 2);
    b->data[at + 20] ^= 0x40; /* inside the record: the frame CRC no longer matches */
}

static void tail_oversize(repl_buf *b)
{
    repl_buf_put_u32be(b, 0xfffffff0u);
    repl_buf_put_u8(b, 0x04);
    repl_buf_put(b, "xxxxxxxx", 8);
}

static void tail_short_length(repl_buf *b)
{
    repl_buf_put_u32be(b, 3);
    repl_buf_put(b, "\x05\x00\x00\x00\x00\x00\x00\x00", 8);
}

static void tail_mid_frame(repl_buf *b)
{
    repl_buf_put_u32be(b, 4092); /* 4096 bytes with the length: only 12 are sent */
    repl_buf_put_u8(b, 0x04);
    repl_buf_put(b, "1234567", 7);
}

static void tail_out_of_order(repl_buf *b)
{
    record_put(b, 3);
}

static void tail_bad_record(repl_buf *b)
{
    repl_buf rec;
    repl_error err;
    thl_codec_options co;
    thl_event *ev = ev_make(2, 0, 1, 0, "");
    thl_codec_options_init(&co);
    repl_buf_init(&rec);
    assert_int_equal(thl_record_encode(&rec, ev, &co, &err), REPL_OK);
    rec.data[rec.len - 1] ^= 0x01; /* the record's own CRC, in a well-formed frame */
    frame_put(b, 0x04, rec.data, rec.len);
    repl_buf_dispose(&rec);
    thl_event_free(ev);
}

static void tail_short_heartbeat(repl_buf *b)
{
    frame_put(b, 0x05, "\x00\x01", 2);
}

static void tail_unknown_type(repl_buf *b)
{
    frame_put(b, 0x42, "", 0);
}

static void tail_error_frame(repl_buf *b)
{
    static const char msg[] = "master is shutting down";
    repl_buf p;
    repl_buf_init(&p);
    repl_buf_put_u8(&p, 2);
    repl_buf_put_u8(&p, 0);
    repl_buf_put_u8(&p, (uint8_t)strlen(msg));
    repl_buf_put(&p, msg, strlen(msg));
    frame_put(b, 0x07, p.data, p.len);
    repl_buf_dispose(&p);
}

static void tail_none(repl_buf *b)
{
    (void)b;
}

static void net__fake_master_bad_frames(void **state)
{
    (void)state;
    fake_case(tail_bad_crc, REPL_ERR_CORRUPT, "CRC mismatch (type RECORD", 1);
    fake_case(tail_oversize, REPL_ERR_CORRUPT, "length 4294967280 exceeds the limit", 1);
    fake_case(tail_short_length, REPL_ERR_CORRUPT, "length 3 is below the minimum 5", 1);
    fake_case(tail_mid_frame, REPL_ERR_RETRY, "closed mid-frame after 12 of 4096 bytes", 1);
    fake_case(tail_out_of_order, REPL_ERR_CORRUPT, "sent seqno 3 fragno 0, expected seqno 2", 1);
    fake_case(tail_bad_record, REPL_ERR_CORRUPT, "seqno=2", 1);
    fake_case(tail_short_heartbeat, REPL_ERR_CORRUPT, "HEARTBEAT frame from", 1);
    fake_case(tail_unknown_type, REPL_ERR_CORRUPT, "unexpected unknown frame", 1);
    fake_case(tail_error_frame, REPL_ERR_RETRY, "master is shutting down", 1);
    fake_case(tail_none, REPL_ERR_RETRY, "closed by peer", 1);
}

static void net__fake_master_handshake(void **state)
{
    fake_master f;
    tlog sl;
    repl_error err;
    thl_client_options co;
    thl_client *c = NULL;
    char uri[64];
    int64_t t0;
    (void)state;
    tlog_open(&sl);
    /* a master that never speaks: the handshake read is bounded */
    fake_init(&f);
    f.silent = 1;
    fake_start(&f);
    uri_of(uri, sizeof(uri), f.port);
    thl_client_options_init(&co);
    co.uri = uri;
    co.timeout_ms = 200;
    t0 = repl_clock_mono_ms();
    assert_int_equal(thl_client_open(&c, &co, sl.log, &err), REPL_ERR_RETRY);
    assert_true(repl_clock_mono_ms() - t0 < 3000);
    assert_non_null(strstr(err.msg, "nothing received"));
    fake_finish(&f);
    repl_buf_dispose(&f.hello);
    tlog_close(&sl);
}

static void net__client_hello_layout(void **state)
{
    fake_master f;
    tlog sl;
    repl_error err;
    const uint8_t *p;
    (void)state;
    tlog_open(&sl);
    append_range(sl.log, 0, 2, 5, "");
    fake_init(&f);
    accept_put(&f.script, 3);
    assert_int_equal(fake_session(&f, sl.log, &err), REPL_ERR_RETRY);
    /* type, "TREP", version 1, flags (position), last seqno 2, epoch 5 */
    assert_true(f.hello.len > 1 + 4 + 2 + 1 + 8 + 8 + 32 + 1 + 2 + 2);
    p = f.hello.data;
    assert_int_equal(p[0], 0x02);
    assert_memory_equal(p + 1, "TREP", 4);
    assert_int_equal(p[5], 0);
    assert_int_equal(p[6], 1);
    assert_int_equal(p[7], 0x01);
    assert_int_equal(p[15], 2);
    assert_int_equal(p[23], 5);
    assert_int_equal(p[56], 0); /* no proof */
    assert_memory_equal(p + 57,
                        "\x00\x05"
                        "alpha",
                        7);
    repl_buf_dispose(&f.hello);
    tlog_close(&sl);
}

/* ---- a raw slave sending garbage to the real server ---- */

static int raw_connect(uint16_t port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void net__server_rejects_garbage(void **state)
{
    tlog m;
    thl_server *s;
    repl_error serr;
    uint8_t buf[4096];
    size_t got = 0;
    ssize_t n;
    int fd;
    (void)state;
    tlog_open(&m);
    s = server_start(m.log, NULL, 1000);
    fd = raw_connect(thl_server_port(s));
    write_all(fd, (const uint8_t *)"\x00\x00\x00\x07\x02\x01\x02\x00\x00\x00\x00", 11);
    while ((n = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0)
        got += (size_t)n;
    /* HELLO, then ERROR kind 3 (protocol) naming the CRC */
    assert_true(got > 4 && buf[4] == 0x01);
    {
        const uint32_t hl = ((uint32_t)buf[2] << 8) | buf[3];
        const uint8_t *e = buf + 4 + hl;
        assert_true(got > 4 + hl + 6);
        assert_int_equal(e[4], 0x07);
        assert_int_equal(e[5], 3);
        assert_non_null(memmem(e, got - 4 - hl, "CRC mismatch", 12));
    }
    close(fd);
    assert_true(server_errors_reach(s, 1, &serr) >= 1);
    assert_int_equal(serr.code, REPL_ERR_CORRUPT);
    thl_server_close(s);
    tlog_close(&m);
}

/* Read one whole frame (length field stripped) into b; -1 at EOF. */
static int raw_read_frame(int fd, repl_buf *b)
{
    uint8_t hdr[4];
    uint32_t len;
    repl_buf_clear(b);
    if (read_full(fd, hdr, 4) != 0)
        return -1;
    len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
    assert_true(len >= 5 && len < (1u << 20));
    repl_buf_reserve(b, len);
    if (read_full(fd, b->data, len) != 0)
        return -1;
    b->len = len;
    return 0;
}

/* Connect, read HELLO, send the CLIENT_HELLO of an empty slave, read ACCEPT. */
static int raw_handshake(uint16_t port)
{
    repl_buf p;
    repl_buf f;
    const int fd = raw_connect(port);
    repl_buf_init(&p);
    repl_buf_init(&f);
    assert_int_equal(raw_read_frame(fd, &f), 0);
    assert_int_equal(f.data[0], 0x01);
    repl_buf_put(&p, "TREP\x00\x01\x00", 7); /* magic, version 1, no flags */
    repl_buf_put_u64be(&p, 0);
    repl_buf_put_u64be(&p, 0);
    for (int i = 0; i < 32; i++)
        repl_buf_put_u8(&p, 0x5a); /* nonce */
    repl_buf_put(&p,
                 "\x00\x00\x05"
                 "alpha"
                 "\x00\x00",
                 10); /* no proof, service, event_id */
    repl_buf_clear(&f);
    frame_put(&f, 0x02, p.data, p.len);
    write_all(fd, f.data, f.len);
    assert_int_equal(raw_read_frame(fd, &f), 0);
    assert_int_equal(f.data[0], 0x03);
    repl_buf_dispose(&p);
    repl_buf_dispose(&f);
    return fd;
}

/* Read frames until the server closes; returns the last frame's type (0 if none). */
static uint8_t raw_until_eof(int fd, repl_buf *last)
{
    repl_buf f;
    uint8_t type = 0;
    repl_buf_init(&f);
    while (raw_read_frame(fd, &f) == 0) {
        type = f.data[0];
        repl_buf_clear(last);
        repl_buf_put(last, f.data, f.len);
    }
    repl_buf_dispose(&f);
    return type;
}

static void net__server_bounds_silent_and_lying_slaves(void **state)
{
    tlog m;
    thl_server_options o;
    thl_server *s = NULL;
    repl_error err;
    repl_buf last;
    repl_buf ack;
    int fd;
    (void)state;
    tlog_open(&m);
    append_range(m.log, 0, 2, 0, "");
    repl_buf_init(&last);
    repl_buf_init(&ack);
    thl_server_options_init(&o);
    o.listen = "127.0.0.1:0";
    o.heartbeat_ms = 20;
    o.timeout_ms = 200;
    assert_int_equal(thl_server_open(&s, &o, m.log, &err), REPL_OK);
    /* connects and never says anything: the handshake read times out */
    fd = raw_connect(thl_server_port(s));
    assert_int_equal(raw_until_eof(fd, &last), 0x01);
    close(fd);
    assert_true(server_errors_reach(s, 1, &err) == 1);
    assert_non_null(strstr(err.msg, "nothing received from"));
    /* handshakes, reads, but never acknowledges: dropped as silent */
    fd = raw_handshake(thl_server_port(s));
    assert_int_equal(raw_until_eof(fd, &last), 0x05);
    close(fd);
    assert_true(server_errors_reach(s, 2, &err) == 2);
    assert_non_null(strstr(err.msg, "silent for 200 ms"));
    /* acknowledges a seqno it was never sent: protocol error */
    fd = raw_handshake(thl_server_port(s));
    frame_put(&ack, 0x06, "\x01\x00\x00\x00\x00\x00\x00\x03\xe7", 9);
    write_all(fd, ack.data, ack.len);
    assert_int_equal(raw_until_eof(fd, &last), 0x07);
    assert_int_equal(last.data[1], 3);
    close(fd);
    assert_true(server_errors_reach(s, 3, &err) == 3);
    assert_int_equal(err.code, REPL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "acknowledged seqno 999, beyond what it was sent"));
    thl_server_close(s);
    repl_buf_dispose(&last);
    repl_buf_dispose(&ack);
    tlog_close(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(net__sha256_fips_vectors),
        cmocka_unit_test(net__hmac_rfc4231_vectors),
        cmocka_unit_test(net__backoff_bounds),
        cmocka_unit_test(net__stop_token_wakes_wait),
        cmocka_unit_test(net__replicates_byte_identical),
        cmocka_unit_test(net__resume_from_middle_and_live_appends),
        cmocka_unit_test(net__resumes_after_partial_transaction),
        cmocka_unit_test(net__heartbeats_when_idle),
        cmocka_unit_test(net__close_with_client_connected_is_prompt),
        cmocka_unit_test(net__client_stop_is_prompt),
        cmocka_unit_test(net__divergence_refused_unless_forced),
        cmocka_unit_test(net__empty_slave_starts_after_stated_position),
        cmocka_unit_test(net__slave_ahead_refused),
        cmocka_unit_test(net__purged_position),
        cmocka_unit_test(net__secrets),
        cmocka_unit_test(net__service_mismatch_and_max_clients),
        cmocka_unit_test(net__addresses_and_connect_errors),
        cmocka_unit_test(net__fake_master_bad_frames),
        cmocka_unit_test(net__fake_master_handshake),
        cmocka_unit_test(net__client_hello_layout),
        cmocka_unit_test(net__server_rejects_garbage),
        cmocka_unit_test(net__server_bounds_silent_and_lying_slaves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
