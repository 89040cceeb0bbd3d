#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_decoder_diff.py - trep's binlog decoder against MariaDB's own: a 1-node sandbox
# (no trepd) runs the corpus of decoder_corpus.py (every column type with edge values, every row image,
# compressed events, checksum NONE/CRC32, DDL, XA, statement format, rollbacks); then every binlog file is
# decoded by `mariadb-binlog -vv --base64-output=decode-rows` and by `trep-binlog --json`, and the two are
# compared event by event (same events at the same positions, same checksums, GTIDs, XIDs, statements,
# session settings, user variables, table maps) and, for every row of every rows event, value by value.
# Table maps and value kinds are also checked against information_schema (signedness, charsets, ENUM/SET
# members). The MariaDB fixture files of tests/data/binlog/mariadb, when present, get the same comparison
# (without information_schema). Finally every file of tests/data/binlog/mysql must decode completely with
# trep-binlog, except three deliberately broken ones that must fail cleanly with an error naming the
# offset where decoding stopped. All mismatches are listed (file, offset, table, row, column, both
# values); exit 1 if any.
#
# Presentation differences that are normalised (trep's decoded value is rendered the way mariadb-binlog
# prints it, then compared as bytes; nothing else is forgiven):
# - integers: mariadb-binlog ignores signedness and prints the signed reading of the stored bits, plus the
#   unsigned one in parentheses when negative ("-1 (255)"); trep's INT/UINT value must fit the column
#   width and its kind must match the column's signedness (information_schema).
# - FLOAT is printed with "%-20g" (6 digits, padded), DOUBLE with "%.20g": trep's value is formatted so.
# - DECIMAL: both print every scale digit; compared as text.
# - BIT(n): b'...' with n digits; SET(n bytes): b'...' of the stored bytes in storage (little-endian) order;
#   ENUM: the index.
# - YEAR: mariadb-binlog prints stored byte + 1900, so YEAR 0000 appears as 1900.
# - DATE: printed 'YYYY:MM:DD' (colons). TIME(n)/DATETIME(n): quoted, exactly n fraction digits.
#   TIMESTAMP(n): seconds since the epoch with n fraction digits ("0" for the zero timestamp); trep prints
#   a UTC datetime, converted back to seconds.
# - strings, blobs, GEOMETRY, INET6/UUID: mariadb-binlog writes the raw bytes between quotes, bytes
#   0x00-0x1F as \xHH, nothing else escaped (not even ' or \); trep's bytes (UTF-8 text or hex) are
#   rendered so.
# - compressed columns: mariadb-binlog prints the stored form (header byte + zlib data); it is un-escaped
#   and inflated here, then compared with trep's decompressed value.
# - Table_map: mariadb-binlog appends " (has triggers)" for MariaDB's TM_BIT_HAS_TRIGGERS_F flag, which
#   trep-binlog's JSON does not show; the suffix is dropped.
# - Execute_load_query: mariadb-binlog prints the statement around the file it rebuilt from the
#   Begin_load_query/Append_block blocks; the file must hold exactly trep's blocks.
# - Gtid_list: mariadb-binlog sorts the list (qsort) before printing; trep keeps the event's order.
# - User_var strings: printed as _charset X'HEX' COLLATE `name` ("" for the empty string), the names
#   looked up in information_schema.COLLATIONS; REAL values with "%.14g".
# - two-phase ALTER (binlog_alter_two_phase): after a START/COMMIT/ROLLBACK ALTER GTID, mariadb-binlog
#   comments the statement out ("### " before it, no end marker); its text is still compared.
# - Annotate_rows: mariadb-binlog prints each line of the query as "#Q> line", dropping CR/LF runs.
# - Rows of a statement split over several rows events are printed after the last event's header
#   (STMT_END_F): rows are compared per statement group, in order.
import calendar
import collections
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zlib

import decoder_corpus
import harness

FIXTURE_DIR = os.path.join(harness.SOURCE_DIR, "tests", "data", "binlog", "mysql")
MARIADB_FIXTURES = os.path.join(harness.SOURCE_DIR, "tests", "data", "binlog", "mariadb",
                                "mariadb-bin.[0-9]*")
BROKEN_FIXTURES = {"binlog_truncated_event.000001", "binlog_truncated_prev_gtid_event.000001",
                   "corrupt-relay-bin.000624"}
# Written by a MySQL 5.2.2 development server with pre-GA rows events (types 20-22, whose row images use
# the server's internal record layout): trep refuses them by design (docs/binlog-decoder.md), so the file
# must stop cleanly with the offset named, like a broken one.
UNSUPPORTED_FIXTURES = {"ver_5_1-wl2325_r.001"}
MAX_LISTED = 60

# ---- reporting -----------------------------------------------------------------------------------------


def short(v, limit=160):
    """A printable, bounded rendering of a value for messages."""
    if isinstance(v, (bytes, bytearray)):
        text = repr(bytes(v[:limit]))
        return text + (f"...({len(v)} bytes)" if len(v) > limit else "")
    text = repr(v)
    return text[:limit] + ("..." if len(text) > limit else "")


class Report:
    """Mismatches and coverage counters of one run."""

    def __init__(self):
        self.problems = []
        self.types = collections.Counter()       # mariadb-binlog column type -> non-NULL values compared
        self.null_types = collections.Counter()  # ... -> NULLs compared
        self.events = collections.Counter()      # trep type_name -> events compared
        self.rows = 0
        self.values = 0
        self.partial_images = 0
        self.largest = 0
        self.checksum_none_files = 0
        self.truth_tables = 0
        self.truth_skipped = set()
        self.planted = 0
        self.load_bytes = 0
        self.group_commits = 0
        self.error_codes = 0
        self.alters = 0

    def bad(self, where, msg):
        self.problems.append(f"{where}: {msg}")

    def value(self, typ, is_null, size=0):
        self.values += 1
        (self.null_types if is_null else self.types)[typ] += 1
        self.largest = max(self.largest, size)


# ---- running things ------------------------------------------------------------------------------------


def run_sql(node, script):
    """Run an SQL script in one client session (LOAD DATA LOCAL allowed); raise on any error."""
    res = subprocess.run(node.client_args() + ["--local-infile=1"], input=script.encode("utf-8"),
                         capture_output=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError(f"corpus failed (exit {res.returncode}): {res.stderr.decode(errors='replace')}")


def run_corpus(sb, workdir):
    """The corpus, a restart (STOP event, new file), then two transactions committed as one group."""
    load_file = os.path.join(workdir, "load.csv")
    with open(load_file, "wb") as f:
        f.write(decoder_corpus.load_data_csv())
    node = sb.master
    run_sql(node, decoder_corpus.script(load_file=load_file))
    sb.stop()
    sb.start()
    run_sql(node, decoder_corpus.script(decoder_corpus.AFTER_RESTART))
    clients = [subprocess.Popen(node.client_args() + ["-e", sql], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for sql in decoder_corpus.GROUP_COMMIT]
    outs = [c.communicate(timeout=60) for c in clients]
    run_sql(node, decoder_corpus.GROUP_COMMIT_RESET)
    for c, (_, err) in zip(clients, outs):
        if c.returncode != 0:
            raise RuntimeError(f"group commit client failed: {err.decode(errors='replace')}")


def binlog_files(node):
    files = sorted(glob.glob(node.rec["binlog_basename"] + ".[0-9]*"))
    if len(files) < 3:
        raise RuntimeError(f"expected several binlog files (checksum changes rotate), got {files}")
    return files


def mariadb_binlog(path, load_dir):
    """mariadb-binlog's output for one file; LOAD DATA files it rebuilds go to load_dir."""
    env = dict(os.environ, TZ="UTC")
    res = subprocess.run(["mariadb-binlog", "--no-defaults", "-vv", "--base64-output=decode-rows",
                          f"--local-load={load_dir}", path], capture_output=True, timeout=120, env=env)
    if res.returncode != 0 or res.stderr.strip():
        raise RuntimeError(f"mariadb-binlog {path}: exit {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')}")
    return res.stdout


def trep_binlog_json(trep, paths):
    res = subprocess.run([trep, "--json", *paths], capture_output=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"trep-binlog --json: exit {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')}")
    return json.loads(res.stdout)


# ---- mariadb-binlog output -----------------------------------------------------------------------------

HEADER_RE = re.compile(rb"^#(\d{6} [ \d]\d:\d\d:\d\d) server id (\d+)  end_log_pos (\d+) "
                       rb"(?:CRC32 0x([0-9a-f]{8}) )?\t?(.*)$")
AT_RE = re.compile(rb"^# at \d+$")
ROW_RE = re.compile(rb"^### (INSERT INTO|UPDATE|DELETE FROM) `(.*)`\.`(.*)`$")
COL_RE = re.compile(rb"^###   @(\d+)=(.*) /\* (.+?) meta=(\d+) nullable=(\d) is_null=(\d) \*/$")
NROWS_RE = re.compile(rb"^# Number of rows: (\d+)$")
ACTIONS = {b"INSERT INTO": "INSERT", b"UPDATE": "UPDATE", b"DELETE FROM": "DELETE"}


def parse_mariadb_binlog(data):
    """Events of one mariadb-binlog -vv output: dicts with pos (end_log_pos), when, server_id, crc, head
    (the header text after the tab), body (other lines), rows (### rows printed after this header) and
    nrows ("# Number of rows")."""
    cut = data.rfind(b"\nDELIMITER ;\n# End of log file")
    if cut >= 0:
        data = data[:cut + 1]
    events, cur, image = [], None, None
    for line in data.split(b"\n"):
        m = HEADER_RE.match(line)
        if m:
            cur = {"when": m.group(1).decode(), "server_id": int(m.group(2)), "pos": int(m.group(3)),
                   "crc": int(m.group(4), 16) if m.group(4) else None, "head": m.group(5), "body": [],
                   "rows": [], "nrows": None}
            events.append(cur)
            continue
        if cur is None or AT_RE.match(line):
            continue
        if line.startswith(b"###") and "ROWS" in (head_type(cur["head"]) or ""):
            image = parse_row_line(cur, line, image)
            continue
        m = NROWS_RE.match(line)
        if m:
            cur["nrows"] = int(m.group(1))
        else:
            cur["body"].append(line)
    for ev in events:  # Begin_load_query, Append_block: the description is on the next line
        if ev["head"] == b"" and ev["body"]:
            ev["head"] = ev["body"].pop(0)
    return events


def parse_row_line(ev, line, image):
    """One ### line: a new row, an image start (SET/WHERE) or a column; returns the current image."""
    m = ROW_RE.match(line)
    if m:
        ev["rows"].append({"action": ACTIONS[m.group(1)], "schema": m.group(2).decode(),
                           "table": m.group(3).decode(), "before": None, "after": None})
        return None
    if line in (b"### SET", b"### WHERE"):
        image = []
        ev["rows"][-1]["after" if line == b"### SET" else "before"] = image
        return image
    m = COL_RE.match(line)
    if m is None or image is None:
        raise RuntimeError(f"unparsed mariadb-binlog row line: {short(line)}")
    image.append({"index": int(m.group(1)), "value": m.group(2), "type": m.group(3).decode(),
                  "meta": int(m.group(4)), "nullable": int(m.group(5)), "is_null": int(m.group(6))})
    return image


HEAD_TYPES = [
    (b"Start: ", "FORMAT_DESCRIPTION_EVENT"), (b"Gtid list ", "GTID_LIST_EVENT"),
    (b"Binlog checkpoint ", "BINLOG_CHECKPOINT_EVENT"), (b"GTID ", "GTID_EVENT"),
    (b"Query\t", "QUERY_EVENT"), (b"Query_compressed\t", "QUERY_COMPRESSED_EVENT"),
    (b"Annotate_rows:", "ANNOTATE_ROWS_EVENT"), (b"Table_map: ", "TABLE_MAP_EVENT"),
    (b"Write_rows: ", "WRITE_ROWS_EVENT_V1"), (b"Update_rows: ", "UPDATE_ROWS_EVENT_V1"),
    (b"Delete_rows: ", "DELETE_ROWS_EVENT_V1"),
    (b"Write_compressed_rows: ", "WRITE_ROWS_COMPRESSED_EVENT_V1"),
    (b"Update_compressed_rows: ", "UPDATE_ROWS_COMPRESSED_EVENT_V1"),
    (b"Delete_compressed_rows: ", "DELETE_ROWS_COMPRESSED_EVENT_V1"),
    (b"Xid = ", "XID_EVENT"), (b"XID = ", "XA_PREPARE_LOG_EVENT"), (b"Rotate to ", "ROTATE_EVENT"),
    (b"Intvar", "INTVAR_EVENT"), (b"Rand", "RAND_EVENT"), (b"User_var", "USER_VAR_EVENT"),
    (b"Stop", "STOP_EVENT"), (b"#Begin_load_query: ", "BEGIN_LOAD_QUERY_EVENT"),
    (b"#Append_block: ", "APPEND_BLOCK_EVENT"), (b"Execute_load_query\t", "EXECUTE_LOAD_QUERY_EVENT"),
]


def head_type(head):
    for prefix, name in HEAD_TYPES:
        if head.startswith(prefix):
            return name
    return None


def query_body(body):
    """(session lines, statement text, commented) of a Query-like event body: the statement ends with
    a '/*!*/;' line, or is commented out ("### " before its first line, no end marker) when a
    two-phase ALTER's GTID says replicas must not run it as is; (None, None, None) if neither."""
    lines = body[:-1] if body and body[-1] == b"/*!*/;" else body
    i = 0
    while i < len(lines) and lines[i].endswith(b"/*!*/;"):
        i += 1
    if lines is body:
        if i >= len(lines) or not lines[i].startswith(b"### "):
            return None, None, None
        return lines[:i], b"\n".join(lines[i:])[4:], True
    return lines[:i], b"\n".join(lines[i:]), False


# ---- trep's values rendered like mariadb-binlog --------------------------------------------------------

INT_BITS = {"TINYINT": 8, "SHORTINT": 16, "MEDIUMINT": 24, "INT": 32, "LONGINT": 64}
STRING_TYPE_RE = re.compile(r"^(STRING\(\d+\)|VARSTRING\(\d+\)|TINYBLOB/TINYTEXT|BLOB/TEXT|"
                            r"MEDIUMBLOB/MEDIUMTEXT|LONGBLOB/LONGTEXT|GEOMETRY)$")
COMPRESSED_TYPE_RE = re.compile(r"^(VARSTRING\(\d+\)|TINYBLOB/TINYTEXT|BLOB/TEXT|MEDIUMBLOB/MEDIUMTEXT|"
                                r"LONGBLOB/LONGTEXT) COMPRESSED$")
FRAC_TYPE_RE = re.compile(r"^(TIME|DATETIME|TIMESTAMP)(?:\((\d)\))?$")  # no (n): pre-5.6 formats
TIME_RE = re.compile(r"^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")
CTRL_RE = re.compile(rb"[\x00-\x1f]")
HEXESC_RE = re.compile(rb"\\x([0-9a-f]{2})")


class Bad(Exception):
    """trep's value cannot be right whatever mariadb-binlog says (wrong kind, out of range, ...)."""


def mb_quote(b):
    """mariadb-binlog's my_b_write_quoted: bytes 0x00-0x1F as \\xhh, all others raw."""
    return b"'" + CTRL_RE.sub(lambda m: b"\\x%02x" % m.group()[0], b) + b"'"


def mb_unquote(q):
    if len(q) < 2 or q[:1] != b"'" or q[-1:] != b"'":
        raise Bad(f"not a quoted string: {short(q)}")
    return HEXESC_RE.sub(lambda m: bytes([int(m.group(1), 16)]), q[1:-1])


def mariadb_uncompress(raw):
    """The value of a MariaDB compressed column from its stored form (sql/field_comp.cc)."""
    if not raw:
        return b""
    hdr = raw[0]
    if hdr == 0:
        return raw[1:]
    if hdr & 0xF0 != 0x80:
        raise Bad(f"mariadb-binlog shows an unknown compression header 0x{hdr:02x}")
    n = hdr & 7
    orig = int.from_bytes(raw[1:1 + n], "big")
    data = zlib.decompress(raw[1 + n:], -15 if hdr & 8 else 15)
    if len(data) != orig:
        raise Bad(f"stored length {orig} but {len(data)} bytes inflated")
    return data


def trep_bytes(v):
    if isinstance(v, dict) and "hex" in v:
        return bytes.fromhex(v["hex"])
    if isinstance(v, str):
        return v.encode("utf-8")
    raise Bad(f"not a byte value: {short(v)}")


def need_kind(kind, *allowed):
    if kind not in allowed:
        raise Bad(f"kind {kind}, expected {'/'.join(allowed)}")


def fraction(frac, digits, what):
    """The fraction string of trep's rendering as microseconds, checked against the column's digits."""
    usec = int((frac or "").ljust(6, "0"))
    if usec % 10 ** (6 - digits):
        raise Bad(f"{what} has more fraction digits than the column's {digits}")
    return usec


def frac_text(usec, digits):
    return f".{usec // 10 ** (6 - digits):0{digits}d}" if digits else ""


def render_temporal(typ, kind, value):
    m = FRAC_TYPE_RE.match(typ)
    base, digits = m.group(1), int(m.group(2) or 0)
    if base == "TIME":
        need_kind(kind, "TIME")
        t = TIME_RE.match(value)
        if not t:
            raise Bad(f"TIME value {value!r} unparsable")
        usec = fraction(t.group(5), digits, "TIME")
        return (f"'{t.group(1)}{int(t.group(2)):02d}:{t.group(3)}:{t.group(4)}"
                f"{frac_text(usec, digits)}'")
    if base == "DATETIME":
        need_kind(kind, "DATETIME")
        t = DATETIME_RE.match(value)
        if not t:
            raise Bad(f"DATETIME value {value!r} unparsable")
        usec = fraction(t.group(7), digits, "DATETIME")
        return f"'{value[:19]}{frac_text(usec, digits)}'"
    need_kind(kind, "TIMESTAMP")
    t = DATETIME_RE.match(value)
    if not t:
        raise Bad(f"TIMESTAMP value {value!r} unparsable")
    usec = fraction(t.group(7), digits, "TIMESTAMP")
    if value.startswith("0000-00-00 00:00:00"):
        sec = 0
    else:
        sec = calendar.timegm(tuple(int(t.group(i)) for i in range(1, 7)))
    return f"{sec}{frac_text(usec, digits)}"


def render_scalar(typ, meta, kind, value):
    """mariadb-binlog's text for trep's non-string value (str), or None when typ is not a scalar type."""
    if typ in INT_BITS:
        bits, v = INT_BITS[typ], int(value)
        need_kind(kind, "INT", "UINT")
        lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if kind == "INT" else (0, 1 << bits)
        if not lo <= v < hi:
            raise Bad(f"{kind} {v} out of range for {bits} bits")
        raw = v & ((1 << bits) - 1)
        si = raw - (1 << bits) if raw >> (bits - 1) else raw
        return f"{si} ({raw})" if si < 0 else str(si)
    if typ == "FLOAT":
        need_kind(kind, "FLOAT")
        return "%-20g" % float(value)
    if typ == "DOUBLE":
        need_kind(kind, "DOUBLE")
        return "%-.20g" % float(value)
    if typ.startswith("DECIMAL("):
        need_kind(kind, "DECIMAL")
        return value
    if typ.startswith("BIT("):
        need_kind(kind, "BIT")
        n, v = int(typ[4:-1]), int(value)
        if v >> n:
            raise Bad(f"BIT value {v} wider than {n} bits")
        return "b'" + format(v, f"0{n}b") + "'"
    if typ == "YEAR":
        need_kind(kind, "INT")
        v = int(value)
        if v != 0 and not 1901 <= v <= 2155:
            raise Bad(f"YEAR {v} out of range")
        return "1900" if v == 0 else f"{v:04d}"
    if typ == "DATE":
        need_kind(kind, "DATE")
        if not re.match(r"^\d{4}-\d\d-\d\d$", value):
            raise Bad(f"DATE value {value!r} unparsable")
        return "'" + value.replace("-", ":") + "'"
    if FRAC_TYPE_RE.match(typ):
        return render_temporal(typ, kind, value)
    if typ.startswith("ENUM("):
        need_kind(kind, "ENUM")
        v = int(value)
        if v >> (8 if typ == "ENUM(1 byte)" else 16):
            raise Bad(f"ENUM index {v} too large")
        return str(v)
    if typ.startswith("SET("):
        need_kind(kind, "SET")
        n, v = int(typ[4:typ.index(" ")]), int(value)
        if v >> (8 * n):
            raise Bad(f"SET value {v:#x} wider than {n} bytes")
        return "b'" + "".join(format(b, "08b") for b in v.to_bytes(n, "little")) + "'"
    return None


def compare_value(rep, where, mc, tc):
    """One column: mariadb-binlog's printed value against trep's decoded one."""
    typ, kind, value = mc["type"], tc["kind"], tc["value"]
    if mc["is_null"] or kind == "NULL":
        rep.value(typ, True)
        if not (mc["is_null"] and kind == "NULL" and value is None and mc["value"] == b"NULL"):
            rep.bad(where, f"NULL mismatch: mariadb-binlog {short(mc['value'])} (is_null={mc['is_null']}), "
                           f"trep {kind} {short(value)}")
        return
    try:
        expected = render_scalar(typ, mc["meta"], kind, value)
        if expected is not None:
            got, expected = mc["value"], expected.encode("ascii")
            size = len(got)
        elif STRING_TYPE_RE.match(typ):
            need_kind(kind, "STRING", "BYTES")
            raw = trep_bytes(value)
            got, expected, size = mc["value"], mb_quote(raw), len(raw)
        elif COMPRESSED_TYPE_RE.match(typ):
            need_kind(kind, "STRING", "BYTES")
            got, expected = mariadb_uncompress(mb_unquote(mc["value"])), trep_bytes(value)
            size = len(expected)
        else:
            rep.bad(where, f"column type {typ} not handled by this test")
            return
    except Bad as e:
        rep.bad(where, f"{typ}: trep {kind} {short(value)}: {e} (mariadb-binlog {short(mc['value'])})")
        return
    except (ValueError, zlib.error) as e:
        rep.bad(where, f"{typ}: cannot compare: {e} (mariadb-binlog {short(mc['value'])}, "
                       f"trep {short(value)})")
        return
    rep.value(typ, False, size)
    if got != expected:
        rep.bad(where, f"{typ} value differs: mariadb-binlog {short(got)}, trep {kind} {short(value)} "
                       f"(rendered {short(expected)})")


# ---- information_schema: what the decoder must find in table maps ---------------------------------------

NUMERIC = {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double"}
SIMPLE_KINDS = {"year": "INT", "float": "FLOAT", "double": "DOUBLE", "decimal": "DECIMAL", "bit": "BIT",
                "enum": "ENUM", "set": "SET", "date": "DATE", "time": "TIME", "datetime": "DATETIME",
                "timestamp": "TIMESTAMP"}
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}


def truth_kind(col):
    dt = col["data_type"]
    if dt in ("tinyint", "smallint", "mediumint", "int", "bigint"):
        return "UINT" if "unsigned" in col["column_type"] else "INT"
    if dt in SIMPLE_KINDS:
        return SIMPLE_KINDS[dt]
    if dt in TEXT_TYPES and col["collation"] not in ("", "binary"):
        return "STRING"
    return "BYTES"


def members_of(column_type):
    m = re.match(r"^(?:enum|set)\((.*)\)$", column_type, re.S)
    return [s.replace("''", "'") for s in re.findall(r"'((?:[^']|'')*)'", m.group(1))] if m else []


def utf8mb3(strings):
    """information_schema holds COLUMN_TYPE in utf8mb3: characters beyond the BMP read back as '?'."""
    return [re.sub("[\U00010000-\U0010FFFF]", "?", x) for x in strings]


def load_truth(node):
    """{table: [column dicts]} of the corpus schema, and {collation id: (charset, collation)}."""
    rows = node.sql("SET NAMES utf8mb4; SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, "
                    "IFNULL(COLLATION_NAME, '') FROM information_schema.COLUMNS "
                    f"WHERE TABLE_SCHEMA = '{decoder_corpus.DB}' ORDER BY TABLE_NAME, ORDINAL_POSITION")
    tables = collections.defaultdict(list)
    for table, name, dt, ct, coll in rows:
        tables[table].append({"name": name, "data_type": dt, "column_type": ct, "collation": coll})
    colls = {int(i): (cs, name) for i, cs, name in
             node.sql("SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS "
                      "WHERE ID IS NOT NULL")}
    return tables, colls


def check_table_map(rep, where, fields, truth, colls):
    """The table map's columns against information_schema; returns the expected kind per column index
    (1-based), or None when the table is gone or was altered since (nothing to check against)."""
    cols = fields["columns"]
    if not truth:  # a fixture file: nothing to check against
        return None
    if fields["schema"] != decoder_corpus.DB or fields["table"] not in truth:
        rep.truth_skipped.add(f"{fields['schema']}.{fields['table']} (dropped since)")
        return None
    want = truth[fields["table"]]
    if [c["name"] for c in cols] != [w["name"] for w in want]:
        why = "no column names" if not any(c["name"] for c in cols) else "columns differ"
        rep.truth_skipped.add(f"{fields['schema']}.{fields['table']} ({why})")
        return None
    rep.truth_tables += 1
    for c, w in zip(cols, want):
        at = f"{where}: column {c['index']} `{c['name']}` ({w['column_type']})"
        if w["data_type"] in NUMERIC and c["unsigned"] != ("unsigned" in w["column_type"]):
            rep.bad(at, f"table map says unsigned={c['unsigned']}")
        members = utf8mb3(c.get("members", []))
        if w["data_type"] in ("enum", "set") and members != members_of(w["column_type"]):
            rep.bad(at, f"table map members {short(c.get('members'))}")
        if w["collation"] and c["charset"] != 0 and colls.get(c["charset"], ("", ""))[1] != w["collation"]:
            rep.bad(at, f"table map charset {c['charset']} {colls.get(c['charset'])}, "
                        f"information_schema {w['collation']}")
    return {c["index"]: truth_kind(w) for c, w in zip(cols, want)}


# ---- events --------------------------------------------------------------------------------------------

def hexlike(v):
    return trep_bytes(v).hex() if not (isinstance(v, str) and v == "") else ""


def check_header(rep, where, m, t):
    tm = time.gmtime(t["timestamp"])
    when = (f"{tm.tm_year % 100:02d}{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:2d}:{tm.tm_min:02d}:"
            f"{tm.tm_sec:02d}")
    if m["when"] != when:
        rep.bad(where, f"timestamp: mariadb-binlog {m['when']}, trep {t['timestamp']} ({when} UTC)")
    if m["server_id"] != t["server_id"]:
        rep.bad(where, f"server id: mariadb-binlog {m['server_id']}, trep {t['server_id']}")
    if m["crc"] is None:
        if t["checksum"] != "NONE":
            rep.bad(where, f"mariadb-binlog sees no checksum, trep {t['checksum']}")
    elif t.get("crc") != m["crc"] or not t.get("crc_verified"):
        rep.bad(where, f"CRC32: mariadb-binlog 0x{m['crc']:08x}, trep {t.get('crc')} "
                       f"verified={t.get('crc_verified')}")


def check_simple(rep, where, m, t):
    """Events whose whole content is in mariadb-binlog's header line or first body line."""
    f, head, name = t["fields"] or {}, m["head"].decode("utf-8", "replace"), t["type_name"]
    first = m["body"][0].decode("utf-8", "replace") if m["body"] else ""
    if name == "FORMAT_DESCRIPTION_EVENT":
        x = re.match(r"Start: binlog v (\d+), server v (\S+) created", head)
        ok = x and int(x.group(1)) == f["binlog_version"] and x.group(2) == f["server_version"]
    elif name == "GTID_LIST_EVENT":  # printed sorted, one per line ("...,\n# d-s-n")
        text = head + "".join(ln.decode("utf-8", "replace")[2:] for ln in m["body"] if ln.startswith(b"# "))
        x = re.match(r"Gtid list \[(.*)\]$", text)
        ok = x and [g for g in x.group(1).split(",") if g] == sorted(
            f["gtids"], key=lambda g: tuple(int(n) for n in g.split("-")))
    elif name == "BINLOG_CHECKPOINT_EVENT":
        ok = head == f"Binlog checkpoint {f['file']}"
    elif name == "XID_EVENT":
        ok = head == f"Xid = {f['xid']}"
    elif name == "ROTATE_EVENT":
        ok = head == f"Rotate to {f['next_file']}  pos: {f['position']}"
    elif name == "INTVAR_EVENT":
        ok = first == f"SET {f['type']}={f['value']}/*!*/;"
    elif name == "RAND_EVENT":
        ok = first == f"SET @@RAND_SEED1={f['seed1']}, @@RAND_SEED2={f['seed2']}/*!*/;"
    elif name == "STOP_EVENT":
        ok = head == "Stop"
    else:
        return False
    if not ok:
        rep.bad(where, f"mariadb-binlog {head!r} / {first!r}, trep {short(f, 400)}")
    return True


def gtid_header(f):
    """mariadb-binlog's header text for trep's GTID event fields."""
    flags, extra = f["flags2"], f["flags_extra"]
    head = f"GTID {f['gtid']}"
    head += f" cid={f.get('commit_id')}" if flags & 0x02 else ""      # FL_GROUP_COMMIT_ID
    head += " ddl" if flags & 0x20 else ""                             # FL_DDL
    head += " trans" if flags & 0x04 else ""                           # FL_TRANSACTIONAL
    head += " START ALTER" if extra & 0x02 else ""                     # FL_START_ALTER_E1
    head += f" COMMIT ALTER id= {f.get('sa_seq_no')}" if extra & 0x04 else ""
    head += f" ROLLBACK ALTER id= {f.get('sa_seq_no')}" if extra & 0x08 else ""
    return head


def check_gtid(rep, where, m, t, state):
    f = t["fields"]
    flags = f["flags2"]
    rep.group_commits += bool(flags & 0x02)
    rep.alters += bool(f["flags_extra"] & 0x0e)
    state["alter"] = bool(f["flags_extra"] & 0x0e)
    if m["head"].decode("utf-8", "replace") != gtid_header(f):
        rep.bad(where, f"GTID: mariadb-binlog {short(m['head'])}, trep {gtid_header(f)!r} "
                       f"(flags2 {flags:#x}, flags_extra {f['flags_extra']:#x})")
    xa = [ln for ln in m["body"] if ln.startswith(b"XA START ")]
    if flags & 0x40:
        exp = "XA START X'%s',X'%s',%d/*!*/;" % (hexlike(f["xa_gtrid"]), hexlike(f["xa_bqual"]),
                                                  f["xa_format_id"])
        if [ln.decode().lower() for ln in xa] != [exp.lower()]:
            rep.bad(where, f"XA xid: mariadb-binlog {xa}, trep {exp}")
    elif xa:
        rep.bad(where, f"mariadb-binlog prints {xa} but trep flags2 {flags:#x} has no PREPARED_XA")


def check_xa_prepare(rep, where, m, t):
    f = t["fields"]
    xid = "X'%s',X'%s',%d" % (hexlike(f["gtrid"]), hexlike(f["bqual"]), f["format_id"])
    _, text, _ = query_body(m["body"])
    stmt = f"XA COMMIT {xid} ONE PHASE" if f["one_phase"] else f"XA PREPARE {xid}"
    if m["head"].decode().lower() != f"xid = {xid}".lower() or (text or b"").decode().lower() != stmt.lower():
        rep.bad(where, f"mariadb-binlog {short(m['head'])} / {short(text)}, trep {stmt}")


def check_user_var(rep, where, m, t, colls):
    f = t["fields"]
    first = m["body"][0] if m["body"] else b""
    x = re.match(rb"^SET @`(.*)`:=(.*)/\*!\*/;$", first)
    if not x:
        rep.bad(where, f"unparsed User_var line {short(first)}")
        return
    if f["is_null"]:
        exp = "NULL"
    elif f["type"] == 0:
        cs, coll = colls.get(f["charset"], ("?", "?"))
        raw = trep_bytes(f["value"]) if f["value"] != "" else b""
        literal = f"X'{raw.hex().upper()}'" if raw else '""'
        exp = f"_{cs} {literal} COLLATE `{coll}`"
    elif f["type"] == 1:
        exp = "%.14g" % f["value"]
    else:
        exp = str(f["value"])
    if x.group(1).decode() != f["name"] or x.group(2).decode() != exp:
        rep.bad(where, f"mariadb-binlog {short(first)}, trep @{f['name']} := {exp}")


def check_annotate(rep, where, m, t):
    got = [ln[4:] for ln in m["body"] if ln.startswith(b"#Q> ")]
    want = [ln for ln in re.split(rb"[\r\n]+", trep_bytes(t["fields"]["sql"])) if ln]
    if got != want:
        rep.bad(where, f"Annotate_rows: mariadb-binlog {short(b'|'.join(got))}, "
                       f"trep {short(b'|'.join(want))}")


QUERY_HEAD_RE = re.compile(rb"^(?:Query|Query_compressed|Execute_load_query)\tthread_id=(\d+)"
                           rb"\texec_time=(\d+)\terror_code=(\d+)\txid=(\d+)$")


def session_line_checks(line, f, t, colls):
    """(what, mariadb-binlog value, trep value) for a session line of a Query event, or None."""
    st = f["status"]
    pats = [
        (rb"^SET TIMESTAMP=(\d+(?:\.\d{6})?)/\*!\*/;$", "timestamp",
         lambda: f"{t['timestamp']}" + (f".{st['hrnow']:06d}" if st.get("hrnow") else "")),
        (rb"^SET @@session\.pseudo_thread_id=(\d+)/\*!\*/;$", "pseudo_thread_id",
         lambda: str(f["thread_id"])),
        (rb"^SET @@session\.sql_mode=(\d+)/\*!\*/;$", "sql_mode", lambda: str(st.get("sql_mode"))),
        (rb"^SET @@session\.auto_increment_increment=(\d+, @@session\.auto_increment_offset=\d+)/\*!\*/;$",
         "auto_increment", lambda: f"{st.get('auto_increment_increment', 1)}, "
                                   f"@@session.auto_increment_offset={st.get('auto_increment_offset', 1)}"),
        (rb"^/\*!\\C (\S+) \*//\*!\*/;$", "client charset",
         lambda: colls.get(st.get("character_set_client"), ("?",))[0]),
        (rb"^SET @@session\.character_set_client=(.*)/\*!\*/;$", "charsets",
         lambda: f"{colls.get(st.get('character_set_client'), ('?',))[0]},@@session.collation_connection="
                 f"{st.get('collation_connection')},@@session.collation_server={st.get('collation_server')}"),
        (rb"^SET @@session\.time_zone='(.*)'/\*!\*/;$", "time_zone", lambda: st.get("time_zone")),
        (rb"^SET @@session\.lc_time_names=(\d+)/\*!\*/;$", "lc_time_names",
         lambda: str(st.get("lc_time_names", 0))),
        (rb"^SET @@session\.collation_database=(\w+)/\*!\*/;$", "collation_database",
         lambda: str(st.get("collation_database")) if st.get("collation_database") else "DEFAULT"),
    ]
    for pat, what, trep_value in pats:
        x = re.match(pat, line)
        if x:
            return what, x.group(1).decode("utf-8", "replace"), trep_value()
    return None


def check_query(rep, where, m, t, state, colls):
    f = t["fields"]
    x = QUERY_HEAD_RE.match(m["head"])
    want = (f["thread_id"], f["exec_time"], f["error_code"], f["status"].get("xid", 0))
    rep.error_codes += f["error_code"] != 0
    if not x or tuple(int(g) for g in x.groups()) != want:
        rep.bad(where, f"query header: mariadb-binlog {short(m['head'])}, trep thread_id/exec_time/"
                       f"error_code/xid {want}")
    body = m["body"]
    if t["type_name"] == "EXECUTE_LOAD_QUERY_EVENT":
        if not body or body[-1] != b"# file_id: %d " % f["file_id"]:
            rep.bad(where, f"file id: mariadb-binlog {short(body[-1:])}, trep {f['file_id']}")
        body = body[:-1]
    sets, text, commented = query_body(body)
    if text is None:
        rep.bad(where, f"unparsed query body {short(b'|'.join(m['body']))}")
        return
    if commented != state["alter"]:
        rep.bad(where, f"statement commented out by mariadb-binlog: {commented}, but trep's GTID says "
                       f"two-phase ALTER: {state['alter']}")
    state["alter"] = False
    if t["type_name"] == "EXECUTE_LOAD_QUERY_EVENT":
        check_load_query(rep, where, text, f, state)
    elif text != trep_bytes(f["sql"]):
        rep.bad(where, f"statement text: mariadb-binlog {short(text)}, trep {short(f['sql'])}")
    use = [ln for ln in sets if ln.startswith(b"use `")]
    expect_use = False
    if not t["flags"] & 0x08:  # LOG_EVENT_SUPPRESS_USE_F (CREATE/DROP DATABASE): no use, no db change
        expect_use = f["db"] != state["db"] and f["db"] != ""
        state["db"] = f["db"]
    if use != ([b"use `%s`/*!*/;" % f["db"].encode()] if expect_use else []):
        rep.bad(where, f"default database: mariadb-binlog {use}, trep {f['db']!r}")
    for ln in sets:
        c = session_line_checks(ln, f, t, colls)
        if c and c[1] != c[2]:
            rep.bad(where, f"session {c[0]}: mariadb-binlog {c[1]!r}, trep {c[2]!r}")


def check_load_block(rep, where, m, t, state):
    """Begin_load_query / Append_block: block sizes; the blocks are collected per file id."""
    f = t["fields"]
    block = trep_bytes(f["block"]) if f["block"] != "" else b""
    label = "Begin_load_query" if t["type_name"] == "BEGIN_LOAD_QUERY_EVENT" else "Append_block"
    exp = f"#{label}: file_id: {f['file_id']}  block_len: {len(block)}"
    if m["head"].decode("utf-8", "replace") != exp:
        rep.bad(where, f"mariadb-binlog {short(m['head'])}, trep {exp}")
    if t["type_name"] == "BEGIN_LOAD_QUERY_EVENT":
        state["loads"][f["file_id"]] = b""
    state["loads"][f["file_id"]] = state["loads"].get(f["file_id"], b"") + block


def check_load_query(rep, where, text, f, state):
    """Execute_load_query: mariadb-binlog rewrites the statement around the file it rebuilt from the
    blocks (sql/log_event_client.cc): that file must hold exactly the blocks trep decoded."""
    sql = trep_bytes(f["sql"])
    pat = (re.escape(sql[:f["fn_pos_start"]]) + rb" LOCAL INFILE '(.*)'" +
           (rb" REPLACE" if f["dup_handling"] == 2 else rb"") + rb" INTO" + re.escape(sql[f["fn_pos_end"]:]))
    x = re.fullmatch(pat, text, re.S)
    if not x:
        rep.bad(where, f"LOAD DATA statement: mariadb-binlog {short(text)}, trep {short(sql)} "
                       f"(file name at {f['fn_pos_start']}..{f['fn_pos_end']}, "
                       f"dup_handling {f['dup_handling']})")
        return
    with open(x.group(1).decode(), "rb") as fh:
        data = fh.read()
    blocks = state["loads"].pop(f["file_id"], None)
    rep.load_bytes += len(data)
    if data != blocks:
        rep.bad(where, f"LOAD DATA file {f['file_id']}: mariadb-binlog rebuilt {len(data)} bytes "
                       f"{short(data[:60])}, trep's blocks {short(blocks)}")


def check_table_map_event(rep, where, m, t, state, truth, colls):
    f = t["fields"]
    exp = f"Table_map: `{f['schema']}`.`{f['table']}` mapped to number {f['table_id']}"
    head = m["head"].decode("utf-8", "replace")
    if head.endswith(" (has triggers)"):  # TM_BIT_HAS_TRIGGERS_F: not in trep-binlog's JSON
        head = head[:-len(" (has triggers)")]
    if head != exp:
        rep.bad(where, f"mariadb-binlog {short(m['head'])}, trep {exp}")
    state["maps"][f["table_id"]] = (f["columns"], check_table_map(rep, where, f, truth, colls))


ROWS_HEAD_RE = re.compile(rb"^(Write|Update|Delete)(_compressed)?_rows: table id (\d+)( flags: STMT_END_F)?$")


def check_rows_event(rep, where, m, t, state):
    """Header of a rows event; queues trep's rows until the statement's last event (STMT_END_F)."""
    f = t["fields"]
    x = ROWS_HEAD_RE.match(m["head"])
    if not x or int(x.group(3)) != f["table_id"] or bool(x.group(4)) != bool(f["flags"] & 1) or \
            bool(x.group(2)) != f["compressed"]:
        rep.bad(where, f"rows header: mariadb-binlog {short(m['head'])}, trep table_id {f['table_id']} "
                       f"flags {f['flags']} compressed {f['compressed']}")
    if "rows" not in f:
        rep.bad(where, "trep did not decode the rows")
        return
    for i, row in enumerate(f["rows"]):
        state["pending"].append((where, i, f, row, state["maps"].get(f["table_id"])))
    if f["flags"] & 1:
        compare_rows(rep, where, m, state["pending"])
        state["pending"] = []


def compare_rows(rep, where, m, trows):
    """The rows mariadb-binlog printed after a STMT_END_F event against trep's rows of the statement."""
    if m["nrows"] != len(trows) or len(m["rows"]) != len(trows):
        rep.bad(where, f"statement rows: mariadb-binlog {len(m['rows'])} (says {m['nrows']}), "
                       f"trep {len(trows)}")
    for mrow, (twhere, i, f, trow, tmap) in zip(m["rows"], trows):
        at = f"{twhere}: {f.get('schema')}.{f.get('table')} row {i}"
        rep.rows += 1
        if (mrow["action"], mrow["schema"], mrow["table"]) != (f.get("action"), f.get("schema"),
                                                               f.get("table")):
            rep.bad(at, f"mariadb-binlog {mrow['action']} {mrow['schema']}.{mrow['table']}, trep "
                        f"{f.get('action')}")
            continue
        for image in ("before", "after"):
            compare_image(rep, f"{at} {image}", mrow[image], trow.get(image), tmap)


def compare_image(rep, at, mimg, timg, tmap):
    if (mimg is None) != (timg is None):
        rep.bad(at, f"image present in mariadb-binlog: {mimg is not None}, in trep: {timg is not None}")
        return
    if mimg is None:
        return
    if [c["index"] for c in mimg] != [c["index"] for c in timg]:
        rep.bad(at, f"columns: mariadb-binlog {[c['index'] for c in mimg]}, "
                    f"trep {[c['index'] for c in timg]}")
        return
    cols, kinds = tmap if tmap else (None, None)
    if cols is not None and len(mimg) < len(cols):
        rep.partial_images += 1
    for mc, tc in zip(mimg, timg):
        cat = f"{at} column @{tc['index']} `{tc['name']}`"
        if mc["type"] != tc["type"] or mc["meta"] != tc["meta"]:
            rep.bad(cat, f"column type: mariadb-binlog {mc['type']} meta={mc['meta']}, trep {tc['type']} "
                         f"meta={tc['meta']}")
        if cols is not None and bool(mc["nullable"]) != cols[tc["index"] - 1]["nullable"]:
            rep.bad(cat, f"nullable: mariadb-binlog {mc['nullable']}, "
                         f"trep {cols[tc['index'] - 1]['nullable']}")
        if kinds is not None and tc["kind"] != "NULL" and tc["kind"] != kinds[tc["index"]]:
            rep.bad(cat, f"value kind {tc['kind']}, information_schema says {kinds[tc['index']]}")
        compare_value(rep, cat, mc, tc)


def compare_file(rep, path, mevents, tfile, truth, colls):
    name = os.path.basename(path)
    tevents = [e for e in tfile["events"] if not e.get("inner")]
    if tfile.get("error"):
        rep.bad(name, f"trep-binlog stopped: {tfile['error']}")
    mpos = [(e["pos"], head_type(e["head"])) for e in mevents]
    tpos = [(e["end_log_pos"], e["type_name"]) for e in tevents]
    if mpos != tpos:
        i = next((k for k, (a, b) in enumerate(zip(mpos, tpos)) if a != b), min(len(mpos), len(tpos)))
        rep.bad(name, f"event lists differ at event {i}: mariadb-binlog {mpos[i:i + 3]}, "
                      f"trep {tpos[i:i + 3]} ({len(mpos)} vs {len(tpos)} events)")
        return
    if mevents and all(e["crc"] is None for e in mevents):
        rep.checksum_none_files += 1
    state = {"db": None, "maps": {}, "pending": [], "loads": {}, "alter": False}
    for m, t in zip(mevents, tevents):
        where = f"{name} offset {t['offset']} {t['type_name']}"
        rep.events[t["type_name"]] += 1
        check_header(rep, where, m, t)
        compare_event(rep, where, m, t, state, truth, colls)
    if state["pending"]:
        rep.bad(name, f"{len(state['pending'])} rows of a statement without STMT_END_F at the end "
                      "of the file")


def compare_event(rep, where, m, t, state, truth, colls):
    name = t["type_name"]
    if t.get("skipped") or ("fields" not in t) or (t["fields"] is None and name != "STOP_EVENT"):
        rep.bad(where, "trep skipped the event")
    elif check_simple(rep, where, m, t):
        pass
    elif name == "GTID_EVENT":
        check_gtid(rep, where, m, t, state)
    elif name in ("QUERY_EVENT", "QUERY_COMPRESSED_EVENT", "EXECUTE_LOAD_QUERY_EVENT"):
        check_query(rep, where, m, t, state, colls)
    elif name == "ANNOTATE_ROWS_EVENT":
        check_annotate(rep, where, m, t)
    elif name == "TABLE_MAP_EVENT":
        check_table_map_event(rep, where, m, t, state, truth, colls)
    elif name == "XA_PREPARE_LOG_EVENT":
        check_xa_prepare(rep, where, m, t)
    elif name == "USER_VAR_EVENT":
        check_user_var(rep, where, m, t, colls)
    elif name in ("BEGIN_LOAD_QUERY_EVENT", "APPEND_BLOCK_EVENT"):
        check_load_block(rep, where, m, t, state)
    elif "ROWS" in name:
        check_rows_event(rep, where, m, t, state)
    else:
        rep.bad(where, "event type not compared by this test")


# ---- coverage: the corpus must keep exercising what it claims --------------------------------------------

REQUIRED_TYPES = (["TINYINT", "SHORTINT", "MEDIUMINT", "INT", "LONGINT", "FLOAT", "DOUBLE", "DECIMAL(65,30)",
                   "DECIMAL(30,30)", "BIT(1)", "BIT(8)", "BIT(9)", "BIT(16)", "BIT(17)", "BIT(63)", "BIT(64)",
                   "YEAR", "DATE", "TIME", "DATETIME", "TIMESTAMP", "STRING(1020)", "STRING(252)",
                   "STRING(256)", "VARSTRING(255)", "VARSTRING(256)", "VARSTRING(252)",
                   "VARSTRING(1200)", "TINYBLOB/TINYTEXT", "BLOB/TEXT", "MEDIUMBLOB/MEDIUMTEXT",
                   "LONGBLOB/LONGTEXT", "ENUM(1 byte)", "ENUM(2 bytes)", "SET(1 bytes)", "SET(2 bytes)",
                   "SET(3 bytes)", "SET(4 bytes)", "SET(8 bytes)", "GEOMETRY", "STRING(16)", "STRING(4)",
                   "VARSTRING(401) COMPRESSED", "VARSTRING(4001) COMPRESSED", "VARSTRING(201) COMPRESSED",
                   "BLOB/TEXT COMPRESSED"]
                  + [f"{t}({n})" for t in ("TIME", "DATETIME", "TIMESTAMP") for n in range(7)])
REQUIRED_EVENTS = sorted({name for _, name in HEAD_TYPES})


def check_coverage(rep):
    for typ in REQUIRED_TYPES:
        if not rep.types[typ] or not rep.null_types[typ]:
            rep.bad("coverage", f"{typ}: {rep.types[typ]} values and {rep.null_types[typ]} NULLs compared")
    for ev in REQUIRED_EVENTS:
        if not rep.events[ev]:
            rep.bad("coverage", f"no {ev} compared")
    if rep.largest < 16 * 1024 * 1024:
        rep.bad("coverage", f"largest value compared is {rep.largest} bytes, expected a 16 MiB blob")
    if rep.partial_images < 5:
        rep.bad("coverage", f"only {rep.partial_images} partial (MINIMAL/NOBLOB) row images compared")
    if rep.checksum_none_files < 1:
        rep.bad("coverage", "no binlog file without checksums compared")
    if rep.load_bytes < 3 * len(decoder_corpus.load_data_csv()):
        rep.bad("coverage", f"only {rep.load_bytes} bytes of LOAD DATA files compared")
    if rep.group_commits < 2:
        rep.bad("coverage", f"only {rep.group_commits} GTIDs with a commit id (group commit)")
    if rep.alters < 4:
        rep.bad("coverage", f"only {rep.alters} two-phase ALTER GTIDs (START/COMMIT/ROLLBACK ALTER)")
    if rep.error_codes < 1:
        rep.bad("coverage", "no statement with an error code compared")
    if rep.planted < 100:
        rep.bad("coverage", f"only {rep.planted} planted errors in the negative control")
    if rep.truth_tables < 20:
        rep.bad("coverage", f"only {rep.truth_tables} table maps checked against information_schema")


# ---- negative control: the comparison must notice wrong values --------------------------------------------

def mutate_value(tc):
    """Change trep's decoded column value tc in place so that a sound comparison must reject it."""
    kind, v = tc["kind"], tc["value"]
    if kind == "NULL":
        tc["kind"], tc["value"] = "STRING", "NULL"
    elif kind in ("INT", "UINT", "BIT", "ENUM", "SET"):
        n = int(v)
        tc["value"] = n - 1 if n > 0 else n + 1
    elif kind in ("FLOAT", "DOUBLE"):
        tc["value"] = float(v) * 2 + 1
    elif kind == "DECIMAL":
        tc["value"] = v[:-1] + ("2" if v[-1] == "1" else "1")
    elif kind in ("STRING", "BYTES"):
        tc["value"] = {"hex": (trep_bytes(v) + b"!").hex()}
    else:  # temporal: bump the units digit of the day (DATE) or of the seconds
        i = len(v) - 1 if kind == "DATE" else v.rindex(":") + 2
        tc["value"] = v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1:]


EVENT_MUTATIONS = {
    "FORMAT_DESCRIPTION_EVENT": ("server_version", lambda v: v + "x"),
    "GTID_LIST_EVENT": ("gtids", lambda v: v + ["9-9-9"]),
    "BINLOG_CHECKPOINT_EVENT": ("file", lambda v: v + "x"),
    "GTID_EVENT": ("gtid", lambda v: v + "1"),
    "QUERY_EVENT": ("sql", lambda v: {"hex": (trep_bytes(v) + b" ").hex()}),
    "QUERY_COMPRESSED_EVENT": ("exec_time", lambda v: v + 1),
    "ANNOTATE_ROWS_EVENT": ("sql", lambda v: {"hex": (b"-- " + trep_bytes(v)).hex()}),
    "TABLE_MAP_EVENT": ("table_id", lambda v: v + 1),
    "XID_EVENT": ("xid", lambda v: v + 1),
    "XA_PREPARE_LOG_EVENT": ("format_id", lambda v: v + 1),
    "ROTATE_EVENT": ("position", lambda v: v + 1),
    "INTVAR_EVENT": ("value", lambda v: v + 1),
    "RAND_EVENT": ("seed2", lambda v: v + 1),
    "USER_VAR_EVENT": ("name", lambda v: v + "x"),
    "WRITE_ROWS_EVENT_V1": ("table_id", lambda v: v + 1),
    "APPEND_BLOCK_EVENT": ("block", lambda v: {"hex": (trep_bytes(v) + b"!").hex()}),
    "EXECUTE_LOAD_QUERY_EVENT": ("fn_pos_end", lambda v: v + 1),
}


def mutate_file(tfile):
    """A copy of trep's decoding of one file with one wrong value per column type (and per NULL) and one
    wrong field per event type, plus the location each must be reported at."""
    doc = copy.deepcopy(tfile)
    where, seen = [], set()
    for ev in doc["events"]:
        f = ev.get("fields") or {}
        at = f"offset {ev['offset']} {ev['type_name']}"
        if ev["type_name"] in EVENT_MUTATIONS and ev["type_name"] not in seen:
            seen.add(ev["type_name"])
            key, change = EVENT_MUTATIONS[ev["type_name"]]
            f[key] = change(f[key])
            where.append(at)
        for i, row in enumerate(f.get("rows", [])):
            for image in ("before", "after"):
                for tc in row.get(image) or []:
                    if (tc["type"], tc["kind"] == "NULL") not in seen:
                        seen.add((tc["type"], tc["kind"] == "NULL"))
                        mutate_value(tc)
                        where.append(f"{at}: {f['schema']}.{f['table']} row {i} {image} "
                                     f"column @{tc['index']} ")
    return doc, where


def negative_control(rep, path, mevents, tfile, truth, colls):
    """Compare a deliberately wrong copy of trep's output: every planted error must be reported."""
    doc, planted = mutate_file(tfile)
    control = Report()
    compare_file(control, path, mevents, doc, truth, colls)
    missed = [w for w in planted if not any(w in p for p in control.problems)]
    rep.planted += len(planted)
    if missed:
        rep.bad(f"negative control {os.path.basename(path)}",
                f"{len(missed)} of {len(planted)} planted errors not reported: {missed[:5]}")


# ---- fixture files ---------------------------------------------------------------------------------------

OFFSET_RE = re.compile(r"\b(?:at|offset) (\d+)")


def check_fixture(rep, trep, path):
    name = os.path.basename(path)
    try:
        res = subprocess.run([trep, "--json", path], capture_output=True, timeout=60)
        text_rc = subprocess.run([trep, path], capture_output=True, timeout=60).returncode
    except subprocess.TimeoutExpired:
        rep.bad(f"fixture {name}", "trep-binlog did not finish in 60 s")
        return
    err = res.stderr.decode(errors="replace").strip()
    if res.returncode < 0 or text_rc < 0:
        rep.bad(f"fixture {name}", f"killed by signal {-min(res.returncode, text_rc)}: {err}")
        return
    if text_rc != res.returncode:
        rep.bad(f"fixture {name}", f"text mode exits {text_rc}, --json exits {res.returncode}")
    try:
        doc = json.loads(res.stdout)["files"][0]
    except (ValueError, KeyError, IndexError) as e:
        rep.bad(f"fixture {name}", f"--json output is not a complete document: {e}")
        return
    top = [e for e in doc["events"] if not e.get("inner")]
    end = top[-1]["offset"] + top[-1]["event_len"] if top else 4
    if name in BROKEN_FIXTURES | UNSUPPORTED_FIXTURES:
        m = OFFSET_RE.search(err)
        if res.returncode != 1 or not err.startswith("trep-binlog: ") or not m:
            rep.bad(f"fixture {name}", f"must fail with an error naming an offset: exit {res.returncode}, "
                                       f"stderr {err!r}")
        elif int(m.group(1)) != end or doc.get("error") != err[len("trep-binlog: "):]:
            rep.bad(f"fixture {name}", f"error {err!r} but decoding stopped at {end}, JSON error "
                                       f"{doc.get('error')!r}")
    elif res.returncode != 0 or err or doc.get("error"):
        rep.bad(f"fixture {name}", f"does not decode: exit {res.returncode}: {err}")
    elif end != os.path.getsize(path):
        rep.bad(f"fixture {name}", f"decoding ends at {end}, file size {os.path.getsize(path)}")


def check_fixtures(rep, trep):
    paths = sorted(p for p in glob.glob(os.path.join(FIXTURE_DIR, "*")) if not p.endswith(".md"))
    names = {os.path.basename(p) for p in paths}
    if len(paths) < 30 or not BROKEN_FIXTURES <= names:
        rep.bad("fixtures", f"only {len(paths)} fixture files in {FIXTURE_DIR}")
    for p in paths:
        check_fixture(rep, trep, p)
    return len(paths)


# ---- main ----------------------------------------------------------------------------------------------

def decode_corpus(rep, trep, sb, workdir):
    run_corpus(sb, workdir)
    node = sb.master
    truth, colls = load_truth(node)
    # the server writes some events (binlog checkpoints) in the background: stopped, its binlog files
    # are final, and both decoders read the same bytes
    sb.stop()
    files = binlog_files(node)
    tdoc = trep_binlog_json(trep, files)
    text = subprocess.run([trep, *files], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    if text.returncode != 0:
        rep.bad("text mode", f"trep-binlog exit {text.returncode}: {text.stderr.decode(errors='replace')}")
    if [f["file"] for f in tdoc["files"]] != files:
        raise RuntimeError(f"trep-binlog files {[f['file'] for f in tdoc['files']]} != {files}")
    for path, tfile in zip(files, tdoc["files"]):
        mevents = parse_mariadb_binlog(mariadb_binlog(path, workdir))
        compare_file(rep, path, mevents, tfile, truth, colls)
        negative_control(rep, path, mevents, tfile, truth, colls)
    fixtures = sorted(glob.glob(MARIADB_FIXTURES))
    if fixtures:
        for path, tfile in zip(fixtures, trep_binlog_json(trep, fixtures)["files"]):
            mevents = parse_mariadb_binlog(mariadb_binlog(path, workdir))
            compare_file(rep, path, mevents, tfile, {}, colls)
            negative_control(rep, path, mevents, tfile, {}, colls)
    return files + fixtures


def main():
    trep = harness.program("trep-binlog")
    if trep is None:
        print(f"FAIL: trep-binlog is not built in {harness.bin_dir()}", file=sys.stderr)
        return 1
    rep = Report()
    started = time.monotonic()
    nfixtures = check_fixtures(rep, trep)
    with tempfile.TemporaryDirectory(prefix="trep-diff-") as workdir:
        with harness.deploy(nodes=1, trepd=False) as sb:
            files = decode_corpus(rep, trep, sb, workdir)
    check_coverage(rep)
    print(f"compared {sum(rep.events.values())} events in {len(files)} binlog files, {rep.rows} rows, "
          f"{rep.values} values ({sum(rep.null_types.values())} NULLs, largest {rep.largest} bytes), "
          f"{rep.partial_images} partial images, {rep.truth_tables} table maps checked against "
          f"information_schema; {rep.planted} planted errors (negative control); {nfixtures} fixture files; "
          f"{time.monotonic() - started:.1f} s")
    print("column types compared: " + ", ".join(f"{t} {n}" for t, n in sorted(rep.types.items())))
    if rep.truth_skipped:
        print("table maps not checked against information_schema: " + ", ".join(sorted(rep.truth_skipped)))
    if rep.problems:
        print(f"FAIL: {len(rep.problems)} mismatches", file=sys.stderr)
        for p in rep.problems[:MAX_LISTED]:
            print("  " + p, file=sys.stderr)
        if len(rep.problems) > MAX_LISTED:
            print(f"  ... and {len(rep.problems) - MAX_LISTED} more", file=sys.stderr)
        return 1
    print("ok: trep-binlog agrees with mariadb-binlog on the whole corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
