#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_types_replication.py - every column type and its edge values replicated master ->
# slave through the real pipeline (binlog extractor -> THL -> thl-server -> thl-client -> applier) and compared
# (trep.compare: CHECKSUM TABLE and row by row): integers of every width signed/unsigned at min/max, FLOAT, DOUBLE,
# DECIMAL(65,30), BIT(1..64), YEAR, DATE with zero dates, TIME(0..6) negative and above 24 h, DATETIME and
# TIMESTAMP(0..6) with zero values, utf8mb4 (4-byte characters) and latin1 text, BINARY(16) with trailing zeros,
# VARBINARY, BLOBs up to a 16 MB one, a 2-byte ENUM, a 64-member SET, JSON, GEOMETRY, INET6, UUID, compressed
# columns and NULLs; INSERT, UPDATE (every column, to and from NULL, primary key changes) and DELETE under
# binlog_row_image FULL, MINIMAL and NOBLOB, and with log_bin_compress ON; then statement-format DML with user
# variables, RAND(), LAST_INSERT_ID(), NOW(6) and a temporary table.
import glob
import os
import subprocess
import sys
import time

import harness
import trep

DB = "ty"
BIG_BYTES = 16 << 20

INTS = [("TINYINT", -128, 127, 255), ("SMALLINT", -32768, 32767, 65535),
        ("MEDIUMINT", -8388608, 8388607, 16777215), ("INT", -2147483648, 2147483647, 4294967295),
        ("BIGINT", -9223372036854775808, 9223372036854775807, 18446744073709551615)]
ENUM_MEMBERS = [f"m{i}" for i in range(300)]   # more than 255 members: stored in 2 bytes
SET_MEMBERS = [f"s{i}" for i in range(64)]
D65_MAX = "9" * 35 + "." + "9" * 30


def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---- tables: name -> (column definitions without id, rows as {column: SQL literal}) ----

def ints_table():
    cols, mins, maxs, ones = [], {}, {}, {}
    for name, smin, smax, umax in INTS:
        s, u = f"s_{name.lower()}", f"u_{name.lower()}"
        cols += [f"{s} {name}", f"{u} {name} UNSIGNED"]
        mins.update({s: str(smin), u: "0"})
        maxs.update({s: str(smax), u: str(umax)})
        ones.update({s: "-1", u: "1"})
    return cols, [mins, maxs, ones, {c.split()[0]: "0" for c in cols}, {}]


def nums_table():
    cols = ["f FLOAT", "d DOUBLE", "fu FLOAT UNSIGNED", "d65 DECIMAL(65,30)", "d65u DECIMAL(65,30) UNSIGNED",
            "d65z DECIMAL(65,0)", "d42 DECIMAL(4,2)", "d10 DECIMAL(10,0)"]
    rows = [
        {"f": "-3.402823466e38", "d": "-1.7976931348623157e308", "fu": "0", "d65": "-" + D65_MAX, "d65u": "0",
         "d65z": "-" + "9" * 65, "d42": "-99.99", "d10": "-9999999999"},
        {"f": "3.402823466e38", "d": "1.7976931348623157e308", "fu": "3.402823466e38", "d65": D65_MAX,
         "d65u": D65_MAX, "d65z": "9" * 65, "d42": "99.99", "d10": "9999999999"},
        {"f": "1.175494351e-38", "d": "2.2250738585072014e-308", "fu": "1.401298464e-45",
         "d65": "0." + "0" * 29 + "1", "d65u": "0." + "0" * 29 + "1", "d65z": "1", "d42": "0.01", "d10": "1"},
        {"f": "-1.5", "d": "4.9e-324", "fu": "0.1", "d65": "-0." + "0" * 29 + "1", "d65u": "12345.678",
         "d65z": "-1", "d42": "-0.01", "d10": "-1"},
        {"f": "0", "d": "-0.0", "fu": "0", "d65": "0", "d65u": "0", "d65z": "0", "d42": "0", "d10": "0"},
        {},
    ]
    return cols, rows


def bits_table():
    cols = [f"b{n} BIT({n})" for n in range(1, 65)]
    ones = {f"b{n}": "b'" + "1" * n + "'" for n in range(1, 65)}
    zeros = {f"b{n}": "b'0'" for n in range(1, 65)}
    alt = {f"b{n}": "b'" + ("10" * 32)[:n] + "'" for n in range(1, 65)}
    low = {f"b{n}": "b'1'" for n in range(1, 65)}
    return cols, [ones, zeros, alt, low, {}]


def temporal_table():
    cols = ["y YEAR", "d DATE"] + [f"t{n} TIME({n})" for n in range(7)] + \
        [f"dt{n} DATETIME({n})" for n in range(7)] + [f"ts{n} TIMESTAMP({n}) NULL DEFAULT NULL" for n in range(7)]

    def row(y, d, t, dt, ts):
        r = {"y": y, "d": d}
        for n in range(7):
            r[f"t{n}"], r[f"dt{n}"] = t, dt
            if ts is not None:
                r[f"ts{n}"] = ts
        return {k: (q(v) if v is not None else "NULL") for k, v in r.items()}

    rows = [
        row("1901", "1000-01-01", "-838:59:59", "1000-01-01 00:00:00", "1970-01-01 00:00:01"),
        row("2155", "9999-12-31", "838:59:59", "9999-12-31 23:59:59.999999", "2038-01-19 03:14:07.999999"),
        row("0000", "0000-00-00", "00:00:00", "0000-00-00 00:00:00", "0000-00-00 00:00:00"),
        row("2024", "2024-02-29", "-12:34:56.789012", "2024-02-29 12:34:56.123456", "2024-02-29 12:34:56.654321"),
        row("1999", "2024-00-00", "100:00:00.5", "2024-00-00 00:00:00", None),
        row("2000", "1999-12-31", "-00:00:00.000001", "1999-12-31 23:59:59.000001", "2000-01-01 00:00:00.000001"),
        row("2001", "2001-02-03", "838:59:59.999999", "2001-02-03 04:05:06.7", "2001-02-03 04:05:06.7"),
        row("2002", "2002-02-02", "-838:59:59.999999", "2002-02-02 02:02:02", "2002-02-02 02:02:02"),
        {},
    ]
    return cols, rows


def strings_table():
    enum = ",".join(q(m) for m in ENUM_MEMBERS)
    sets = ",".join(q(m) for m in SET_MEMBERS)
    cols = ["cu CHAR(20) CHARACTER SET utf8mb4", "vu VARCHAR(300) CHARACTER SET utf8mb4",
            "tu TEXT CHARACTER SET utf8mb4", "mtu MEDIUMTEXT CHARACTER SET utf8mb4",
            "cl CHAR(20) CHARACTER SET latin1", "vl VARCHAR(300) CHARACTER SET latin1",
            "tl TEXT CHARACTER SET latin1", "cbin CHAR(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            "bin16 BINARY(16)", "vb VARBINARY(300)", "tb TINYBLOB", "bl BLOB", "mb MEDIUMBLOB", "lb LONGBLOB",
            f"e ENUM({enum})", f"s SET({sets})", "j JSON", "g GEOMETRY", "pt POINT", "ip INET6", "u UUID"]
    emoji = "\U0001F600\U0001D11E \u2603 \u00e9 \u4e2d"
    rows = [
        {"cu": q(emoji), "vu": q(emoji * 20), "tu": q(emoji * 300), "mtu": q("\U0001F680" * 5000),
         "cl": "_latin1 X'636166E920FF'", "vl": "_latin1 X'" + "E9" * 250 + "'", "tl": "_latin1 X'C0C1C2'",
         "cbin": q("Ab\U0001F600"), "bin16": "X'0102'", "vb": "X'00FF0000'", "tb": "X'00'", "bl": "X'00010200'",
         "mb": "REPEAT(X'00FF', 40000)", "lb": "REPEAT(X'DEADBEEF00', 100000)", "e": q("m299"),
         "s": q(",".join(SET_MEMBERS)), "j": q('{"a": [1, 2.5, "x", null, true], "b": {"c": "\U0001F600"}}'),
         "g": "ST_GeomFromText('POINT(1 2)')", "pt": "ST_GeomFromText('POINT(-1.5 1e300)')", "ip": "'::1'",
         "u": "'123e4567-e89b-12d3-a456-426614174000'"},
        {"cu": "''", "vu": "''", "tu": "''", "mtu": "''", "cl": "''", "vl": "''", "tl": "''", "cbin": "''",
         "bin16": "X'00000000000000000000000000000000'", "vb": "X''", "tb": "X''", "bl": "X''", "mb": "X''",
         "lb": "X''", "e": q("m0"), "s": "''", "j": "'[]'",
         "g": "ST_GeomFromText('LINESTRING(0 0,1 1,2 2)', 4326)", "pt": "ST_GeomFromText('POINT(0 0)')",
         "ip": "'::'", "u": "'00000000-0000-0000-0000-000000000000'"},
        {"cu": q("trail  "), "vu": q("trail  "), "tu": q(" lead"), "mtu": q("x"), "cl": q("A"), "vl": q("a "),
         "tl": q("a"), "cbin": q("a"), "bin16": "X'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'", "vb": "REPEAT(X'A5', 300)",
         "tb": "REPEAT(X'00', 255)", "bl": "REPEAT(X'01', 65535)", "mb": "X'00'", "lb": "X'00'", "e": q("m1"),
         "s": q("s0,s63"), "j": q('{"deep": ' + "[" * 30 + "1" + "]" * 30 + ', "n": -1.5e-7, "s": "a\\"b"}'),
         "g": "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))')",
         "pt": "ST_GeomFromText('POINT(3 4)')", "ip": "'2001:db8::ff00:42:8329'",
         "u": "'ffffffff-ffff-ffff-ffff-ffffffffffff'"},
        {"cu": q("A"), "vu": q("a"), "cl": q("a"), "vl": q("A"), "cbin": q("A"),
         "bin16": "X'00000000000000000000000000000001'", "e": "''", "s": q("s31,s32"), "j": "'null'",
         "g": "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))')",
         "ip": "'::ffff:192.0.2.1'", "u": "'12345678-1234-1234-1234-000000000000'"},
        {},
    ]
    return cols, rows


def compressed_table():
    cols = ["vc VARCHAR(1000) CHARACTER SET utf8mb4 COMPRESSED", "bc BLOB COMPRESSED",
            "tc TEXT CHARACTER SET utf8mb4 COMPRESSED", "vbc VARBINARY(500) COMPRESSED"]
    rows = [
        {"vc": q("abc\U0001F600" * 200), "bc": "REPEAT(X'00010203', 5000)", "tc": q("z\u00e9" * 3000),
         "vbc": "REPEAT(X'00', 499)"},
        {"vc": q("x"), "bc": "X'00'", "tc": q("\U0001F600"), "vbc": "X'FF'"},
        {"vc": "''", "bc": "X''", "tc": "''", "vbc": "X''"},
        {},
    ]
    return cols, rows


BASE_TABLES = {"ints": ints_table(), "nums": nums_table(), "bits": bits_table(), "temporal": temporal_table(),
               "strings": strings_table(), "compressed": compressed_table()}
# each also without any key: the slave must then find rows by comparing every column of every type
TABLES = dict(BASE_TABLES, **{f"{n}_nokey": t for n, t in BASE_TABLES.items()})


def col_names(cols):
    return [c.split()[0] for c in cols]


def create_tables(m):
    stmts = [f"CREATE DATABASE {DB}"]
    for name, (cols, _) in TABLES.items():
        key = "" if name.endswith("_nokey") else " PRIMARY KEY"
        stmts.append(f"CREATE TABLE {DB}.{name} (id INT NOT NULL{key}, {', '.join(cols)}) ENGINE=InnoDB")
    stmts.append(f"CREATE TABLE {DB}.bigblob (id INT NOT NULL PRIMARY KEY, n INT, b LONGBLOB) ENGINE=InnoDB")
    m.execute(";\n".join(stmts))


def session(sql, image=None):
    """The statements with the session settings every writer uses (UTC for TIMESTAMP literals)."""
    pre = "SET NAMES utf8mb4; SET SESSION time_zone = '+00:00';"
    if image:
        pre += f" SET SESSION binlog_row_image = '{image}';"
    return pre + "\n" + sql


def insert_rows(m):
    for name, (cols, rows) in TABLES.items():
        stmts = []
        for i, row in enumerate(rows, start=1):
            names = ", ".join(["id"] + list(row))
            values = ", ".join([str(i)] + list(row.values()))
            # the ENUM '' (index 0) value is only accepted outside strict mode
            pre = "SET STATEMENT sql_mode = '' FOR " if row.get("e") == "''" else ""
            stmts.append(f"{pre}INSERT INTO {DB}.{name} ({names}) VALUES ({values})")
        m.execute(session(";\n".join(stmts)))


def dml_round(m, image, off):
    """Copies of the base rows at ids off+1..off+n, then per table: the first column passed on from row to row
    (values to and from NULL), every column of one row updated from another row, one column at a time (MINIMAL
    and NOBLOB images then differ per column), columns set to NULL, a primary key change, a multi-row key change,
    single and multi-row deletes. The updates run in one transaction per table, the rest one per statement."""
    for name, (cols, rows) in TABLES.items():
        names = col_names(cols)
        n = len(rows)
        t = f"{DB}.{name}"
        first = names[0]
        sql = [f"INSERT INTO {t} (id, {', '.join(names)}) SELECT id + {off}, {', '.join(names)} FROM {t} "
               f"WHERE id <= {n}", "BEGIN"]
        for k in range(1, n + 1):
            src = off + (k % n) + 1
            sql.append(f"UPDATE {t} SET {first} = (SELECT v FROM (SELECT {first} AS v FROM {t} WHERE id = {src}) x) "
                       f"WHERE id = {off + k}")
        for c in names:
            sql.append(f"UPDATE {t} SET {c} = (SELECT v FROM (SELECT {c} AS v FROM {t} WHERE id = {off + 2}) x) "
                       f"WHERE id = {off + 1}")
        sql.append("COMMIT")
        sql.append(f"UPDATE {t} SET {', '.join(f'{c} = NULL' for c in names[::2])} WHERE id = {off + 3}")
        sql.append(f"UPDATE {t} SET {', '.join(f'{c} = NULL' for c in names[1::2])} WHERE id = {off + n}")
        sql.append(f"UPDATE {t} SET id = id + 50 WHERE id = {off + 2}")
        sql.append(f"DELETE FROM {t} WHERE id = {off + 4}")
        sql.append(f"UPDATE {t} SET id = id + 1000 WHERE id > {off + 4} AND id <= {off + n}")
        sql.append(f"DELETE FROM {t} WHERE id > {off + 1000} AND id <= {off + 1000 + n} AND id % 3 = 0")
        m.execute(session(";\n".join(sql), image))


def compressed_events(m):
    """Names of compressed binlog events (log_bin_compress) in the master's binlog, read by mariadb-binlog."""
    files = sorted(glob.glob(os.path.join(m.rec["binlog_dir"], "mariadb-bin.[0-9]*")))
    out = subprocess.run(["mariadb-binlog", "--no-defaults", *files], capture_output=True, text=True,
                         check=True).stdout
    return {w for w in ("Write_compressed_rows", "Update_compressed_rows", "Delete_compressed_rows",
                        "Query_compressed") if w in out}


def big_blob(m):
    """A 16 MB blob: insert, update of another column (full, noblob and minimal images), update of the blob
    itself, a second one, a delete."""
    blob = f"REPEAT(CONCAT(X'00', MD5('x'), X'FF'), {BIG_BYTES // 34}), REPEAT(X'AB', {BIG_BYTES % 34})"
    m.execute(f"INSERT INTO {DB}.bigblob VALUES (1, 0, CONCAT({blob})), (2, 0, X'0102')", timeout=300)
    assert int(m.value(f"SELECT LENGTH(b) FROM {DB}.bigblob WHERE id = 1")) == BIG_BYTES
    for image in ("FULL", "NOBLOB", "MINIMAL"):
        m.execute(session(f"UPDATE {DB}.bigblob SET n = n + 1 WHERE id = 1", image))
    m.execute(session(f"UPDATE {DB}.bigblob SET b = REVERSE(b) WHERE id = 1", "NOBLOB"), timeout=300)
    m.execute(session(f"INSERT INTO {DB}.bigblob SELECT 3, 7, CONCAT(b, X'00') FROM {DB}.bigblob WHERE id = 1; "
                      f"DELETE FROM {DB}.bigblob WHERE id = 2", "MINIMAL"), timeout=300)


def compare_big(m, s):
    sql = f"SELECT id, n, LENGTH(b), SHA2(b, 256) FROM {DB}.bigblob ORDER BY id"
    a, b = m.sql(sql), s.sql(sql)
    assert a == b, f"{DB}.bigblob differs: master {a}, slave {b}"
    assert [r[2] for r in a] == [str(BIG_BYTES), str(BIG_BYTES + 1)], f"unexpected blob lengths {a}"
    ca, cb = m.checksum(f"{DB}.bigblob"), s.checksum(f"{DB}.bigblob")
    assert ca == cb, f"{DB}.bigblob: CHECKSUM TABLE {ca} on master, {cb} on slave"


def statement_format(m):
    """Statement-format DML: the applier must replay session state (user variables of every kind, RAND seeds,
    INSERT_ID/LAST_INSERT_ID, the timestamp behind NOW(6), pseudo_thread_id for the temporary table)."""
    m.execute("CREATE DATABASE st; CREATE TABLE st.t (id INT AUTO_INCREMENT PRIMARY KEY, i BIGINT, "
              "s VARCHAR(100) CHARACTER SET utf8mb4, l VARCHAR(100) CHARACTER SET latin1, b VARBINARY(20), "
              "dec1 DECIMAL(30,10), dbl DOUBLE, r DOUBLE, lid BIGINT, ts DATETIME(6), "
              "cid BIGINT, n INT) ENGINE=InnoDB; CREATE TABLE st.a (id INT AUTO_INCREMENT PRIMARY KEY, x INT)")
    m.execute("""SET SESSION binlog_format = 'STATEMENT'; SET NAMES utf8mb4;
        SET @i = -9223372036854775808, @s = 'h\u00e9llo \U0001F600', @l = _latin1 X'E9E8', @b = X'00FF00',
            @dec = -12345678901234567890.0123456789, @dbl = 1.7976931348623157e308, @n = NULL;
        INSERT INTO st.t (i, s, l, b, dec1, dbl, n) VALUES (@i, @s, @l, @b, @dec, @dbl, @n);
        INSERT INTO st.t (r) VALUES (RAND()), (RAND(7)), (RAND());
        INSERT INTO st.a (x) VALUES (1), (2), (3);
        INSERT INTO st.t (lid) VALUES (LAST_INSERT_ID());
        INSERT INTO st.a (x) VALUES (LAST_INSERT_ID() + 10);
        INSERT INTO st.t (ts) VALUES (NOW(6)), (NOW(6) + INTERVAL 1 MICROSECOND);
        DELETE FROM st.t WHERE ts IS NOT NULL AND id = LAST_INSERT_ID();
        INSERT INTO st.t (ts) VALUES (NOW(6));
        CREATE TEMPORARY TABLE st.tmp (k INT, v VARCHAR(20));
        INSERT INTO st.tmp VALUES (1, 'one'), (2, 'two'), (3, CONCAT('t', CONNECTION_ID() * 0));
        INSERT INTO st.t (n, s, cid) SELECT k, v, CONNECTION_ID() FROM st.tmp;
        UPDATE st.tmp SET v = 'changed' WHERE k = 2;
        UPDATE st.t JOIN st.tmp ON st.t.n = st.tmp.k SET st.t.s = st.tmp.v;
        DROP TEMPORARY TABLE st.tmp;
        SET @k = 2;
        UPDATE st.t SET i = @k * 1000, r = r + RAND() WHERE n = @k;
        DELETE FROM st.t WHERE n = 3;
        BEGIN; SET @x = 'in-txn'; INSERT INTO st.t (s) VALUES (@x); UPDATE st.a SET x = x + 1; COMMIT;""")


def main():
    t0 = time.monotonic()
    with harness.deploy(nodes=2) as sb:
        m, s = sb.master, sb.slaves[0]
        create_tables(m)
        insert_rows(m)
        for image, off in (("FULL", 100), ("MINIMAL", 200), ("NOBLOB", 300)):
            dml_round(m, image, off)
        m.execute("SET GLOBAL log_bin_compress = ON")
        try:
            for image, off in (("FULL", 400), ("MINIMAL", 500)):
                dml_round(m, image, off)
        finally:
            m.execute("SET GLOBAL log_bin_compress = OFF")
        big_blob(m)
        statement_format(m)
        seqno = trep.flush_and_wait(m, [s], limit=120)
        comp = compressed_events(m)
        assert {"Write_compressed_rows", "Update_compressed_rows"} <= comp, \
            f"log_bin_compress produced no compressed row events ({comp}): the test would not test them"
        tables = [t for t in trep.user_tables(m) if t != (DB, "bigblob")]
        expect = {(DB, n) for n in TABLES} | {("st", "t"), ("st", "a")}
        assert set(tables) == expect, f"tables {tables}"
        n = trep.compare(m, s, tables)
        compare_big(m, s)
        rows = sum(int(m.value(f"SELECT COUNT(*) FROM `{a}`.`{b}`")) for a, b in tables)
        st = trep.status(s)
        assert st["state"] == "ONLINE", f"slave {st['state']}: {st['pendingError']}"
        print(f"ok: {n + 1} tables ({rows} rows and 2 x 16 MB blobs) identical at seqno {seqno}; compressed "
              f"events {sorted(comp)}; {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
