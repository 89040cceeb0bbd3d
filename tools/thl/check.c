/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/thl/check.c - "thl check" (read every stored record by key: header, CRC, full decode, dense
 * seqnos, fragment order, epochs; report each problem) and "thl purge" (delete old records through
 * the log's own purge, which never removes the last transaction). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "thl/record.h"
#include "tools/thl/tool_thl.h"

typedef struct check_run {
    thl_log *log;
    repl_buf rec;
    uint64_t records; /* records read, good or bad */
    uint64_t problems;
    int have_epoch;
    uint64_t last_epoch;
} check_run;

static void check_problem(check_run *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check_problem(check_run *c, const char *fmt, ...)
{
    va_list ap;
    c->problems++;
    fputs("bad: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

/* Fully decode the record in c->rec; returns its flags, or -1 when it is bad. */
static int check_decode(check_run *c, uint64_t seqno, uint16_t fragno)
{
    thl_event *ev = NULL;
    repl_error err;
    int flags;
    if (thl_record_decode(&ev, c->rec.data, c->rec.len, &err) != REPL_OK) {
        check_problem(c, "seqno=%" PRIu64 " fragno=%u: %s", seqno, fragno, err.msg);
        return -1;
    }
    if (c->have_epoch && ev->epoch < c->last_epoch)
        check_problem(c,
                      "seqno=%" PRIu64 " fragno=%u: epoch %" PRIu64 " is lower than the "
                      "previous record's %" PRIu64,
                      seqno, fragno, ev->epoch, c->last_epoch);
    c->have_epoch = 1;
    c->last_epoch = ev->epoch;
    flags = ev->flags;
    thl_event_free(ev);
    return flags;
}

/* Check every fragment of seqno. Returns 1 when the seqno has no fragment 0, else 0. tail: the
 * seqno after the last complete one, where a missing last fragment is a transaction in progress. */
static int check_seqno(check_run *c, uint64_t seqno, int tail)
{
    repl_error err;
    int prev_bad = 0;
    for (uint32_t f = 0; f <= UINT16_MAX; f++) {
        int flags;
        int rc = thl_log_read_record(c->log, seqno, (uint16_t)f, &c->rec, &err);
        if (rc == REPL_ERR_NOTFOUND && f == 0)
            return 1;
        if (rc == REPL_ERR_NOTFOUND && tail)
            printf("note: seqno=%" PRIu64 " has %" PRIu32 " fragment(s) but not its last one "
                   "(being written, or a torn tail the writer removes when it opens)\n",
                   seqno, f);
        else if (rc == REPL_ERR_NOTFOUND && !prev_bad)
            check_problem(c, "seqno=%" PRIu64 ": fragment %" PRIu32 " missing (no last fragment)",
                          seqno, f);
        if (rc == REPL_ERR_NOTFOUND)
            return 0;
        c->records++;
        prev_bad = rc != REPL_OK;
        if (prev_bad) {
            check_problem(c, "seqno=%" PRIu64 " fragno=%" PRIu32 ": %s", seqno, f, err.msg);
            continue;
        }
        flags = check_decode(c, seqno, (uint16_t)f);
        prev_bad = flags < 0;
        if (flags >= 0 && (flags & THL_EV_LAST_FRAG))
            return 0;
    }
    return 0;
}

static void check_range(check_run *c, uint64_t low, uint64_t high)
{
    int in_gap = 0;
    uint64_t gap_start = 0;
    for (uint64_t s = low; s <= high; s++) {
        const int absent = check_seqno(c, s, 0);
        if (absent && !in_gap) {
            in_gap = 1;
            gap_start = s;
        } else if (!absent && in_gap) {
            in_gap = 0;
            check_problem(c, "seqno=%" PRIu64 "..%" PRIu64 " missing (seqnos must be dense)",
                          gap_start, s - 1);
        }
        if (s == UINT64_MAX)
            break;
    }
    if (in_gap)
        check_problem(c, "seqno=%" PRIu64 "..%" PRIu64 " missing (seqnos must be dense)", gap_start,
                      high);
}

static int check_run_all(check_run *c, const thl_log_state *st)
{
    if (st->record_count == 0) {
        printf("empty log: nothing to check\n");
        return 0;
    }
    if (!st->empty) {
        check_range(c, st->min_seqno, st->max_seqno);
        if (st->max_seqno < UINT64_MAX)
            check_seqno(c, st->max_seqno + 1, 1);
    } else {
        check_seqno(c, st->min_seqno, 1);
    }
    if (c->records < st->record_count)
        check_problem(c, "%" PRIu64 " record(s) stored outside the seqno sequence",
                      st->record_count - c->records);
    if (st->empty)
        printf("checked %" PRIu64 " record(s), no complete transaction: ", c->records);
    else
        printf("checked %" PRIu64 " record(s), seqno %" PRIu64 "..%" PRIu64 ": ", c->records,
               st->min_seqno, st->max_seqno);
    if (c->problems == 0)
        printf("OK\n");
    else
        printf("%" PRIu64 " problem(s)\n", c->problems);
    return c->problems == 0 ? 0 : 1;
}

int tool_cmd_check(const tool_args *args)
{
    check_run c;
    thl_log_state st;
    repl_error err;
    int rc = 1;
    memset(&c, 0, sizeof(c));
    repl_buf_init(&c.rec);
    c.log = tool_log_open(args, 0);
    if (c.log == NULL)
        return 1;
    if (thl_log_state_get(c.log, &st, &err) != REPL_OK)
        check_problem(&c, "%s", err.msg);
    else
        rc = check_run_all(&c, &st);
    repl_buf_dispose(&c.rec);
    thl_log_close(c.log);
    if (fflush(stdout) != 0)
        return 1;
    return rc;
}

/* ---- purge ----------------------------------------------------------------------------------- */

static int purge_args_ok(const tool_args *args)
{
    if (args->have_below == args->have_keep) {
        tool_error("purge needs exactly one of --below N and --keep N");
        return 0;
    }
    if (args->have_keep && args->keep == 0) {
        tool_error("--keep must be at least 1 (the last transaction is always kept)");
        return 0;
    }
    return 1;
}

static int purge_run(thl_log *log, const tool_args *args, repl_error *err)
{
    thl_log_state st;
    uint64_t below = args->below;
    uint64_t removed = 0;
    int rc = thl_log_state_get(log, &st, err);
    if (rc != REPL_OK)
        return rc;
    if (st.empty) {
        printf("nothing to purge: no complete transaction stored\n");
        return REPL_OK;
    }
    if (args->have_keep)
        below = args->keep > st.max_seqno ? 0 : st.max_seqno - args->keep + 1;
    rc = thl_log_purge(log, below, &removed, err);
    if (rc == REPL_OK)
        rc = thl_log_state_get(log, &st, err);
    if (rc != REPL_OK)
        return rc;
    printf("purged %" PRIu64 " record(s); stored seqnos now %" PRIu64 "..%" PRIu64 "\n", removed,
           st.min_seqno, st.max_seqno);
    return REPL_OK;
}

int tool_cmd_purge(const tool_args *args)
{
    thl_log *log;
    repl_error err;
    int rc;
    if (!purge_args_ok(args))
        return 2;
    log = tool_log_open(args, 1);
    if (log == NULL)
        return 1;
    rc = purge_run(log, args, &err);
    if (rc != REPL_OK)
        tool_error("%s", err.msg);
    thl_log_close(log);
    return rc == REPL_OK ? 0 : 1;
}
