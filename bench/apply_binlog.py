# SPDX-License-Identifier: GPL-2.0-or-later
# bench/apply_binlog.py - the "binlog" slave of bench/apply: what the same server does when the backlog's row
# events reach it the way a block-commit applier could send them through BINLOG statements: one statement per
# source transaction (all its TABLE_MAP and ROWS events: one round trip), a block of them per target
# transaction. The row events come from `mariadb-binlog` over the master's binlog (not from trep), are decoded
# and regrouped, then sent over one connection: BEGIN, BINLOG '<trx 1>', ..., BINLOG '<trx N>', COMMIT.
# Standard library only.
import base64
import glob
import os
import subprocess

FDE_TYPE = 15


def binlog_files(master, first, last):
    """The master's binlog files from first to last (names), in order."""
    paths = sorted(glob.glob(os.path.join(master.rec["binlog_dir"], "mariadb-bin.[0-9]*")))
    return [p for p in paths if first <= os.path.basename(p) <= last]


def _events(b64):
    """The events of one BINLOG statement: mariadb-binlog encodes each event on its own (padded, wrapped at 76
    columns), so each starts at a 4-character boundary; its length is in its header (bytes 9..12)."""
    out, at = [], 0
    while at < len(b64):
        head = base64.b64decode(b64[at:at + 28])
        length = int.from_bytes(head[9:13], "little")
        end = at + 4 * ((length + 2) // 3)
        ev = base64.b64decode(b64[at:end])
        if length < 19 or len(ev) != length:
            raise RuntimeError(f"mariadb-binlog output: bad event of {length} bytes in a BINLOG statement")
        out.append(ev)
        at = end
    return out


def _statements(text):
    """Yield ("binlog", [event bytes]) for each BINLOG statement and ("commit", None) for each COMMIT."""
    chunk = None
    for line in text.splitlines():
        if chunk is not None:
            if line.startswith("'"):
                yield "binlog", _events("".join(chunk))
                chunk = None
            else:
                chunk.append(line.strip())
        elif line.startswith("BINLOG '"):
            chunk = []
        elif line.startswith("COMMIT"):
            yield "commit", None


def read_backlog(master, start, stop):
    """(FDE event, [bytes of the row events of each transaction]) between two (file, pos) of the master."""
    files = binlog_files(master, start[0], stop[0])
    argv = ["mariadb-binlog", "--no-defaults", f"--start-position={start[1]}", f"--stop-position={stop[1]}", *files]
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    fde, trxs, cur = None, [], []
    for kind, events in _statements(text):
        if kind == "commit":
            trxs.append(b"".join(cur))
            cur = []
            continue
        for ev in events:
            if ev[4] == FDE_TYPE:
                fde = fde or ev
            else:
                cur.append(ev)
    if fde is None:
        raise RuntimeError(f"no FORMAT_DESCRIPTION event in {files}")
    return fde, trxs


def statements(trxs):
    """One BINLOG statement per source transaction: all its TABLE_MAP and ROWS events (statements of many
    transactions are slower: MariaDB 10.11's cost per BINLOG statement grows faster than its size)."""
    return ["BINLOG '" + base64.b64encode(t).decode() + "'" for t in trxs]


def apply(conn, fde, stmts, per_block):
    """Send the statements over conn (apply_db.Conn), per_block of them in each target transaction."""
    conn.query("BINLOG '" + base64.b64encode(fde).decode() + "'")
    for i in range(0, len(stmts), per_block):
        conn.query("BEGIN")
        for s in stmts[i:i + per_block]:
            conn.query(s)
        conn.query("COMMIT")
