/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/writer.c - the THL writer thread of the extract stage: an ordered, bounded queue of
 * events, appended and group-committed on their own thread (see writer.h). */
#include "extractors/writer.h"

#include <pthread.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/mem.h"

#define WRITER_IDLE_MS 200

struct ext_writer {
    thl_log *log;
    ext_writer_done_fn done;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* queue changes, commits, errors */
    thl_event *queue[EXT_WRITER_QUEUE];
    unsigned head;
    unsigned count;
    thl_event *free_list[EXT_WRITER_QUEUE + 1];
    unsigned nfree;
    uint64_t commit_asked; /* generation of the last commit request */
    uint64_t commit_done;  /* generation of the last commit performed */
    int closing;
    int failed;
    repl_error error; /* first failure */
};

static void writer_fail(ext_writer *w, const repl_error *err)
{
    if (!w->failed) {
        w->failed = 1;
        w->error = *err;
    }
}

/* Append one event outside the lock, then recycle it. */
static void writer_append(ext_writer *w, thl_event *ev)
{
    repl_error err;
    int rc = REPL_OK;
    pthread_mutex_lock(&w->lock);
    int failed = w->failed;
    pthread_mutex_unlock(&w->lock);
    if (!failed)
        rc = thl_log_append(w->log, ev, &err);
    if (!failed && rc == REPL_OK && w->done != NULL)
        w->done(w->ctx, ev);
    thl_event_reset(ev);
    pthread_mutex_lock(&w->lock);
    if (rc != REPL_OK)
        writer_fail(w, &err);
    if (w->nfree < EXT_WRITER_QUEUE + 1)
        w->free_list[w->nfree++] = ev;
    else
        thl_event_free(ev);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void writer_commit_now(ext_writer *w, uint64_t gen)
{
    repl_error err;
    int rc = thl_log_commit(w->log, &err);
    pthread_mutex_lock(&w->lock);
    if (rc != REPL_OK)
        writer_fail(w, &err);
    if (gen > w->commit_done)
        w->commit_done = gen;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Wait for work; returns the next event (NULL for a commit or the end). Called with the lock held.
 */
static thl_event *writer_wait(ext_writer *w, int *commit, uint64_t *gen, int *stop)
{
    while (w->count == 0 && w->commit_asked == w->commit_done && !w->closing) {
        struct timespec deadline;
        int due = thl_log_commit_due_ms(w->log);
        repl_clock_deadline(&deadline, due >= 0 ? due : WRITER_IDLE_MS);
        if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != 0 && due >= 0) {
            *commit = 1; /* the group's time bound passed while the input was idle */
            *gen = w->commit_done;
            return NULL;
        }
    }
    if (w->count > 0) {
        thl_event *ev = w->queue[w->head];
        w->head = (w->head + 1) % EXT_WRITER_QUEUE;
        w->count--;
        pthread_cond_broadcast(&w->cond);
        return ev;
    }
    *commit = 1;
    *gen = w->commit_asked;
    *stop = w->closing;
    return NULL;
}

static void *writer_main(void *arg)
{
    ext_writer *w = arg;
    for (;;) {
        int commit = 0, stop = 0;
        uint64_t gen = 0;
        pthread_mutex_lock(&w->lock);
        thl_event *ev = writer_wait(w, &commit, &gen, &stop);
        pthread_mutex_unlock(&w->lock);
        if (ev != NULL)
            writer_append(w, ev);
        else if (commit)
            writer_commit_now(w, gen);
        if (stop)
            break;
    }
    return NULL;
}

int ext_writer_open(ext_writer **out, thl_log *log, ext_writer_done_fn done, void *ctx,
                    repl_error *err)
{
    ext_writer *w = repl_calloc(1, sizeof(*w));
    *out = NULL;
    w->log = log;
    w->done = done;
    w->ctx = ctx;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        repl_free(w);
        return repl_error_set(err, REPL_ERR_IO, "extract: cannot start the THL writer thread");
    }
    *out = w;
    return REPL_OK;
}

int ext_writer_push(ext_writer *w, thl_event **ev, repl_error *err)
{
    thl_event *empty;
    pthread_mutex_lock(&w->lock);
    while (w->count == EXT_WRITER_QUEUE && !w->failed)
        pthread_cond_wait(&w->cond, &w->lock);
    if (w->failed) {
        *err = w->error;
        pthread_mutex_unlock(&w->lock);
        return err->code;
    }
    w->queue[(w->head + w->count) % EXT_WRITER_QUEUE] = *ev;
    w->count++;
    empty = w->nfree > 0 ? w->free_list[--w->nfree] : NULL;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    *ev = empty != NULL ? empty : thl_event_new();
    return REPL_OK;
}

int ext_writer_commit(ext_writer *w, repl_error *err)
{
    int rc = REPL_OK;
    pthread_mutex_lock(&w->lock);
    uint64_t gen = ++w->commit_asked;
    pthread_cond_broadcast(&w->cond);
    while (w->commit_done < gen && !w->failed)
        pthread_cond_wait(&w->cond, &w->lock);
    if (w->failed) {
        *err = w->error;
        rc = err->code;
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int ext_writer_close(ext_writer *w, repl_error *err)
{
    int rc = REPL_OK;
    if (w == NULL)
        return REPL_OK;
    pthread_mutex_lock(&w->lock);
    w->closing = 1;
    w->commit_asked++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    if (w->failed) {
        *err = w->error;
        rc = err->code;
    }
    for (unsigned i = 0; i < w->count; i++)
        thl_event_free(w->queue[(w->head + i) % EXT_WRITER_QUEUE]);
    for (unsigned i = 0; i < w->nfree; i++)
        thl_event_free(w->free_list[i]);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    repl_free(w);
    return rc;
}
