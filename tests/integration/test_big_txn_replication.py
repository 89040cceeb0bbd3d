#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_big_txn_replication.py - one transaction of a million narrow rows on the master,
# replicated to the slave with bounded memory: the transaction travels as many fragments of one seqno (master
# extractor -> THL -> thl-server -> slave THL -> applier, one target transaction), and the peak RSS (VmHWM) of
# both trepds stays under 150 MB, whatever the row count. The slave ends identical (CHECKSUM TABLE, and an
# order-independent hash of every row), and the rows written after the big transaction follow it.
import os
import sys
import time

import harness
import trep

ROWS = 1_000_000
RSS_LIMIT_KB = 150 * 1024


def vm_hwm_kb(pid):
    """Peak resident set size of a process (VmHWM of /proc/PID/status), in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def one_pid(node):
    pids = trep.sb_trepd.pids(node.rec)
    assert len(pids) == 1, f"expected one trepd for {node.name}, found {pids}"
    return pids[0]


def bound_asan_quarantine():
    """ASan keeps 256 MB of freed memory in quarantine by default, which would hide trepd's own memory behind
    the sanitizer's (see test_large_txn.py); a 16 MB quarantine keeps the bound meaningful in the ASan build."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
        "quarantine_size_mb=16:thread_local_quarantine_size_kb=256"


def fingerprint(node, table):
    """Row count, key sum and an order-independent hash of every row (cheap on a million rows)."""
    return node.sql(f"SELECT COUNT(*), SUM(id), BIT_XOR(CRC32(CONCAT_WS(',', id, k, c))), "
                    f"BIT_XOR(CRC32(CONCAT_WS(',', c, k, id))) FROM {table}")[0]


def fragments(node, seqno):
    """fragno of every record of seqno in node's THL (`thl list` text form: one 'SEQ# = ' line per record)."""
    out = trep.thl(node, "list", "--low", seqno, "--high", seqno).stdout
    return [int(line.split("FRAG# = ")[1].split()[0]) for line in out.splitlines() if line.startswith("SEQ# = ")]


def main():
    t0 = time.monotonic()
    bound_asan_quarantine()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        pids = {n.name: one_pid(n) for n in (m, s)}
        m.execute("CREATE DATABASE big; CREATE TABLE big.t (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, "
                  "c CHAR(4) NOT NULL) ENGINE=InnoDB; CREATE TABLE big.after (id INT PRIMARY KEY) ENGINE=InnoDB")
        trep.flush_and_wait(m, [s])
        t_start = time.monotonic()
        m.execute("INSERT INTO big.t SELECT seq, seq * 7 % 100003, LPAD(seq % 10000, 4, '0') "
                  f"FROM big.seq_1_to_{ROWS}", timeout=300)
        m.execute("INSERT INTO big.after VALUES (1)")
        t_insert = time.monotonic()
        seqno = trep.flush_and_wait(m, [s], limit=240)
        t_apply = time.monotonic()
        st = trep.status(s)
        assert st["state"] == "ONLINE", f"slave {st['state']}: {st['pendingError']}"
        for n in (m, s):
            assert one_pid(n) == pids[n.name], f"{n.name}: trepd restarted during the test"
        hwm = {name: vm_hwm_kb(pid) for name, pid in pids.items()}
        for name, kb in hwm.items():
            assert kb < RSS_LIMIT_KB, f"{name} trepd peak RSS {kb / 1024:.1f} MB for a {ROWS}-row transaction: " \
                                      f"over {RSS_LIMIT_KB / 1024:.0f} MB"
        big = seqno - 1  # the big transaction, then big.after's insert
        frags = {n.name: fragments(n, big) for n in (m, s)}
        for name, f in frags.items():
            assert len(f) > 1 and f == list(range(len(f))), f"{name}: seqno {big} fragments {f[:5]}..."
        assert frags[m.name] == frags[s.name]
        fm, fs = fingerprint(m, "big.t"), fingerprint(s, "big.t")
        assert fm[0] == str(ROWS), f"master has {fm[0]} rows"
        assert fm == fs, f"big.t differs: master {fm}, slave {fs}"
        assert m.checksum("big.t") == s.checksum("big.t"), "big.t: CHECKSUM TABLE differs"
        trep.compare(m, s, [("big", "after")])
        print(f"ok: {ROWS}-row transaction (seqno {big}, {len(frags[m.name])} fragments) identical on the slave; "
              f"peak RSS master {hwm[m.name] / 1024:.1f} MB, slave {hwm[s.name] / 1024:.1f} MB; insert "
              f"{t_insert - t_start:.1f} s, replication {t_apply - t_insert:.1f} s; "
              f"total {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
