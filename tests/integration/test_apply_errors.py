#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_apply_errors.py - apply errors on a real slave (DESIGN.md section 6): a row planted on
# the slave that the master then inserts puts the slave service in OFFLINE:ERROR with pendingErrorSeqno,
# pendingErrorEventId, pendingErrorSQL and the server's error in `trepctl status --json`, and nothing after it is
# applied; once the DBA deletes the planted row, `trepctl online` continues and the tables end identical.
# `trepctl online --skip-seqno N` skips exactly transaction N (a wrong N skips nothing); an UPDATE or a DELETE
# that finds no row on the slave stops with error 1032, never silently skipped.
import json
import sys
import time

import harness
import trep

DB = "ae"


def events_touching(node, table):
    """[(seqno, event_id)] of the THL transactions of the master node that change rows of DB.table, after a
    flush (everything written so far is in the THL)."""
    trep.trepctl(node, "flush")
    doc = json.loads(trep.thl(node, "list", "--json").stdout)
    events = doc["events"] if isinstance(doc, dict) else doc
    out = []
    for ev in events:
        if any(it.get("type") == "rows" and it.get("schema") == DB and it.get("table") == table
               for it in ev["items"]):
            out.append((ev["seqno"], ev["event_id"]))
    return out


def error_status(s):
    st = trep.wait_state(s, "OFFLINE:ERROR", timeout=60)
    for f in ("pendingError", "pendingErrorSeqno", "pendingErrorEventId", "pendingErrorSQL",
              "pendingErrorServerErrno", "pendingErrorServerMessage"):
        assert f in st, f"status lacks {f}: {st}"
    return st


def applied_seqno(s):
    """The slave's committed position, read from the database (not from trepd)."""
    return int(s.value(f"SELECT seqno FROM trep_{s.service}.trep_commit_seqno WHERE task_id = 0"))


def still_stopped(s, seqno, table, absent_ids, wait_sec=2.0, exact=True):
    """The slave stays OFFLINE:ERROR before seqno (exactly at seqno - 1 when the failing transaction came alone;
    a block of earlier ones that failed with it is rolled back and applied again later): nothing after it is
    applied."""
    time.sleep(wait_sec)  # give a broken implementation the time to apply what it must not
    st = trep.status(s)
    assert st["state"] == "OFFLINE:ERROR", f"slave left OFFLINE:ERROR by itself: {st['state']}"
    pos = applied_seqno(s)
    assert pos == seqno - 1 or (not exact and pos < seqno), f"slave position {pos}, failing seqno {seqno}"
    assert st["appliedLastSeqno"] == pos, f"status says applied {st['appliedLastSeqno']}, the database {pos}"
    ids = ",".join(map(str, absent_ids))
    got = s.sql(f"SELECT id FROM {DB}.{table} WHERE id IN ({ids})")
    assert not got, f"rows {got} after the failed transaction were applied"


def duplicate_key(m, s):
    """A row planted on the slave: error with every detail; the DBA removes it, online continues."""
    s.execute(f"INSERT INTO {DB}.t VALUES (100, 'planted on the slave')")
    m.execute(f"INSERT INTO {DB}.t VALUES (100, 'from the master')")
    m.execute(f"INSERT INTO {DB}.t VALUES (101, 'after'); INSERT INTO {DB}.u VALUES (101, 'after')")
    st = error_status(s)
    seqno, event_id = events_touching(m, "t")[-2]
    assert st["pendingErrorSeqno"] == seqno, f"pendingErrorSeqno {st['pendingErrorSeqno']}, expected {seqno}"
    assert st["pendingErrorEventId"] == event_id, f"pendingErrorEventId {st['pendingErrorEventId']} != {event_id}"
    assert st["pendingErrorServerErrno"] == 1062, st
    assert "Duplicate entry '100'" in st["pendingErrorServerMessage"], st["pendingErrorServerMessage"]
    assert "INSERT INTO" in st["pendingErrorSQL"] and "`t`" in st["pendingErrorSQL"], st["pendingErrorSQL"]
    assert "from the master" in st["pendingErrorSQL"], f"the bound values are not shown: {st['pendingErrorSQL']}"
    assert st["pendingError"] and st["pendingErrorCode"], st
    still_stopped(s, seqno, "t", [101])
    assert not s.sql(f"SELECT id FROM {DB}.u WHERE id = 101")
    # the DBA fixes the slave and restarts the service
    s.execute(f"DELETE FROM {DB}.t WHERE id = 100")
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    st = trep.status(s)
    assert st["pendingError"] == "" and st["pendingErrorSeqno"] == -1 and st["pendingErrorEventId"] == "" \
        and "pendingErrorSQL" not in st, f"error not cleared: {st}"
    trep.compare(m, s)
    return seqno


def non_utf8_error(m, s):
    """The failing statement and the server's message hold latin1 and binary bytes (the applier's connection is
    binary): status must still carry them, as valid JSON."""
    s.execute(f"INSERT INTO {DB}.l VALUES (X'FF00E9', _latin1 X'706C616E746564E9')")
    m.execute(f"INSERT INTO {DB}.l VALUES (X'FF00E9', _latin1 X'636166E9')")
    m.execute(f"INSERT INTO {DB}.l VALUES (X'01', 'after')")
    st = error_status(s)
    assert st["pendingErrorServerErrno"] == 1062, st
    assert st["pendingErrorServerMessage"].startswith("Duplicate entry"), st["pendingErrorServerMessage"]
    assert "INSERT INTO" in st["pendingErrorSQL"] and "caf" in st["pendingErrorSQL"], st["pendingErrorSQL"]
    assert "INSERT INTO" in st["pendingError"], st["pendingError"]
    res = trep.trepctl(s, "wait", "--applied", st["pendingErrorSeqno"], "--limit", 5, check=False)
    assert res.returncode != 0 and "OFFLINE:ERROR: apply: seqno=" in res.stderr, \
        f"trepctl wait on a failed slave: exit {res.returncode}: {res.stderr}"
    s.execute(f"DELETE FROM {DB}.l WHERE id = X'FF00E9'")
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    trep.compare(m, s)


def conflict_in_burst(m, s):
    """The conflicting transaction arrives among many (one apply block): those after it are not applied, those
    before it are applied once, after the fix."""
    s.execute(f"INSERT INTO {DB}.t VALUES (150, 'planted')")
    m.execute(";\n".join([f"INSERT INTO {DB}.u VALUES ({1000 + i}, 'before')" for i in range(30)] +
                         [f"INSERT INTO {DB}.t VALUES (150, 'master')"] +
                         [f"INSERT INTO {DB}.u VALUES ({2000 + i}, 'after')" for i in range(30)]))
    st = error_status(s)
    seqno = st["pendingErrorSeqno"]
    assert seqno == events_touching(m, "t")[-1][0], f"pendingErrorSeqno {seqno}"
    still_stopped(s, seqno, "u", list(range(2000, 2030)), exact=False)
    s.execute(f"DELETE FROM {DB}.t WHERE id = 150")
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    trep.compare(m, s)


def skip_seqno(m, s):
    """online --skip-seqno N: a wrong N skips nothing; the right N skips exactly transaction N."""
    s.execute(f"INSERT INTO {DB}.t VALUES (200, 'planted')")
    m.execute(f"BEGIN; INSERT INTO {DB}.t VALUES (200, 'master'); INSERT INTO {DB}.t VALUES (201, 'same txn'); "
              f"INSERT INTO {DB}.u VALUES (200, 'same txn'); COMMIT")
    m.execute(f"INSERT INTO {DB}.t VALUES (202, 'next txn')")
    m.execute(f"UPDATE {DB}.u SET v = 'next' WHERE id = 1")
    st = error_status(s)
    bad = st["pendingErrorSeqno"]
    assert bad == events_touching(m, "t")[-2][0], f"pendingErrorSeqno {bad}"
    # a seqno that is not the failing one must not make the failing one pass
    trep.trepctl(s, "online", "--skip-seqno", bad + 1)
    st = error_status(s)
    assert st["pendingErrorSeqno"] == bad, f"after skipping {bad + 1} the error moved to {st['pendingErrorSeqno']}"
    still_stopped(s, bad, "t", [201, 202], wait_sec=0.5)
    trep.trepctl(s, "online", "--skip-seqno", bad)
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    got = s.sql(f"SELECT id, v FROM {DB}.t WHERE id >= 200 ORDER BY id")
    assert got == [("200", "planted"), ("202", "next txn")], f"after skipping seqno {bad}: {got}"
    assert not s.sql(f"SELECT id FROM {DB}.u WHERE id = 200"), "the skipped transaction's other rows were applied"
    assert s.value(f"SELECT v FROM {DB}.u WHERE id = 1") == "next", "the transaction after the skipped one is lost"
    # back in step for what follows
    s.execute(f"UPDATE {DB}.t SET v = 'master' WHERE id = 200; INSERT INTO {DB}.t VALUES (201, 'same txn'); "
              f"INSERT INTO {DB}.u VALUES (200, 'same txn')")
    trep.compare(m, s)
    return bad


def row_not_found(m, s, action):
    """The row is gone on the slave; the master's UPDATE or DELETE of it stops the slave with 1032."""
    s.execute(f"DELETE FROM {DB}.t WHERE id = 5")
    if action == "UPDATE":
        m.execute(f"UPDATE {DB}.t SET v = 'updated' WHERE id = 5")
    else:
        m.execute(f"DELETE FROM {DB}.t WHERE id = 5")
    m.execute(f"INSERT INTO {DB}.t VALUES (300, 'after the {action}')")
    st = error_status(s)
    seqno, event_id = events_touching(m, "t")[-2]
    assert st["pendingErrorSeqno"] == seqno and st["pendingErrorEventId"] == event_id, st
    assert st["pendingErrorServerErrno"] == 1032, f"server errno {st['pendingErrorServerErrno']}: {st}"
    assert st["pendingErrorSQL"].startswith(action), st["pendingErrorSQL"]
    still_stopped(s, seqno, "t", [300])
    # the DBA puts the row back as it was before the master's change, and goes online
    s.execute(f"INSERT INTO {DB}.t VALUES (5, 'row 5')")
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")
    trep.flush_and_wait(m, [s])
    m.execute(f"DELETE FROM {DB}.t WHERE id = 300")
    if action == "DELETE":
        m.execute(f"INSERT INTO {DB}.t VALUES (5, 'row 5')")
    trep.flush_and_wait(m, [s])
    trep.compare(m, s)
    return seqno


def main():
    t0 = time.monotonic()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        s.service = sb.service
        m.execute(f"CREATE DATABASE {DB}; CREATE TABLE {DB}.t (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB; "
                  f"CREATE TABLE {DB}.u (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB; "
                  f"INSERT INTO {DB}.t SELECT seq, CONCAT('row ', seq) FROM {DB}.seq_1_to_20; "
                  f"CREATE TABLE {DB}.l (id VARBINARY(8) PRIMARY KEY, v VARCHAR(20) CHARACTER SET latin1); "
                  f"INSERT INTO {DB}.u VALUES (1, 'one')")
        trep.flush_and_wait(m, [s])
        dup = duplicate_key(m, s)
        non_utf8_error(m, s)
        conflict_in_burst(m, s)
        skipped = skip_seqno(m, s)
        upd = row_not_found(m, s, "UPDATE")
        dele = row_not_found(m, s, "DELETE")
        st = trep.status(s)
        assert st["state"] == "ONLINE", st
        print(f"ok: duplicate key stop at seqno {dup} and online after the fix; latin1/binary values in the error; "
              f"skip-seqno {skipped}; row not found stops for UPDATE (seqno {upd}) and DELETE (seqno {dele}); "
              f"{time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
