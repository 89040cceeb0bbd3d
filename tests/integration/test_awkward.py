#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_awkward.py - the awkward cases end to end through the real extractor (the applier's own
# tests in apply/test_awkward.c build THL events by hand): tables with triggers that write other tables (the
# slave must not fire them again), foreign keys with ON DELETE / ON UPDATE CASCADE (the cascaded child changes are
# not in the binlog: the slave's cascade must produce them), tables without a primary key holding duplicate rows
# (update/delete one of two identical rows), a system-versioned table (history compared with FOR SYSTEM_TIME ALL,
# row_start/row_end included), sequences (NEXTVAL, SETVAL, ALTER, a column default, a rolled-back NEXTVAL),
# generated columns (virtual, stored, indexed) and an AUTO_INCREMENT column holding 0 under NO_AUTO_VALUE_ON_ZERO;
# then the same tables under binlog_row_image NOBLOB and MINIMAL. Master and slave must end identical.
import sys
import time

import harness
import trep

DB = "aw"


def triggers(m):
    """Triggers are created with the client's DELIMITER, as a DBA would."""
    body = f"""
CREATE TABLE {DB}.acct (id INT PRIMARY KEY, owner VARCHAR(20), balance DECIMAL(12,2)) ENGINE=InnoDB;
CREATE TABLE {DB}.audit (n INT AUTO_INCREMENT PRIMARY KEY, acct INT, what VARCHAR(10),
                         old_bal DECIMAL(12,2), new_bal DECIMAL(12,2)) ENGINE=InnoDB;
CREATE TABLE {DB}.totals (k INT PRIMARY KEY, cnt INT, total DECIMAL(14,2)) ENGINE=InnoDB;
INSERT INTO {DB}.totals VALUES (1, 0, 0);
DELIMITER //
CREATE TRIGGER {DB}.acct_bi BEFORE INSERT ON {DB}.acct FOR EACH ROW SET NEW.owner = UPPER(NEW.owner)//
CREATE TRIGGER {DB}.acct_ai AFTER INSERT ON {DB}.acct FOR EACH ROW BEGIN
    INSERT INTO {DB}.audit (acct, what, new_bal) VALUES (NEW.id, 'insert', NEW.balance);
    UPDATE {DB}.totals SET cnt = cnt + 1, total = total + NEW.balance WHERE k = 1;
END//
CREATE TRIGGER {DB}.acct_au AFTER UPDATE ON {DB}.acct FOR EACH ROW BEGIN
    INSERT INTO {DB}.audit (acct, what, old_bal, new_bal) VALUES (NEW.id, 'update', OLD.balance, NEW.balance);
    UPDATE {DB}.totals SET total = total - OLD.balance + NEW.balance WHERE k = 1;
END//
CREATE TRIGGER {DB}.acct_ad AFTER DELETE ON {DB}.acct FOR EACH ROW BEGIN
    INSERT INTO {DB}.audit (acct, what, old_bal) VALUES (OLD.id, 'delete', OLD.balance);
    UPDATE {DB}.totals SET cnt = cnt - 1, total = total - OLD.balance WHERE k = 1;
END//
DELIMITER ;
"""
    m.execute(body)


def triggers_dml(m):
    m.execute(f"""
        INSERT INTO {DB}.acct VALUES (1, 'ann', 100.00), (2, 'bob', 50.50), (3, 'cy', 0);
        BEGIN; UPDATE {DB}.acct SET balance = balance + 10 WHERE id IN (1, 2);
               INSERT INTO {DB}.acct VALUES (4, 'dee', 7.25); COMMIT;
        DELETE FROM {DB}.acct WHERE id = 3;
        UPDATE {DB}.acct SET id = 30 WHERE id = 2;""")


def foreign_keys(m):
    m.execute(f"""
        CREATE TABLE {DB}.parent (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE) ENGINE=InnoDB;
        CREATE TABLE {DB}.child (id INT PRIMARY KEY, pid INT, pcode VARCHAR(10),
            FOREIGN KEY (pid) REFERENCES {DB}.parent (id) ON DELETE CASCADE ON UPDATE CASCADE,
            FOREIGN KEY (pcode) REFERENCES {DB}.parent (code) ON UPDATE CASCADE ON DELETE SET NULL) ENGINE=InnoDB;
        CREATE TABLE {DB}.grandchild (id INT PRIMARY KEY, cid INT NOT NULL,
            FOREIGN KEY (cid) REFERENCES {DB}.child (id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
        INSERT INTO {DB}.parent VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
        INSERT INTO {DB}.child VALUES (10, 1, 'p1'), (11, NULL, 'p2'), (20, 2, 'p2'), (30, 3, 'p3'), (31, 3, NULL),
                                  (40, NULL, 'p1');
        INSERT INTO {DB}.grandchild VALUES (100, 10), (101, 10), (110, 11), (200, 20), (300, 30);
        UPDATE {DB}.parent SET id = 21 WHERE id = 2;
        UPDATE {DB}.parent SET code = 'p2new' WHERE code = 'p2';
        UPDATE {DB}.child SET id = 12 WHERE id = 11;
        DELETE FROM {DB}.parent WHERE id = 1;
        BEGIN; DELETE FROM {DB}.parent WHERE id = 3; INSERT INTO {DB}.parent VALUES (3, 'p3');
               INSERT INTO {DB}.child VALUES (32, 3, 'p3'); COMMIT;""")
    # the cascades happened on the master: what the slave must reproduce
    kids = m.sql(f"SELECT id, pid, pcode FROM {DB}.child ORDER BY id")
    assert kids == [("12", None, "p2new"), ("20", "21", "p2new"), ("32", "3", "p3"), ("40", None, None)], kids
    grandkids = m.sql(f"SELECT id, cid FROM {DB}.grandchild ORDER BY id")
    assert grandkids == [("110", "12"), ("200", "20")], grandkids


def no_primary_key(m):
    m.execute(f"""
        CREATE TABLE {DB}.dups (a INT, b VARCHAR(10), c DOUBLE) ENGINE=InnoDB;
        CREATE TABLE {DB}.dups_ci (s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
                                   UNIQUE KEY (s)) ENGINE=InnoDB;
        CREATE TABLE {DB}.dups_nullkey (k INT NULL, v VARCHAR(10), UNIQUE KEY (k)) ENGINE=InnoDB;
        INSERT INTO {DB}.dups VALUES (1, 'x', 0.5), (1, 'x', 0.5), (1, 'x', 0.5), (2, 'y', NULL), (2, 'y', NULL),
                                     (NULL, NULL, NULL), (NULL, NULL, NULL);
        INSERT INTO {DB}.dups_ci VALUES ('a'), ('B');
        INSERT INTO {DB}.dups_nullkey VALUES (NULL, 'n'), (NULL, 'n'), (1, 'one');
        DELETE FROM {DB}.dups WHERE a = 1 LIMIT 1;
        UPDATE {DB}.dups SET c = 9.5 WHERE a = 1 LIMIT 1;
        UPDATE {DB}.dups SET b = 'z' WHERE a = 2 LIMIT 1;
        DELETE FROM {DB}.dups WHERE a IS NULL LIMIT 1;
        UPDATE {DB}.dups SET a = 3 WHERE a IS NULL;
        UPDATE {DB}.dups_ci SET s = 'A' WHERE s = 'a';
        DELETE FROM {DB}.dups_ci WHERE s = 'b';
        UPDATE {DB}.dups_nullkey SET v = 'm' WHERE k IS NULL LIMIT 1;
        DELETE FROM {DB}.dups_nullkey WHERE k IS NULL AND v = 'n';""")
    rows = m.sql(f"SELECT a, b, c FROM {DB}.dups ORDER BY a, b, c")
    assert rows == [("1", "x", "0.5"), ("1", "x", "9.5"), ("2", "y", None), ("2", "z", None), ("3", None, None)], rows


def versioned(m):
    m.execute(f"""
        CREATE TABLE {DB}.ver (id INT PRIMARY KEY, v VARCHAR(20), n INT) WITH SYSTEM VERSIONING ENGINE=InnoDB;
        CREATE TABLE {DB}.ver_explicit (id INT PRIMARY KEY, v VARCHAR(20),
            rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE,
            re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE,
            PERIOD FOR SYSTEM_TIME (rs, re)) WITH SYSTEM VERSIONING ENGINE=InnoDB;""")
    for i in range(3):
        m.execute(f"""
            INSERT INTO {DB}.ver VALUES ({i * 10 + 1}, 'a', 1), ({i * 10 + 2}, 'b', 2), ({i * 10 + 3}, 'c', 3);
            INSERT INTO {DB}.ver_explicit (id, v) VALUES ({i * 10 + 1}, 'a'), ({i * 10 + 2}, 'b');
            UPDATE {DB}.ver SET n = n + 10 WHERE id = {i * 10 + 1};
            UPDATE {DB}.ver SET v = 'bb', n = n * 2 WHERE id IN ({i * 10 + 1}, {i * 10 + 2});
            BEGIN; UPDATE {DB}.ver_explicit SET v = 'x' WHERE id = {i * 10 + 1};
                   DELETE FROM {DB}.ver_explicit WHERE id = {i * 10 + 2}; COMMIT;
            DELETE FROM {DB}.ver WHERE id = {i * 10 + 3};""")
        time.sleep(0.05)  # distinct row_start values between rounds


def history(node):
    return (node.sql(f"SELECT id, v, n, ROW_START, ROW_END FROM {DB}.ver FOR SYSTEM_TIME ALL "
                     "ORDER BY id, ROW_START, ROW_END"),
            node.sql(f"SELECT id, v, rs, re FROM {DB}.ver_explicit FOR SYSTEM_TIME ALL ORDER BY id, rs, re"))


def sequences(m):
    m.execute(f"""
        CREATE SEQUENCE {DB}.seq START WITH 100 INCREMENT BY 5 CACHE 10;
        CREATE SEQUENCE {DB}.seq_nocache START WITH 1 MAXVALUE 1000 CYCLE NOCACHE;
        CREATE TABLE {DB}.uses_seq (id INT NOT NULL DEFAULT NEXTVAL({DB}.seq) PRIMARY KEY, v INT) ENGINE=InnoDB;
        SELECT NEXTVAL({DB}.seq), NEXTVAL({DB}.seq_nocache);
        SELECT NEXTVAL({DB}.seq);
        INSERT INTO {DB}.uses_seq (v) VALUES (1), (2), (3);
        SELECT SETVAL({DB}.seq, 1000);
        SELECT SETVAL({DB}.seq_nocache, 999);
        SELECT NEXTVAL({DB}.seq_nocache), NEXTVAL({DB}.seq_nocache), NEXTVAL({DB}.seq_nocache);
        INSERT INTO {DB}.uses_seq (v) VALUES (4);
        BEGIN; INSERT INTO {DB}.uses_seq (v) VALUES (5); SELECT NEXTVAL({DB}.seq); COMMIT;
        BEGIN; INSERT INTO {DB}.uses_seq (v) VALUES (6); SELECT NEXTVAL({DB}.seq_nocache); ROLLBACK;
        ALTER SEQUENCE {DB}.seq INCREMENT BY 3 RESTART WITH 5000;
        INSERT INTO {DB}.uses_seq (v) VALUES (7);""")


def seq_state(node):
    return [node.sql(f"SELECT next_not_cached_value, minimum_value, maximum_value, start_value, increment, "
                     f"cache_size, cycle_option, cycle_count FROM {DB}.{s}") for s in ("seq", "seq_nocache")]


def generated(m):
    m.execute(f"""
        CREATE TABLE {DB}.gen (id INT PRIMARY KEY, a INT, b VARCHAR(20),
            v_sum INT AS (a * 2 + id) VIRTUAL, s_up VARCHAR(20) AS (UPPER(b)) STORED,
            v_len INT AS (CHAR_LENGTH(b)) VIRTUAL, KEY (v_sum), UNIQUE KEY (s_up)) ENGINE=InnoDB;
        INSERT INTO {DB}.gen (id, a, b) VALUES (1, 1, 'one'), (2, 2, 'two'), (3, NULL, NULL), (4, 4, 'four');
        UPDATE {DB}.gen SET a = a + 100 WHERE id <= 2;
        UPDATE {DB}.gen SET b = 'THREE', a = 3 WHERE id = 3;
        DELETE FROM {DB}.gen WHERE v_sum = 8;
        SET SESSION binlog_row_image = 'MINIMAL';
        UPDATE {DB}.gen SET b = 'uno' WHERE id = 1;
        DELETE FROM {DB}.gen WHERE id = 2;""")


def other_images(m):
    """The same awkward tables changed under binlog_row_image MINIMAL and NOBLOB: partial images through the
    BINLOG path (triggers, system versioning) and keyless tables whose rows differ only in a blob."""
    m.execute(f"""
        CREATE TABLE {DB}.dups_blob (a INT, b BLOB) ENGINE=InnoDB;
        INSERT INTO {DB}.dups_blob VALUES (1, X'00'), (1, X'01'), (1, X'00'), (2, NULL);
        SET SESSION binlog_row_image = 'NOBLOB';
        UPDATE {DB}.dups_blob SET a = 5 WHERE b = X'01';
        DELETE FROM {DB}.dups_blob WHERE a = 1 LIMIT 1;
        UPDATE {DB}.acct SET balance = balance * 2 WHERE id = 1;
        UPDATE {DB}.ver SET n = -n WHERE id = 11;
        SET SESSION binlog_row_image = 'MINIMAL';
        UPDATE {DB}.dups_blob SET b = X'02' WHERE a = 5;
        INSERT INTO {DB}.dups_blob VALUES (2, NULL);
        DELETE FROM {DB}.dups_blob WHERE a = 2 LIMIT 1;
        INSERT INTO {DB}.acct VALUES (5, 'eve', 1.5);
        UPDATE {DB}.acct SET balance = balance + 1 WHERE id IN (4, 5);
        DELETE FROM {DB}.acct WHERE id = 4;
        UPDATE {DB}.ver SET v = 'minimal' WHERE id = 21;
        DELETE FROM {DB}.ver WHERE id = 22;
        INSERT INTO {DB}.ver VALUES (40, 'new', 40);
        UPDATE {DB}.ver_explicit SET v = 'minimal' WHERE id = 11;
        UPDATE {DB}.dups SET c = 1.25 WHERE a = 3;""")
    rows = m.sql(f"SELECT a, HEX(b) FROM {DB}.dups_blob ORDER BY a, b")
    assert rows == [("1", "00"), ("2", None), ("5", "02")], rows


def auto_zero(m):
    m.execute(f"""
        CREATE TABLE {DB}.az (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
        SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO');
        INSERT INTO {DB}.az VALUES (0, 'zero');
        INSERT INTO {DB}.az (v) VALUES ('auto1'), ('auto2');
        INSERT INTO {DB}.az VALUES (NULL, 'null-auto');
        UPDATE {DB}.az SET v = 'zero!' WHERE id = 0;
        UPDATE {DB}.az SET id = 0 WHERE id = 0;
        DELETE FROM {DB}.az WHERE id = 2;""")
    rows = m.sql(f"SELECT id, v FROM {DB}.az ORDER BY id")
    assert rows == [("0", "zero!"), ("1", "auto1"), ("3", "null-auto")], rows


def main():
    t0 = time.monotonic()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        m.execute(f"CREATE DATABASE {DB}")
        triggers(m)
        triggers_dml(m)
        foreign_keys(m)
        no_primary_key(m)
        versioned(m)
        sequences(m)
        generated(m)
        auto_zero(m)
        other_images(m)
        seqno = trep.flush_and_wait(m, [s], limit=120)
        st = trep.status(s)
        assert st["state"] == "ONLINE", f"slave {st['state']}: {st['pendingError']}"
        n = trep.compare(m, s)
        audit = s.sql(f"SELECT acct, what FROM {DB}.audit ORDER BY n")
        assert len(audit) == 13, f"the slave's audit table has {len(audit)} rows: its triggers fired again? {audit}"
        assert s.sql(f"SELECT owner FROM {DB}.acct WHERE id = 1") == [("ANN",)]
        hm, hs = history(m), history(s)
        assert len(hm[0]) == 3 * 6 + 3 and len(hm[1]) == 3 * 3 + 1, f"history rows {len(hm[0])}, {len(hm[1])}"
        assert hm == hs, f"system-versioned history differs:\nmaster {hm}\nslave  {hs}"
        assert seq_state(m) == seq_state(s), f"sequences differ: {seq_state(m)} vs {seq_state(s)}"
        assert s.sql(f"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{DB}'") == [("4",)]
        print(f"ok: {n} tables identical at seqno {seqno} (triggers, cascades, duplicates without keys, "
              f"{len(hm[0]) + len(hm[1])} history rows, sequences, generated columns, AUTO_INCREMENT 0); "
              f"{time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
