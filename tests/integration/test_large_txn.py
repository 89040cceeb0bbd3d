#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_large_txn.py - one ~200 MB transaction through the master's extractor (trepd, live
# binlog dump, default 1 MiB fragments): trepd's peak RSS (VmHWM) must stay under 100 MB, the THL must hold the
# transaction as several fragments of one seqno (fragno 0..n-1, only the last one flagged last_frag), `thl check`
# must pass, and the row changes in the THL must be exactly the rows inserted.
import json
import os
import subprocess
import sys
import time

import harness
import trep

ROWS = 28000                # ~7.2 KB of row image each: ~200 MB in one transaction
MIN_TXN_BYTES = 180 * 10**6  # the transaction's size in the binlog must reach this for the test to mean anything
RSS_LIMIT_KB = 100 * 1024
FRAGMENT_BYTES = 1 << 20     # trepd's default fragment-size
MAX_FRAGMENT_RAW = 8 << 20   # a fragment's decoded payload (raw_len) stays near the fragment size


def binlog_pos(node):
    """(file, position) of the master's binlog end."""
    row = node.sql("SHOW MASTER STATUS")[0]
    return row[0], int(row[1])


def vm_hwm_kb(pid):
    """Peak resident set size of a process (VmHWM of /proc/PID/status), in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def thl_events(node, seqno):
    """Yield the events (fragments) of seqno from `thl list --seqno N --json`, one at a time: the output is a
    JSON array whose elements start with a line "{" and end with a line "}" or "}," (nested lines are indented), so
    each element is parsed alone and the ~200 MB transaction is never held whole in memory."""
    thl_dir = os.path.join(os.path.dirname(node.config), "thl")
    argv = [harness.program("thl"), "--dir", thl_dir, "list", "--seqno", str(seqno), "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True)
    lines = None
    for line in proc.stdout:
        if line.rstrip("\n") == "{":
            lines = [line]
        elif lines is not None:
            lines.append(line)
            if line.rstrip("\n") in ("}", "},"):
                yield json.loads("".join(lines).rstrip().rstrip(","))
                lines = None
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError(f"thl list --seqno {seqno} --json: exit {proc.returncode}: {err}")


def check_fragments(node, seqno, table):
    """Check the fragments of seqno; returns (fragments, rows inserted into table, largest raw_len)."""
    fragnos, last_flags, rows, raw_max = [], [], 0, 0
    for ev in thl_events(node, seqno):
        assert ev["seqno"] == seqno, f"thl list --seqno {seqno} returned seqno {ev['seqno']}"
        fragnos.append(ev["fragno"])
        last_flags.append(bool(ev["last_frag"]))
        raw_max = max(raw_max, ev["record"]["raw_len"])
        for item in ev["items"]:
            if item["type"] != "rows":
                continue
            assert (item["schema"], item["table"], item["action"]) == table + ("INSERT",), \
                f"unexpected row changes in seqno {seqno}: {item['schema']}.{item['table']} {item['action']}"
            rows += len(item["rows"])
    n = len(fragnos)
    assert fragnos == list(range(n)), f"seqno {seqno}: fragnos {fragnos[:5]}... are not 0..{n - 1}"
    assert last_flags == [False] * (n - 1) + [True], \
        f"seqno {seqno}: last_frag must be set on fragment {n - 1} only, got {last_flags.count(True)} set"
    return n, rows, raw_max


def bound_asan_quarantine():
    """ASan (the sanitizer build of CI) keeps 256 MB of freed memory in quarantine by default, so an ASan trepd's
    RSS says nothing about trepd's own memory. A 16 MB quarantine (inherited by the trepd that tools/sandbox starts)
    keeps use-after-free detection and makes the 100 MB bound meaningful there too (about 45 MB measured); a
    build without ASan ignores the variable."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
        "quarantine_size_mb=16:thread_local_quarantine_size_kb=256"


def main():
    t0 = time.monotonic()
    bound_asan_quarantine()
    with harness.deploy(nodes=1) as sb:
        m = sb.master
        pids = trep.sb_trepd.pids(m.rec)
        assert len(pids) == 1, f"expected one trepd for {m.name}, found {pids}"
        m.execute("CREATE DATABASE big; CREATE TABLE big.t (id INT NOT NULL PRIMARY KEY, k BIGINT NOT NULL, "
                  "v VARCHAR(200), dt DATETIME(6), d DECIMAL(20,6), txt TEXT, bl BLOB)")
        before = binlog_pos(m)
        # one statement, autocommit: one transaction of ROWS rows of ~7.2 KB
        m.execute("INSERT INTO big.t SELECT seq, CAST(seq AS SIGNED) * 7919 - 5000000000, "
                  "CONCAT('v-', seq, '-', MD5(seq)), "
                  "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL seq MICROSECOND, seq / 7, "
                  "REPEAT(MD5(seq), 200), UNHEX(REPEAT(MD5(seq * 3), 40)) "
                  f"FROM big.seq_1_to_{ROWS}", timeout=300)
        after = binlog_pos(m)
        assert before[0] == after[0], f"the binlog rotated during the transaction: {before} -> {after}"
        txn_bytes = after[1] - before[1]
        assert txn_bytes >= MIN_TXN_BYTES, f"the transaction is only {txn_bytes} bytes in the binlog"
        inserted = int(m.value("SELECT COUNT(*) FROM big.t"))
        assert inserted == ROWS, f"{inserted} rows in big.t, expected {ROWS}"
        t_insert = time.monotonic()

        seqno = trep.trepctl(m, "flush", "--limit", 300, timeout=330)["seqno"]
        t_flush = time.monotonic()
        assert trep.sb_trepd.pids(m.rec) == pids, "trepd restarted during the test"
        hwm = vm_hwm_kb(pids[0])
        assert hwm < RSS_LIMIT_KB, (f"trepd peak RSS {hwm / 1024:.1f} MB while extracting a {txn_bytes / 1e6:.0f} "
                                    f"MB transaction: over {RSS_LIMIT_KB / 1024:.0f} MB")

        trep.thl(m, "check")
        fragments, rows, raw_max = check_fragments(m, seqno, ("big", "t"))
        assert rows == inserted, f"the THL holds {rows} inserted rows of big.t, the master {inserted}"
        assert fragments >= txn_bytes // (4 * FRAGMENT_BYTES), \
            f"{fragments} fragments for a {txn_bytes}-byte transaction with {FRAGMENT_BYTES}-byte fragments"
        assert raw_max <= MAX_FRAGMENT_RAW, f"a fragment of {raw_max} bytes (fragment size {FRAGMENT_BYTES})"
        print(f"ok: {txn_bytes / 1e6:.0f} MB transaction ({rows} rows) stored as seqno {seqno} in {fragments} "
              f"fragments (largest {raw_max / 1e6:.2f} MB decoded); trepd peak RSS {hwm / 1024:.1f} MB; "
              f"insert {t_insert - t0:.1f} s, flush {t_flush - t_insert:.1f} s, "
              f"checks {time.monotonic() - t_flush:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
