/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/daemon.h - trepd's core: the configured services, the control socket and the command
 * dispatch behind trepctl (docs/control-protocol.md), the housekeeping loop and clean shutdown. */
#ifndef REPL_DAEMON_H
#define REPL_DAEMON_H

#include <signal.h>

#include "replicator/base/error.h"
#include "replicator/config.h"

typedef struct repl_daemon repl_daemon;

/** Open every service of cfg (their THLs) and the control socket; start services with auto-online.
 */
int repl_daemon_open(repl_daemon **out, const repl_config *cfg, repl_error *err);

/** Run housekeeping until *stop becomes non-zero (set from a signal handler). */
void repl_daemon_run(repl_daemon *d, volatile sig_atomic_t *stop);

/** Take every service offline cleanly, close the control socket and the THLs. */
void repl_daemon_close(repl_daemon *d);

#endif
