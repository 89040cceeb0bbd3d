#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_replication.py - replication end to end (issue 4): a sandbox master and slave, both
# with trepd; sysbench oltp_write_only with 4 threads on the master while the slave's trepd is killed with
# SIGKILL 10 times and restarted; then flush, wait, and every table identical (CHECKSUM TABLE and row by row).
# Also: trepctl status fields, heartbeat latency while idle, and a slave MariaDB restart mid-stream.
import os
import random
import sys
import time

import harness
import trep

STATUS_FIELDS = ("serviceName", "role", "state", "appliedLastSeqno", "appliedLastEventId", "appliedLatency",
                 "relativeLatency", "minimumStoredSeqNo", "maximumStoredSeqNo", "latestEpochNumber",
                 "masterConnectUri", "masterListenUri", "channels", "pendingError", "pendingErrorCode",
                 "pendingErrorSeqno", "timeInStateSeconds", "uptimeSeconds", "pid")


def check_status(sb):
    for n in sb.nodes:
        st = trep.status(n)
        missing = [f for f in STATUS_FIELDS if f not in st]
        assert not missing, f"{n.name}: status lacks {missing}"
        assert st["state"] == "ONLINE", f"{n.name}: state {st['state']}: {st['pendingError']}"
        assert st["role"] == n.role, f"{n.name}: role {st['role']}"


def kill_slave_during_load(sb, rnd):
    s = sb.slaves[0]
    load = trep.Load(sb.master, seconds=25, threads=4, tables=4, size=1000)
    kills = 0
    while kills < 10 and load.running():
        time.sleep(rnd.uniform(0.3, 1.5))
        trep.kill9_trepd(s)
        kills += 1
        sb.start()
    load.wait()
    assert kills == 10, f"only {kills} kills while sysbench ran"
    return kills


def restart_slave_server(sb):
    """The slave's MariaDB goes away mid-stream: trepd retries and catches up once it is back."""
    s = sb.slaves[0]
    load = trep.Load(sb.master, seconds=6, threads=2, tables=4, size=1000)
    time.sleep(2)
    trep.shutdown_server(s)
    time.sleep(1)
    sb.start()
    load.wait()


def heartbeat_latency(sb):
    m, s = sb.master, sb.slaves[0]
    time.sleep(2)  # the master is idle now
    trep.trepctl(m, "heartbeat", "--name", "idle-check")
    trep.flush_and_wait(m, [s])
    st = trep.status(s)
    assert st["relativeLatency"] < 5, f"relativeLatency {st['relativeLatency']} after a heartbeat"
    assert 0 <= st["appliedLatency"] < 5, f"appliedLatency {st['appliedLatency']}"


def main():
    rnd = random.Random(int(os.environ.get("TREP_TEST_SEED", time.time())))
    with harness.deploy(nodes=2) as sb:
        check_status(sb)
        trep.sysbench_prepare(sb.master, tables=4, size=1000)
        kills = kill_slave_during_load(sb, rnd)
        restart_slave_server(sb)
        seqno = trep.flush_and_wait(sb.master, sb.slaves)
        n = trep.compare(sb.master, sb.slaves[0])
        heartbeat_latency(sb)
        check_status(sb)
        print(f"ok: {kills} slave kills, slave restart, {n} tables identical at seqno {seqno}")


if __name__ == "__main__":
    sys.exit(main())
