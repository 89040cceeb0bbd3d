#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_extract_restart.py - restart safety of extraction (issue 3, point 7): under a sysbench
# write load, the master's trepd is killed with SIGKILL 10 times and restarted; afterwards its THL must hold
# every transaction of the master's binlog exactly once and in order, checked against the GTIDs that
# mariadb-binlog reads from the master's binlog files. Also checks `thl check` on the result.
import os
import random
import sys
import time

import harness
import trep


def main():
    rnd = random.Random(int(os.environ.get("TREP_TEST_SEED", time.time())))
    with harness.deploy(nodes=1) as sb:
        m = sb.master
        trep.sysbench_prepare(m, tables=4, size=500)
        load = trep.Load(m, seconds=30, threads=4, tables=4, size=500)
        kills = 0
        while kills < 10 and load.running():
            time.sleep(rnd.uniform(0.5, 2.0))
            trep.kill9_trepd(m)
            kills += 1
            sb.start()  # restarts the missing trepd and waits for its service to be ONLINE
        load.wait()
        assert kills == 10, f"only {kills} kills happened while sysbench ran"
        seqno = trep.trepctl(m, "flush")["seqno"]
        expected = trep.binlog_gtids(m)
        seqnos, got = trep.thl_gtids(m)
        assert seqnos == list(range(seqnos[0], seqnos[0] + len(seqnos))), "THL seqnos are not dense"
        assert seqnos[-1] == seqno, f"flush returned {seqno}, THL ends at {seqnos[-1]}"
        dup = len(got) - len(set(got))
        assert dup == 0, f"{dup} GTIDs stored twice in the THL"
        assert got == expected, (f"THL holds {len(got)} transactions, binlog {len(expected)}; first difference at "
                                 f"{next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), None)}")
        trep.thl(m, "check")
        print(f"ok: {kills} kills, {len(got)} transactions stored exactly once, in binlog order")


if __name__ == "__main__":
    sys.exit(main())
