#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_ddl_under_load.py - ALTER TABLE on the master (add a column, add an index, change a
# column's type, and back) while sysbench oltp_write_only with 4 threads writes the same tables: row changes
# before and after each ALTER carry different column sets, and the applier must follow the table's definition
# at each point of the stream. Then flush, wait, and every table identical (data, columns and indexes).
import sys
import time

import harness
import trep

TABLES = 4
SIZE = 2000
LOAD_SEC = 24

# (table, statement) run one after the other during the load
DDL = [
    (1, "ALTER TABLE sbtest.sbtest1 ADD COLUMN extra INT NOT NULL DEFAULT 7"),
    (2, "ALTER TABLE sbtest.sbtest2 ADD INDEX c_prefix (c(12))"),
    (3, "ALTER TABLE sbtest.sbtest3 MODIFY COLUMN k BIGINT NOT NULL DEFAULT 0"),
    (4, "ALTER TABLE sbtest.sbtest4 MODIFY COLUMN pad VARCHAR(120) NOT NULL DEFAULT ''"),
    (1, "ALTER TABLE sbtest.sbtest1 ADD COLUMN note VARCHAR(20) CHARACTER SET latin1 NULL AFTER id"),
    (2, "ALTER TABLE sbtest.sbtest2 MODIFY COLUMN c VARCHAR(200) NOT NULL DEFAULT ''"),
    (3, "ALTER TABLE sbtest.sbtest3 ADD COLUMN ts DATETIME(6) NULL, ADD INDEX k_c (k, c(8))"),
    (4, "ALTER TABLE sbtest.sbtest4 ADD COLUMN blobby BLOB NULL FIRST"),
    (1, "UPDATE sbtest.sbtest1 SET note = 'x', extra = extra + id WHERE id % 7 = 0"),
    (1, "ALTER TABLE sbtest.sbtest1 DROP COLUMN extra"),
    (2, "ALTER TABLE sbtest.sbtest2 DROP INDEX c_prefix"),
    (3, "ALTER TABLE sbtest.sbtest3 MODIFY COLUMN k INT UNSIGNED NOT NULL DEFAULT 0"),
    (4, "UPDATE sbtest.sbtest4 SET blobby = REPEAT(X'00FF', id % 50) WHERE id % 3 = 0"),
]


def schema(node):
    cols = node.sql("SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
                    "CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sbtest' ORDER BY 1, 2")
    idx = node.sql("SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NON_UNIQUE "
                   "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'sbtest' ORDER BY 1, 2, 3")
    return cols, idx


def main():
    t0 = time.monotonic()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        trep.sysbench_prepare(m, tables=TABLES, size=SIZE)
        load = trep.Load(m, seconds=LOAD_SEC, threads=4, tables=TABLES, size=SIZE)
        time.sleep(2)
        done = 0
        for _, sql in DDL:
            assert load.running(), f"sysbench ended before the DDL '{sql}':\n{load.output}"
            m.execute(sql, timeout=60)
            done += 1
            time.sleep(1.2)
        assert load.running(), "sysbench ended before the last DDL: the DDL did not run under load"
        out = load.wait()
        writes = next((ln.split()[-1] for ln in out.splitlines() if "write:" in ln), "?")
        seqno = trep.flush_and_wait(m, [s], limit=180)
        st = trep.status(s)
        assert st["state"] == "ONLINE", f"slave {st['state']}: {st['pendingError']}"
        assert schema(m) == schema(s), f"table definitions differ:\nmaster {schema(m)}\nslave  {schema(s)}"
        n = trep.compare(m, s)
        print(f"ok: {done} DDL statements under sysbench ({writes} writes); {n} tables identical at seqno {seqno}; "
              f"{time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
