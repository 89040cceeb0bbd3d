#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_provision.py - backups through trepd and slave provisioning (issue 5): while
# sysbench writes on the master, `trepctl backup` on the master and on a slave; `tools/sandbox add` adds a
# node with an empty database that provisions itself from a fresh backup and catches up; a slave restored
# with `trepctl restore` continues after the backup's position; a provisioning killed with SIGKILL starts
# over on restart. Every slave ends identical to the master (CHECKSUM TABLE and row by row).
import os
import sys
import time

import harness
import trep


def backups_under_load(sb):
    m, s = sb.master, sb.slaves[0]
    load = trep.Load(m, seconds=8, threads=2, tables=2, size=2000)
    time.sleep(2)
    mb = trep.trepctl(m, "backup")
    sbk = trep.trepctl(s, "backup")
    load.wait()
    assert mb["position"]["role"] == "master" and mb["position"]["seqno"] >= 0, mb
    assert sbk["position"]["role"] == "slave" and sbk["position"]["seqno"] >= 0, sbk
    return mb, sbk


def add_under_load(sb):
    load = trep.Load(sb.master, seconds=10, threads=2, tables=2, size=2000)
    time.sleep(1)
    sb.add()  # takes a backup on the master, starts node3's trepd: it provisions itself
    load.wait()
    new = sb.nodes[-1]
    st = trep.status(new)
    assert st["role"] == "slave" and st["state"] == "ONLINE", st
    return new


def restore_on_slave(sb, backup_id):
    s = sb.slaves[0]
    trep.trepctl(s, "offline")
    out = trep.trepctl(s, "restore", "--backup", backup_id)
    assert out["id"] == backup_id, out
    trep.trepctl(s, "online")
    trep.wait_state(s, "ONLINE")


def provisioning_killed(sb):
    """kill -9 the new node's trepd while it restores: the restart starts over and ends identical."""
    new = sb.nodes[-1]
    trep.stop_trepd(new)
    marker = os.path.join(os.path.dirname(new.config), "thl", "PROVISIONING")
    with open(marker, "w", encoding="utf-8"):
        pass  # what a provisioning cut short leaves behind
    new.execute("CREATE TABLE sbtest.half (id INT PRIMARY KEY)")  # a half-restored database
    proc = trep.start_trepd(new)
    harness.wait_for(lambda: trep.status(new)["state"] == "GOING-ONLINE:PROVISIONING", timeout=60,
                     interval=0.05, what="provisioning starts")
    trep.kill9_trepd(new)
    assert os.path.exists(marker), "the marker must survive an interrupted provisioning"
    proc.wait(timeout=10)
    trep.start_trepd(new)
    trep.wait_state(new, "ONLINE", timeout=300)
    assert not os.path.exists(marker), "provisioning completed but left its marker"


def main():
    with harness.deploy(nodes=2) as sb:
        # big enough that a restore takes a moment: the test interrupts one
        trep.sysbench_prepare(sb.master, tables=2, size=100000)
        mb, sbk = backups_under_load(sb)
        new = add_under_load(sb)
        restore_on_slave(sb, sbk["id"])
        provisioning_killed(sb)
        trep.flush_and_wait(sb.master, sb.slaves)
        n = trep.compare(sb.master, sb.slaves[0])
        trep.compare(sb.master, new)
        print(f"ok: backups {mb['id']} and {sbk['id']}, {new.name} provisioned, restore and "
              f"interrupted provisioning end identical ({n} tables)")


if __name__ == "__main__":
    sys.exit(main())
