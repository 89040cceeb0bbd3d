#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_divergence.py - a slave whose THL diverged from its master's is refused, and the trepctl
# commands not covered elsewhere. Divergence, the real way: the slave's trepd is stopped; the master's THL is
# deleted and extraction restarted further along the binlog (extract-start), so the same seqnos now carry other
# event_ids; both trepds start: the slave must go OFFLINE:ERROR with a message saying "diverged" and apply none
# of the master's new transactions. Also `services`, `heartbeat --name X` (the row reaches the slave),
# `offline-deferred --at-seqno N` (the slave stops exactly at N), `setrole` (refused online; offline a slave
# becomes a master that extracts its own binlog) and `reset` (offline only; then THL empty and position gone).
import json
import shutil
import sys
import time

import harness
import trep

DB = "dv"


def thl_event_ids(node):
    """{seqno: event_id} of the complete transactions in node's THL."""
    doc = json.loads(trep.thl(node, "list", "--json").stdout)
    events = doc["events"] if isinstance(doc, dict) else doc
    return {ev["seqno"]: ev["event_id"] for ev in events if ev.get("last_frag", True)}


def refused(node, *args):
    """Run a trepctl command that must fail; returns its stderr."""
    res = trep.trepctl(node, *args, check=False)
    assert res.returncode != 0, f"trepctl {' '.join(map(str, args))} on {node.name} succeeded: {res.stdout}"
    assert res.stderr.strip(), f"trepctl {' '.join(map(str, args))} failed without a message"
    return res.stderr


def services_and_heartbeat(sb, m, s):
    for n in (m, s):
        svcs = trep.trepctl(n, "services")
        assert isinstance(svcs, list) and [x["serviceName"] for x in svcs] == [sb.service], svcs
        assert svcs[0]["role"] == n.role and svcs[0]["state"] == "ONLINE", svcs
    trep.trepctl(m, "heartbeat", "--name", "probe-1")
    trep.flush_and_wait(m, [s])
    hb = f"trep_{sb.service}.heartbeat"
    assert s.sql(f"SELECT name FROM {hb}") == [("probe-1",)], s.sql(f"SELECT * FROM {hb}")
    assert m.sql(f"SELECT name FROM {hb}") == [("probe-1",)]
    trep.trepctl(m, "heartbeat")
    trep.flush_and_wait(m, [s])
    assert s.sql(f"SELECT name FROM {hb}") == [("MANUAL",)], "a heartbeat without --name is named MANUAL"
    assert "not a master" in refused(s, "heartbeat", "--name", "x")
    assert "bad name" in refused(m, "heartbeat", "--name", "it's")


def offline_deferred(m, s):
    """The slave is told to stop at seqno N (ahead of the master), then the master writes 300 transactions in
    a burst: the slave must stop with exactly N applied, whatever its block size."""
    base = trep.flush_and_wait(m, [s])
    target = base + 120
    refused(s, "offline-deferred")  # --at-seqno is required
    trep.trepctl(s, "offline-deferred", "--at-seqno", target)
    m.execute(";\n".join(f"INSERT INTO {DB}.burst VALUES ({i}, {i * i})" for i in range(1, 301)))
    st = trep.wait_state(s, "OFFLINE:NORMAL", timeout=60)
    assert st["appliedLastSeqno"] == target, f"offline-deferred at {target}: the slave stopped at " \
                                             f"{st['appliedLastSeqno']}"
    pos = int(s.value(f"SELECT seqno FROM trep_{s.service}.trep_commit_seqno WHERE task_id = 0"))
    assert pos == target, f"the slave's committed position is {pos}, expected {target}"
    got = s.value(f"SELECT MAX(id) FROM {DB}.burst")
    assert got == "120", f"the slave applied burst rows up to {got}, expected 120 (seqno {target})"
    assert "not online" in refused(s, "offline-deferred", "--at-seqno", target + 5)
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    trep.compare(m, s)
    return target


def diverge(sb, m, s):
    """Rebuild the master's THL from later in its binlog while the slave's trepd is down."""
    last = trep.flush_and_wait(m, [s])
    slave_ids = thl_event_ids(s)
    assert max(slave_ids) == last, f"slave THL ends at {max(slave_ids)}, master at {last}"
    trep.stop_trepd(s)
    trep.stop_trepd(m)
    gtids = trep.binlog_gtids(m)
    shutil.rmtree(trep.thl_dir(m))
    trep.set_config(m, extract_start=f"gtid:{gtids[5]}")  # the new seqno 0 is binlog transaction 7
    trep.start_trepd(m)
    trep.wait_state(m, "ONLINE")
    # enough new transactions for the master's THL to pass the slave's last seqno again
    m.execute(f"CREATE TABLE {DB}.after (id INT PRIMARY KEY)")
    m.execute(";\n".join(f"INSERT INTO {DB}.after VALUES ({i})" for i in range(1, 21)))
    trep.trepctl(m, "flush")
    master_ids = thl_event_ids(m)
    assert max(master_ids) > last, f"master THL ends at {max(master_ids)}, before the slave's {last}"
    assert master_ids[last] != slave_ids[last], f"seqno {last} has the same event_id on both: not diverged"
    trep.start_trepd(s)
    st = trep.wait_state(s, "OFFLINE:ERROR", timeout=60)
    assert "diverged" in st["pendingError"], f"pendingError: {st['pendingError']}"
    time.sleep(1.5)  # a slave that ignored the refusal would be applying now
    assert not s.sql(f"SHOW TABLES IN {DB} LIKE 'after'"), "the diverged master's transactions were applied"
    assert trep.status(s)["state"] == "OFFLINE:ERROR"
    assert max(thl_event_ids(s)) == last, "the slave's THL grew from a diverged master"
    return last, st["pendingError"]


def reset(m, s):
    assert "offline" in refused(m, "reset"), "reset of an ONLINE service must be refused"
    assert trep.status(m)["maximumStoredSeqNo"] >= 0
    trep.trepctl(s, "offline")  # from OFFLINE:ERROR: the DBA has seen the error
    st = trep.wait_state(s, "OFFLINE:NORMAL", timeout=10)
    assert st["pendingError"] == "" and st["pendingErrorSeqno"] == -1 and st["pendingErrorEventId"] == "", st
    trep.trepctl(s, "reset")
    info = json.loads(trep.thl(s, "info", "--json").stdout)
    assert info["empty"], f"THL not empty after reset: {info}"
    st = trep.status(s)
    for f in ("minimumStoredSeqNo", "maximumStoredSeqNo", "appliedLastSeqno"):
        assert st[f] == -1, f"{f} = {st[f]} after reset"
    assert st["appliedLastEventId"] == "", st
    pos = s.sql(f"SELECT seqno, event_id FROM trep_{s.service}.trep_commit_seqno")
    assert all(r == (None, None) for r in pos), f"applier position still there after reset: {pos}"


def setrole(m, s):
    """Online: refused. Offline: the slave becomes a master extracting its own binlog."""
    st = trep.status(m)
    assert st["state"] == "ONLINE"
    assert "offline" in refused(m, "setrole", "--role", "slave", "--uri", f"thl://127.0.0.1:{s.thl_port}")
    assert trep.status(m)["role"] == "master"
    refused(s, "setrole", "--role", "primary")
    trep.trepctl(s, "setrole", "--role", "master")
    st = trep.status(s)
    assert st["role"] == "master" and st["state"] == "OFFLINE:NORMAL", st
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    assert trep.status(s)["role"] == "master"
    s.execute(f"CREATE TABLE {DB}.on_new_master (id INT PRIMARY KEY); INSERT INTO {DB}.on_new_master VALUES (1)")
    seqno = trep.trepctl(s, "flush")["seqno"]
    ids = thl_event_ids(s)
    assert ids and max(ids) == seqno and seqno >= 1, f"the new master extracted {ids}"
    assert "offline" in refused(s, "setrole", "--role", "slave")
    trep.trepctl(s, "offline")
    trep.trepctl(s, "setrole", "--role", "slave", "--uri", f"thl://127.0.0.1:{m.thl_port}")
    assert trep.status(s)["role"] == "slave"


def main():
    t0 = time.monotonic()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        s.service = sb.service
        m.execute(f"CREATE DATABASE {DB}; CREATE TABLE {DB}.t (id INT PRIMARY KEY, v INT); "
                  f"CREATE TABLE {DB}.burst (id INT PRIMARY KEY, v BIGINT)")
        m.execute(";\n".join(f"INSERT INTO {DB}.t VALUES ({i}, {i})" for i in range(1, 11)))
        services_and_heartbeat(sb, m, s)
        target = offline_deferred(m, s)
        last, msg = diverge(sb, m, s)
        reset(m, s)
        setrole(m, s)
        print(f"ok: services, heartbeat, offline-deferred stopped at {target}, divergence at seqno {last} "
              f"refused ({msg[:60]}...), reset, setrole; {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
