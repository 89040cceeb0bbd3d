/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/control.h - the control socket between trepctl and trepd: a Unix stream socket (mode
 * 0600) carrying one JSON request line and one JSON response line per connection
 * (docs/control-protocol.md). The server runs one accept thread and serves each connection on a
 * short-lived thread; requests are handed to a callback that owns the daemon's state. The client
 * side is used by trepctl. */
#ifndef REPL_CONTROL_H
#define REPL_CONTROL_H

#include <jansson.h>

#include "replicator/base/error.h"

#define REPL_CONTROL_MAX_LINE (1024 * 1024)

/** Handle one request ({"cmd": ..., "service": ..., "args": {...}}); return a new reference to the
 * response object ({"ok": true, "result": ...} or {"ok": false, "error": "..."}). Called on a
 * connection thread: the callback does its own locking. May block (e.g. "wait"). */
typedef json_t *(*repl_control_handler)(void *ctx, json_t *request);

typedef struct repl_control repl_control;

/** Listen on path (an existing socket file with no listener is replaced; a live one is an error).
 */
int repl_control_open(repl_control **out, const char *path, repl_control_handler handler, void *ctx,
                      repl_error *err);
/** Stop accepting, wait for running requests to finish, remove the socket file. */
void repl_control_close(repl_control *ctl);

/** Client: send request to the daemon at path and return its response in *out (new reference).
 * timeout_sec bounds the whole exchange (0 = none). */
int repl_control_call(json_t **out, const char *path, json_t *request, int timeout_sec,
                      repl_error *err);

/** Helpers to build responses. */
json_t *repl_control_ok(json_t *result_take);
json_t *repl_control_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** A JSON string (new reference) of s, which need not be valid UTF-8 (json_string refuses it):
 * the SQL of an apply failure renders latin1 and binary values as their bytes, server messages come
 * over a binary connection, truncation can cut a character. Invalid bytes become \xNN. */
json_t *repl_control_text(const char *s);

#endif
