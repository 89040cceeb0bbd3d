# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/trep.py - helpers for integration tests that run trep itself: trepctl and thl calls,
# killing and restarting a node's trepd, sysbench load, and table-by-table comparison of two servers.
import glob
import json
import os
import re
import signal
import subprocess
import sys
import threading

import harness

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tools"))
from sandboxlib import mariadb as sb_mariadb  # noqa: E402
from sandboxlib import trepd as sb_trepd  # noqa: E402


def trepctl(node, *args, check=True, timeout=120):
    """Run trepctl against node's trepd; returns the parsed --json result (or CompletedProcess if check=False)."""
    argv = [harness.program("trepctl"), "--socket", node.control_socket, *map(str, args), "--json"]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if not check:
        return res
    if res.returncode != 0:
        raise RuntimeError(f"trepctl {' '.join(map(str, args))} on {node.name}: exit {res.returncode}: "
                           f"{res.stderr.strip()}")
    return json.loads(res.stdout) if res.stdout.strip() else None


def status(node):
    return trepctl(node, "status")


def thl(node, *args, check=True):
    """Run the thl tool on node's THL directory; returns the CompletedProcess."""
    thl_dir = os.path.join(os.path.dirname(node.config), "thl")
    argv = [harness.program("thl"), "--dir", thl_dir, *map(str, args)]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise RuntimeError(f"thl {' '.join(map(str, args))} on {node.name}: exit {res.returncode}: {res.stderr}")
    return res


def kill9_trepd(node):
    """kill -9 the node's trepd; returns the pids killed."""
    pids = sb_trepd.pids(node.rec)
    for p in pids:
        os.kill(p, signal.SIGKILL)
    # gone means exited completely: a dying process loses its command line (memory) before its file
    # descriptors, and its control socket would still accept connections in between
    harness.wait_for(lambda: all(_exited(p) for p in pids), timeout=30, what=f"{node.name} trepd to exit")
    return pids


def _exited(pid):
    """True when pid no longer exists or is a zombie (its files are closed)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def flush_and_wait(master, slaves, limit=300):
    """trepctl flush on the master, then wait until every slave applied that seqno; returns it."""
    seqno = trepctl(master, "flush", "--limit", limit)["seqno"]
    for s in slaves:
        trepctl(s, "wait", "--applied", seqno, "--limit", limit, timeout=limit + 30)
    return seqno


def sysbench(node, *args, db="sbtest"):
    """argv of sysbench against node over TCP."""
    return ["sysbench", *args, "--db-driver=mysql", f"--mysql-host={node.host}", f"--mysql-port={node.mysql_port}",
            f"--mysql-user={node.mysql_user}", f"--mysql-password={node.mysql_password}", f"--mysql-db={db}"]


def sysbench_prepare(node, tables=4, size=1000, db="sbtest"):
    node.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    subprocess.run(sysbench(node, "oltp_write_only", f"--tables={tables}", f"--table-size={size}", "prepare", db=db),
                   check=True, capture_output=True, timeout=600)


class Load:
    """sysbench oltp_write_only running in the background for `seconds`."""

    def __init__(self, node, seconds, threads=4, tables=4, size=1000, db="sbtest"):
        argv = sysbench(node, "oltp_write_only", f"--tables={tables}", f"--table-size={size}",
                        f"--threads={threads}", f"--time={seconds}", "--report-interval=0", "run", db=db)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        self.output = self.proc.stdout.read()

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout=600):
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        if self.proc.returncode != 0:
            raise RuntimeError(f"sysbench failed ({self.proc.returncode}):\n{self.output}")
        return self.output


def user_tables(node, exclude=("mysql", "information_schema", "performance_schema", "sys")):
    """[(schema, table)] of base tables outside the system schemas and trep's own schemas."""
    names = ",".join(f"'{s}'" for s in exclude)
    rows = node.sql("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN "
                    f"('BASE TABLE', 'SEQUENCE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA NOT IN ({names}) "
                    "AND TABLE_SCHEMA NOT LIKE 'trep\\_%' ORDER BY 1, 2")
    return [(r[0], r[1]) for r in rows]


def table_dump(node, schema, table):
    """Every row of schema.table, each column as HEX of its binary form, ordered by all columns."""
    cols = [r[0] for r in node.sql(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        f"'{schema}' AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION")]
    exprs = ", ".join(f"HEX(CAST(`{c}` AS BINARY))" for c in cols)
    order = ", ".join(str(i + 1) for i in range(len(cols)))
    return node.sql(f"SELECT {exprs} FROM `{schema}`.`{table}` ORDER BY {order}")


def compare(master, slave, tables=None):
    """Assert every table is identical on master and slave (CHECKSUM TABLE and row by row)."""
    whole = tables is None
    tables = tables if tables is not None else user_tables(master)
    assert tables, "no tables to compare"
    slave_tables = set(user_tables(slave))
    extra = slave_tables - set(tables)
    assert not whole or not extra, f"{slave.name} has tables the master does not: {sorted(extra)}" 
    for schema, table in tables:
        assert (schema, table) in slave_tables, f"{schema}.{table} missing on {slave.name}"
        a = table_dump(master, schema, table)
        b = table_dump(slave, schema, table)
        if a != b:
            only_a = [r for r in a if r not in b][:3]
            only_b = [r for r in b if r not in a][:3]
            raise AssertionError(f"{schema}.{table} differs on {slave.name}: {len(a)} vs {len(b)} rows; "
                                 f"master-only {only_a}; slave-only {only_b}")
        qa = master.checksum(f"`{schema}`.`{table}`")
        qb = slave.checksum(f"`{schema}`.`{table}`")
        assert qa == qb, f"{schema}.{table}: CHECKSUM TABLE {qa} on master, {qb} on {slave.name}"
    return len(tables)


def binlog_gtids(master):
    """MariaDB GTIDs of the master's binlog, in order, read by mariadb-binlog (not by trep)."""
    files = sorted(glob.glob(os.path.join(master.rec["binlog_dir"], "mariadb-bin.[0-9]*")))
    out = subprocess.run(["mariadb-binlog", "--no-defaults", *files], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"GTID (\d+-\d+-\d+)", out)


def thl_gtids(master):
    """GTIDs of the complete transactions in the master's THL, in seqno order, and the seqnos."""
    doc = json.loads(thl(master, "list", "--json").stdout)
    events = doc["events"] if isinstance(doc, dict) else doc
    seqnos, gtids = [], []
    for ev in events:
        if not ev.get("last_frag", True):
            continue
        seqnos.append(ev["seqno"])
        m = re.search(r";(\d+-\d+-\d+)$", ev["event_id"])
        gtids.append(m.group(1) if m else None)
    return seqnos, gtids


def stop_trepd(node):
    """SIGTERM the node's trepd and wait for it to exit."""
    sb_trepd.stop(node.rec, 30)


def start_trepd(node):
    """Start the node's trepd without waiting for ONLINE (for tests of services that must not get there)."""
    return sb_trepd.start(node.rec, harness.program("trepd"))


def set_config(node, **options):
    """Set options (underscores become dashes) in the [service ...] section of node's trepd.ini."""
    with open(node.config, encoding="utf-8") as f:
        lines = f.read().splitlines()
    keys = {k.replace("_", "-"): str(v) for k, v in options.items()}
    out, in_service = [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            in_service = stripped.startswith("[service ")
        key = stripped.split("=", 1)[0].strip() if "=" in stripped else None
        if in_service and key in keys:
            continue
        out.append(line)
        if stripped.startswith("[service "):
            out += [f"{k} = {v}" for k, v in keys.items()]
    with open(node.config, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def thl_dir(node):
    return os.path.join(os.path.dirname(node.config), "thl")


def wait_state(node, state, timeout=60):
    """Wait until trepctl status reports state; returns the status."""
    return harness.wait_for(lambda: (lambda st: st if st["state"] == state else None)(status(node)),
                            timeout=timeout, what=f"{node.name} {state}")


def shutdown_server(node):
    """SHUTDOWN node's MariaDB and wait until its process has exited (so tools/sandbox start restarts it)."""
    node.execute("SHUTDOWN")
    harness.wait_for(lambda: not sb_mariadb.server_pids(node.rec), timeout=60, what=f"{node.name} mariadbd exit")
