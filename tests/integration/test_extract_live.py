#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_extract_live.py - live extraction (issue 3, point 4) from a real MariaDB master:
# the preflight check refuses a badly configured source with the statement that fixes it; extraction
# follows binlog rotations and survives a master restart with an exact THL (every binlog GTID once, in
# order); a new THL can start from a GTID position.
import shutil
import sys
import time

import harness
import trep


def preflight_refusal(sb):
    m = sb.master
    trep.stop_trepd(m)
    m.execute("SET GLOBAL binlog_row_metadata = 'MINIMAL'")
    trep.start_trepd(m)
    st = trep.wait_state(m, "OFFLINE:ERROR")
    assert "SET GLOBAL binlog_row_metadata='FULL'" in st["pendingError"], st["pendingError"]
    m.execute("SET GLOBAL binlog_row_metadata = 'FULL'")
    trep.trepctl(m, "online")
    trep.wait_state(m, "ONLINE")


def rotation_and_master_restart(sb):
    m = sb.master
    trep.sysbench_prepare(m, tables=2, size=500)
    load = trep.Load(m, seconds=12, threads=2, tables=2, size=500)
    for _ in range(3):
        time.sleep(1)
        m.execute("FLUSH BINARY LOGS")
    load.wait()
    trep.shutdown_server(m)  # the master goes away; the extractor retries with backoff
    sb.start()  # restarts mariadbd and waits for the service to be ONLINE again
    m.execute("CREATE TABLE sbtest.after_restart (id INT PRIMARY KEY)")
    m.execute("INSERT INTO sbtest.after_restart VALUES (1)")
    trep.trepctl(m, "flush")
    seqnos, got = trep.thl_gtids(m)
    want = trep.binlog_gtids(m)
    assert got == want, f"THL has {len(got)} transactions, binlog {len(want)}"
    assert seqnos == list(range(len(seqnos))), "seqnos not dense from 0"


def start_from_gtid(sb):
    m = sb.master
    want = trep.binlog_gtids(m)
    start = want[len(want) // 2]
    trep.stop_trepd(m)
    shutil.rmtree(trep.thl_dir(m))
    trep.set_config(m, extract_start=f"gtid:{start}")
    trep.start_trepd(m)
    trep.wait_state(m, "ONLINE")
    trep.trepctl(m, "flush")
    _, got = trep.thl_gtids(m)
    expect = want[len(want) // 2 + 1:]
    assert got == expect, f"from {start}: THL starts at {got[:1]}, expected {expect[:1]}; {len(got)} vs {len(expect)}"


def main():
    with harness.deploy(nodes=1) as sb:
        preflight_refusal(sb)
        rotation_and_master_restart(sb)
        start_from_gtid(sb)
        print("ok: preflight refusal, rotations, master restart, GTID start")


if __name__ == "__main__":
    sys.exit(main())
