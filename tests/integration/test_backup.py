#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_backup.py - backup and restore (backup/, tools/trep-backup) on real servers, two
# sandbox nodes without trepd:
#  - a logical backup of node1 taken while sysbench writes on it, restored into a fresh node2 (4 loader
#    threads, nothing binlogged on node2); node2 then replicates natively from node1 starting at the
#    backup's GTID: with row-based events any row missing or extra at that position stops replication
#    (1032/1062), and at the end every table is compared row by row and with CHECKSUM TABLE - so the data
#    must be exactly node1's data at the recorded position. The data set has every column type,
#    MyISAM/Aria tables, keyless and composite-key tables, views, routines, triggers, events, sequences;
#  - the slave position: trep_<service>.trep_commit_seqno rows read in the snapshot (--slave);
#  - a byte flipped in the middle of the archive fails verify and restore, naming the backup and the
#    file, and the failed restore leaves the target untouched; a target with tables is refused;
#  - a full disk during a backup (5 MB tmpfs as the store) fails cleanly: no catalog entry, no file;
#  - the store lock refuses an overlapping backup at once ("another backup is running (pid N)");
#  - physical backup (mariadb-backup) restored into node2's emptied data directory while it is stopped;
#  - prune.
# The position check: a plain-INSERT writer runs beside sysbench (see Ledger).
# Ports: harness.base_port() + 0..1 and + 100..101.
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness
import trep

SERVICE = "alpha"
TABLES, ROWS = 4, 20000

TYPES_SQL = r"""
CREATE DATABASE bt CHARACTER SET utf8mb4;
USE bt;
SET time_zone = '+00:00', sql_mode = '';
CREATE TABLE ty (
  id INT PRIMARY KEY AUTO_INCREMENT,
  i8 TINYINT, u8 TINYINT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, fd FLOAT(10,3), dec1 DECIMAL(65,30), dec2 DECIMAL(10,0),
  dt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), dte DATE, yr YEAR,
  b1 BIT(1), b13 BIT(13), b64 BIT(64), vb VARBINARY(300), bn BINARY(8), bl LONGBLOB,
  vu VARCHAR(200) CHARACTER SET utf8mb4, vl VARCHAR(200) CHARACTER SET latin1, tx TEXT,
  en ENUM('a','b','c d'), st SET('x','y','z'), js JSON, g GEOMETRY NULL, u UUID NULL, ip INET6 NULL,
  gen INT AS (i8 * 2) VIRTUAL, gs VARCHAR(10) AS (LEFT(vu, 3)) STORED
) ENGINE=InnoDB;
INSERT INTO ty (i8,u8,i64,u64,f,d,fd,dec1,dec2,dt,ts,tm,dte,yr,b1,b13,b64,vb,bn,bl,vu,vl,tx,en,st,js,g,u,ip) VALUES
 (-128,255,-9223372036854775808,18446744073709551615, 3.40282e38, 1.7976931348623157e308, 1234567.125,
  12345678901234567890123456789012345.123456789012345678901234567890, -9999999999,
  '9999-12-31 23:59:59.999999','2038-01-19 03:14:07.999999','-838:59:59.000000','1000-01-01',2155,
  b'1', b'1010101010101', b'1111111111111111111111111111111111111111111111111111111111111111',
  X'00090A0D5C4E275C30', X'0001020300000000', REPEAT(X'00FF0A09', 5000), 'héllo 😀 wörld\ttab\nnl\\bs',
  _latin1 X'E9E8FF', 'text "quoted" \'s\'', 'c d', 'x,z', '{"a": [1, 2, {"b": null}]}',
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))'), 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  '2001:db8::ff00:42:8329'),
 (0,0,0,0, 1.17549435e-38, 4.9e-324, -0.001, 0, 0, '0000-00-00 00:00:00', '1970-01-01 00:00:01',
  '00:00:00.000001', '0000-00-00', 0, b'0', b'0', b'0', '', X'', '', '', '', '', '', '', 'null', NULL, NULL, NULL),
 (NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,
  NULL,NULL,NULL,NULL,NULL,NULL,NULL),
 (1,2,3,4, 0.1, 0.1, 0.1, 0.1, 1, '2020-03-29 02:30:00.5', '2020-03-29 01:30:00.5', '12:00:00', '2020-02-29',
  2020, b'1', b'111', b'101', 'N', 'N', '\\N', 'N', '\\N', '\\', 'a', 'y', '"\\\\"',
  ST_GeomFromText('POINT(1.5 -2.25)'), NULL, '::1');
INSERT INTO ty (f, d, vb) SELECT RAND(seq) * POW(10, CAST(seq % 40 AS SIGNED) - 20),
  RAND(seq + 1) * POW(10, CAST(seq % 600 AS SIGNED) - 300), UNHEX(SHA2(seq, 256)) FROM seq_1_to_3000;
CREATE TABLE nopk (a INT, b VARCHAR(10)) ENGINE=InnoDB;
INSERT INTO nopk VALUES (1,'x'),(1,'x'),(NULL,NULL),(2,'tab\there');
CREATE TABLE comp (a INT, b INT, c TEXT, PRIMARY KEY (a,b)) ENGINE=InnoDB;
INSERT INTO comp SELECT seq % 7, seq, REPEAT('z', seq % 50) FROM seq_1_to_2000;
CREATE TABLE my (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM;
INSERT INTO my VALUES (1,'myisam'),(2,NULL);
CREATE TABLE ar (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria;
INSERT INTO ar VALUES (1,'aria');
CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES parent(id)) ENGINE=InnoDB;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50)) ENGINE=InnoDB;
INSERT INTO parent VALUES (1),(2); INSERT INTO child VALUES (10,1),(20,2);
CREATE TRIGGER parent_ai AFTER INSERT ON parent FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('p', NEW.id));
INSERT INTO parent VALUES (3);
CREATE SEQUENCE sq START WITH 100 INCREMENT BY 5;
CREATE VIEW v1 AS SELECT id, vu FROM ty WHERE id < 10;
CREATE VIEW v0 AS SELECT COUNT(*) AS n FROM v1;
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
CREATE EVENT ev1 ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0;
CREATE DATABASE `odd.name/x`;
CREATE TABLE `odd.name/x`.`tab le` (`col umn` INT PRIMARY KEY, `ü` VARCHAR(5));
INSERT INTO `odd.name/x`.`tab le` VALUES (1, 'ä');
"""

OBJECTS_SQL = ("SELECT bt.twice(21), (SELECT n FROM bt.v0), "
               "(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'bt'), "
               "(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'bt'), "
               "(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bt' "
               "AND TABLE_TYPE = 'SEQUENCE')")


def tool(*args, check=True, timeout=300, preexec=None):
    """Run trep-backup; returns (CompletedProcess, seconds)."""
    argv = [harness.program("trep-backup"), *map(str, args)]
    t0 = time.monotonic()
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                         preexec_fn=preexec)
    took = time.monotonic() - t0
    if check and res.returncode != 0:
        raise AssertionError(f"trep-backup {' '.join(map(str, args))}: exit {res.returncode}\n{res.stderr}")
    return res, took


def conn_args(node):
    return ["--socket", node.mysql_socket, "--user", node.mysql_user, "--password", node.mysql_password]


def summary(res):
    """The one summary line of a successful command, as {id, key: value}."""
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one summary line, got: {res.stdout!r}"
    words = lines[0].split()
    out = {"id": words[0], "what": words[1]}
    out.update(w.split("=", 1) for w in words[2:] if "=" in w)
    return out


def gtid_seq(gtid):
    return int(gtid.rsplit("-", 1)[1]) if gtid else 0


class Ledger:
    """Plain INSERTs into bt.ledger in a loop, one client process, alongside sysbench. Re-applying an
    insert the snapshot already holds stops replication with a duplicate key (sysbench's delete+insert
    pairs replay without error), and an insert the snapshot lacks but the position claims is missing at
    the end: together they pin the snapshot to the recorded position."""

    def __init__(self, node):
        node.execute("CREATE TABLE bt.ledger (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB")
        self.proc = subprocess.Popen(node.client_args() + ["--batch"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            self.proc.stdin.write(f"INSERT INTO bt.ledger (v) VALUES ({n});\n")
            self.proc.stdin.flush()
            time.sleep(0.001)

    def wait(self):
        self.stop.set()
        self.thread.join(timeout=10)
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0, f"ledger writer failed: {self.proc.stderr.read()}"


def backup_during_load(sb, store):
    m = sb.master
    before = gtid_seq(m.gtid_binlog_pos())
    ledger = Ledger(m)
    load = trep.Load(m, seconds=12, threads=2, tables=TABLES, size=ROWS)
    harness.wait_for(lambda: gtid_seq(m.gtid_binlog_pos()) > before + 200, timeout=30, what="sysbench writes")
    res, took = tool("backup", "--store", store, "--service", SERVICE, *conn_args(m), "--threads", 4,
                     "--chunk-rows", 4000, "--file-mb", 1)
    s = summary(res)
    assert load.running(), "sysbench finished before the backup did: the test proves nothing"
    after = gtid_seq(m.gtid_binlog_pos())
    ledger.wait()
    load.wait()
    gtid = s["gtid"]
    assert before < gtid_seq(gtid) < after, f"backup GTID {gtid} not inside the load ({before}..{after})"
    assert s["role"] == "master" and s["method"] == "logical" and s["binlog"].startswith("mariadb-bin."), s
    return s, took


def restore_fresh(sb, store, s):
    n2 = sb.node(2)
    binlog_before = n2.sql("SHOW MASTER STATUS")
    res, took = tool("restore", "--store", store, "--backup", s["id"], "--target", n2.mysql_socket,
                     "--user", n2.mysql_user, "--password", n2.mysql_password, "--threads", 4)
    r = summary(res)
    assert r["id"] == s["id"] and r["what"] == "restored", r
    assert n2.sql("SHOW MASTER STATUS") == binlog_before, "the restore was binlogged on node2"
    return took


def slave_status(node):
    """SHOW SLAVE STATUS as a dict (from the client's vertical output)."""
    out = node.run_client("SHOW SLAVE STATUS", "--vertical").stdout
    return dict((k.strip(), v.strip()) for k, v in
                (ln.split(":", 1) for ln in out.splitlines() if ":" in ln and not ln.startswith("*")))


def replicate_from_position(sb, gtid):
    """node2 replicates natively from node1 starting at the backup's GTID; row events on rows that are not
    exactly there stop it. Then every table must be identical."""
    m, n2 = sb.master, sb.node(2)
    n2.execute(f"SET GLOBAL gtid_slave_pos = '{gtid}'; "
               f"CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {m.mysql_port}, "
               f"MASTER_USER = '{m.mysql_user}', MASTER_PASSWORD = '{m.mysql_password}', "
               "MASTER_USE_GTID = slave_pos; START SLAVE")
    target = m.gtid_binlog_pos()
    deadline = time.monotonic() + 120
    while n2.value(f"SELECT MASTER_GTID_WAIT('{target}', 0.5)") != "0":
        st = slave_status(n2)
        assert st.get("Last_SQL_Errno") == "0" and st.get("Last_IO_Errno") == "0", \
            f"replication from the backup's position {gtid} failed: {st.get('Last_SQL_Error')} " \
            f"{st.get('Last_IO_Error')}"
        assert time.monotonic() < deadline, f"node2 did not reach {target} from {gtid}: {st}"
    n2.execute("STOP SLAVE; RESET SLAVE ALL")
    n = trep.compare(m, n2, tables=trep.user_tables(m))
    objs = m.sql(OBJECTS_SQL)
    assert objs == n2.sql(OBJECTS_SQL), f"objects differ: {objs} vs {n2.sql(OBJECTS_SQL)}"
    assert objs[0][0] == "42", objs
    return n


def slave_position(sb, store):
    m = sb.master
    m.execute(f"CREATE DATABASE trep_{SERVICE}; CREATE TABLE trep_{SERVICE}.trep_commit_seqno (task_id INT "
              "PRIMARY KEY, seqno BIGINT, fragno SMALLINT UNSIGNED, last_frag TINYINT, epoch BIGINT, "
              "source_id VARCHAR(255), event_id VARCHAR(1024)); "
              f"INSERT INTO trep_{SERVICE}.trep_commit_seqno VALUES (0, 812, 0, 1, 700, 'db1:3306', "
              "'mariadb-bin.000002:4711;0-1-812'), (1, 809, 0, 1, 700, 'db1:3306', 'mariadb-bin.000002:4400;0-1-809')")
    res, _ = tool("backup", "--store", store, "--service", SERVICE, *conn_args(m), "--slave",
                  "--include", f"trep_{SERVICE}")
    s = summary(res)
    assert s["role"] == "slave" and s["seqno"] == "809" and s["epoch"] == "700", s
    listing = json.loads(tool("list", "--store", store, "--json")[0].stdout)
    entry = next(e for e in listing if e["id"] == s["id"])
    assert entry["position"]["event_id"] == "mariadb-bin.000002:4400;0-1-809", entry
    return s


def corruption(sb, store, backup_id):
    n2 = sb.node(2)
    path = os.path.join(store, f"{backup_id}.tar.zst")
    with open(path, "rb") as f:
        orig = f.read()
    damaged = bytearray(orig)
    damaged[len(damaged) // 2] ^= 0x5A
    with open(path, "wb") as f:
        f.write(damaged)
    try:
        res, _ = tool("verify", "--store", store, backup_id, check=False)
        assert res.returncode != 0, "verify passed a damaged archive"
        assert backup_id in res.stderr and re.search(r"file \S+", res.stderr), res.stderr
        before = n2.checksum("sbtest.sbtest1")
        res, _ = tool("restore", "--store", store, "--backup", backup_id, "--force", *conn_args(n2), check=False)
        assert res.returncode != 0, "restore used a damaged archive"
        assert backup_id in res.stderr and "file " in res.stderr, res.stderr
        assert n2.checksum("sbtest.sbtest1") == before, "a failed restore touched the target"
    finally:
        with open(path, "wb") as f:
            f.write(orig)
    tool("verify", "--store", store, backup_id)
    res, _ = tool("restore", "--store", store, "--backup", backup_id, *conn_args(n2), check=False)
    assert res.returncode != 0 and "already has" in res.stderr, res.stderr


def lock_refusal(sb, store):
    """Hold the store lock as another backup would; a second backup fails at once naming our pid."""
    with open(os.path.join(store, ".lock"), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        f.truncate(0)
        f.write(f"{os.getpid()}\n")
        f.flush()
        res, took = tool("backup", "--store", store, "--service", SERVICE, *conn_args(sb.master), check=False)
    assert res.returncode != 0, "a backup ran while the lock was held"
    assert f"another backup is running (pid {os.getpid()})" in res.stderr, res.stderr
    assert took < 5, f"the refused backup took {took:.1f} s"
    listed = tool("list", "--store", store)[0].stdout
    for method in ("logical", "physical"):
        res, _ = tool("backup", "--store", store, "--service", SERVICE, "--socket", sb.master.mysql_socket,
                      "--user", sb.master.mysql_user, "--password", "wrong", "--method", method, check=False)
        assert res.returncode != 0 and "Access denied" in res.stderr, res.stderr
    assert tool("list", "--store", store)[0].stdout == listed, "a failed backup changed the catalog"
    assert not [f for f in os.listdir(store) if f.endswith(".partial")], os.listdir(store)


def full_disk(sb, work):
    small = os.path.join(work, "small")
    os.makedirs(small)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", small],
                             capture_output=True).returncode == 0
    preexec = None
    if not mounted:  # not root: a file size limit gives the same EFBIG/ENOSPC path

        def preexec():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (5 << 20, 5 << 20))
    try:
        res, _ = tool("backup", "--store", small, "--service", SERVICE, *conn_args(sb.master), "--zstd-level", 1,
                      check=False, preexec=preexec)
        assert res.returncode != 0, "a 5 MB store took the whole backup"
        assert "No space left" in res.stderr or "too large" in res.stderr, res.stderr
        left = sorted(os.listdir(small))
        assert left in ([".lock"], [".lock", "catalog.json"]), f"left behind in a full store: {left}"
        listing = tool("list", "--store", small)[0].stdout
        assert listing.strip() == "", f"a failed backup is listed: {listing}"
        res, _ = tool("backup", "--store", small, "--service", SERVICE, *conn_args(sb.master),
                      "--include", "bt", preexec=preexec)
        assert len(tool("list", "--store", small)[0].stdout.splitlines()) == 1
    finally:
        if mounted:
            subprocess.run(["umount", small], check=False)
    return mounted


def physical(sb, store):
    m, n2 = sb.master, sb.node(2)
    res, b_took = tool("backup", "--store", store, "--service", SERVICE, *conn_args(m), "--method", "physical")
    s = summary(res)
    assert s["method"] == "physical" and s["gtid"] == m.gtid_binlog_pos(), s
    datadir = n2.rec["datadir"]
    trep.shutdown_server(n2)
    res, _ = tool("restore", "--store", store, "--backup", s["id"], "--datadir", datadir, check=False)
    assert res.returncode != 0 and "not empty" in res.stderr, res.stderr
    shutil.rmtree(datadir)
    os.makedirs(datadir)
    res, r_took = tool("restore", "--store", store, "--backup", s["id"], "--datadir", datadir)
    assert summary(res)["what"] == "restored"
    sb.start("--no-trepd")
    harness.wait_for(n2.alive, timeout=60, what="node2 after the physical restore")
    n = trep.compare(m, n2, tables=trep.user_tables(m))
    assert m.sql(OBJECTS_SQL) == n2.sql(OBJECTS_SQL)
    return n, b_took, r_took


def prune(store):
    count = len(tool("list", "--store", store)[0].stdout.splitlines())
    res, _ = tool("prune", "--store", store, "--keep", 1)
    assert f"pruned {count - 1} backup(s)" in res.stdout, res.stdout
    left = tool("list", "--store", store)[0].stdout.splitlines()
    assert len(left) == 1, left
    archives = [f for f in os.listdir(store) if f.endswith(".tar.zst")]
    assert len(archives) == 1, archives


def main():
    assert harness.program("trep-backup"), "trep-backup is not built"
    work = tempfile.mkdtemp(prefix="trep-it-backup-")
    store = os.path.join(work, "store")
    try:
        with harness.deploy(nodes=2, trepd=False) as sb:
            sb.master.execute(TYPES_SQL)
            trep.sysbench_prepare(sb.master, tables=TABLES, size=ROWS)
            s, b_took = backup_during_load(sb, store)
            r_took = restore_fresh(sb, store, s)
            n = replicate_from_position(sb, s["gtid"])
            slave_position(sb, store)
            corruption(sb, store, s["id"])
            lock_refusal(sb, store)
            mounted = full_disk(sb, work)
            pn, pb_took, pr_took = physical(sb, store)
            prune(store)
            mb = int(s["size"]) / 1e6
            print(f"ok: logical backup under load {mb:.1f} MB in {b_took:.2f} s, restore {r_took:.2f} s, "
                  f"{n} tables identical at GTID {s['gtid']}; physical backup {pb_took:.2f} s, restore "
                  f"{pr_took:.2f} s, {pn} tables identical; full disk ({'tmpfs' if mounted else 'rlimit'}), "
                  "corruption, lock, slave position, prune checked")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
