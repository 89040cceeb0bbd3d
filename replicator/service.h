/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service.h - one replication service inside trepd: its THL, its role's pipeline threads
 * (master: extractor -> THL -> thl-server; slave: thl-client -> THL -> applier) and the state
 * machine DBAs see in `trepctl status` (OFFLINE:NORMAL, GOING-ONLINE:SYNCHRONIZING, ONLINE,
 * OFFLINE:ERROR). All public functions are thread-safe: control requests arrive on connection
 * threads. */
#ifndef REPL_SERVICE_H
#define REPL_SERVICE_H

#include <jansson.h>
#include <stdint.h>

#include "replicator/base/error.h"
#include "replicator/config.h"

typedef struct repl_service repl_service;

/** Open the service's THL; does not start it. cfg is copied. */
int repl_service_open(repl_service **out, const repl_service_config *cfg, repl_error *err);
/** Stop the pipeline (if running) and close the THL. */
void repl_service_close(repl_service *svc);

const char *repl_service_name(const repl_service *svc);

typedef struct repl_online_args {
    int has_skip_seqno;
    uint64_t skip_seqno;    /* slave: mark this seqno applied without applying it */
    const char *from_event; /* master: start extraction at this binlog position (FILE:OFFSET) */
} repl_online_args;

/** Start the pipeline. ONLINE once connected; GOING-ONLINE:SYNCHRONIZING while (re)connecting. */
int repl_service_online(repl_service *svc, const repl_online_args *args, repl_error *err);
/** Stop the pipeline cleanly (committing what was extracted or applied); OFFLINE:NORMAL. */
int repl_service_offline(repl_service *svc, repl_error *err);
/** Go offline once seqno has been applied (slave) or extracted (master). */
int repl_service_offline_deferred(repl_service *svc, uint64_t seqno, repl_error *err);

/** Periodic housekeeping from trepd's main loop (every ~100 ms): offline-deferred, progress of a
 * master's THL, retention. */
void repl_service_tick(repl_service *svc);

/** Status as a JSON object with the fields of DESIGN.md section 9 (new reference). */
json_t *repl_service_status(repl_service *svc);

/** Master: wait until the master's current binlog position is in the THL; return that seqno. */
int repl_service_flush(repl_service *svc, uint64_t *seqno, int timeout_sec, repl_error *err);
/** Wait until seqno is applied (slave) or stored (master); REPL_ERR_RETRY on timeout. */
int repl_service_wait_applied(repl_service *svc, uint64_t seqno, int timeout_sec, repl_error *err);
/** Insert a heartbeat row on the master (name may be NULL: "MANUAL"). */
int repl_service_heartbeat(repl_service *svc, const char *name, repl_error *err);
/** Change role (service must be offline); uri: the new master for a slave. */
int repl_service_setrole(repl_service *svc, int role, const char *uri, repl_error *err);
/** Delete the THL and the applier position (service must be offline). */
int repl_service_reset(repl_service *svc, repl_error *err);

/** Take a backup (method NULL: the configured one) into the backup store, then apply retention;
 * *out: the catalog entry as JSON (id, size, duration, position). Blocks until done. */
int repl_service_backup(repl_service *svc, const char *method, json_t **out, repl_error *err);
/** Re-read backup id of the store and check every checksum; *out: a small report. */
int repl_service_verify(repl_service *svc, const char *id, json_t **out, repl_error *err);
/** Slave, offline: restore backup id (NULL: the newest) into the local database, record its
 * position as applied and empty the THL, so that going online continues right after the backup. */
int repl_service_restore(repl_service *svc, const char *id, json_t **out, repl_error *err);
/** Slave, offline: restore the newest backup and go online. donor: not supported yet (error). */
int repl_service_provision(repl_service *svc, const char *donor, json_t **out, repl_error *err);

#endif
