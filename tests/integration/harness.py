# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/harness.py - helpers for integration tests on real servers: deploy a sandbox in a temp dir
# (context manager, always destroyed), load sandbox.json, run SQL on a node through the `mariadb` client and
# get rows back, wait for a condition with a timeout. Talks to sandboxes only through tools/sandbox and
# sandbox.json (docs/sandbox.md), like any user would. Standard library only.
#
#   import harness
#   with harness.deploy(nodes=3) as sb:
#       sb.master.execute("CREATE DATABASE t")
#       harness.wait_for(lambda: sb.node(2).sql("SHOW DATABASES LIKE 't'"), what="t on node2")
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SOURCE_DIR = os.environ.get("TREP_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SANDBOX = os.path.join(SOURCE_DIR, "tools", "sandbox")
DEFAULT_BASE_PORT = 20000
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class SqlError(Exception):
    """A statement failed: carries the node name, the SQL, the client's exit status and stderr."""

    def __init__(self, node, sql, returncode, stderr):
        super().__init__(f"{node}: exit {returncode}: {stderr.strip()}\n  SQL: {sql}")
        self.node, self.sql, self.returncode, self.stderr = node, sql, returncode, stderr


def bin_dir():
    """Where trep's programs are: $TREP_BIN_DIR (set by CTest) or <repo>/build/bin."""
    return os.environ.get("TREP_BIN_DIR") or os.path.join(SOURCE_DIR, "build", "bin")


def program(name):
    """Path of a built trep program, or None when it is not built."""
    p = os.path.join(bin_dir(), name)
    return p if os.access(p, os.X_OK) else None


def base_port(offset=0):
    """This test's first TCP port plus offset. CTest gives every test its own block of 200 ports in
    $TREP_TEST_BASE_PORT; a sandbox of N nodes uses base..base+N-1 and base+100..base+100+N-1."""
    return int(os.environ.get("TREP_TEST_BASE_PORT", DEFAULT_BASE_PORT)) + offset


def wait_for(cond, timeout=30.0, interval=0.1, what="condition"):
    """Call cond() until it returns a truthy value (returned) or timeout seconds pass (TimeoutError).

    Exceptions raised by cond() count as "not yet"; the last one is named in the TimeoutError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = cond()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a condition that cannot be evaluated yet is just false
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {what}{extra}")
        time.sleep(interval)


def run_sandbox(*args, check=True, timeout=300, env=None):
    """Run tools/sandbox with args; returns the CompletedProcess (text stdout/stderr captured).

    env: variables added to the environment. With check, a non-zero exit raises RuntimeError carrying both
    outputs."""
    full_env = dict(os.environ, **env) if env else None
    res = subprocess.run([sys.executable, SANDBOX, *map(str, args)], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=timeout, env=full_env)
    if check and res.returncode != 0:
        raise RuntimeError(f"tools/sandbox {' '.join(map(str, args))}: exit {res.returncode}\n"
                           f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    return res


def _parse_xml_output(text):
    """Rows of the last result set in `mariadb --xml` output (one XML document per result set)."""
    docs = [d for d in text.split('<?xml version="1.0"?>') if d.strip()]
    if not docs:
        return []
    root = ET.fromstring(docs[-1].strip())
    rows = []
    for row in root.findall("row"):
        rows.append(tuple(None if f.get(XSI_NIL) == "true" else (f.text or "") for f in row.findall("field")))
    return rows


class Node:
    """One node of a sandbox: the sandbox.json fields as attributes, plus SQL helpers."""

    def __init__(self, rec):
        self.rec = rec
        for k, v in rec.items():
            setattr(self, k, v)

    def __repr__(self):
        return f"<Node {self.name} {self.role} port {self.mysql_port}>"

    def client_args(self, tcp=False, db=None):
        """argv of the mariadb client logged in as the sandbox user (socket, or TCP to host:port)."""
        args = ["mariadb", "--no-defaults", f"--user={self.mysql_user}", f"--password={self.mysql_password}"]
        if tcp:
            args += ["--protocol=TCP", f"--host={self.host}", f"--port={self.mysql_port}"]
        else:
            args += [f"--socket={self.mysql_socket}"]
        if db:
            args.append(f"--database={db}")
        return args

    def run_client(self, sql, *client_opts, db=None, tcp=False, timeout=120, check=True):
        """Run sql with extra client options; returns the CompletedProcess (stdout as text)."""
        args = self.client_args(tcp=tcp, db=db) + list(client_opts) + ["-e", sql]
        res = subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
        if check and res.returncode != 0:
            raise SqlError(self.name, sql, res.returncode, res.stderr.decode(errors="replace"))
        res.stdout = res.stdout.decode(errors="replace")
        res.stderr = res.stderr.decode(errors="replace")
        return res

    def sql(self, sql, db=None, tcp=False, timeout=120):
        """Rows (tuples of str, NULL as None) of the last result set of sql. Binary values that are not
        valid XML text must be selected through HEX()."""
        return _parse_xml_output(self.run_client(sql, "--xml", db=db, tcp=tcp, timeout=timeout).stdout)

    def value(self, sql, db=None, tcp=False):
        """First column of the first row, or None when there is no row."""
        rows = self.sql(sql, db=db, tcp=tcp)
        return rows[0][0] if rows else None

    def execute(self, sql, db=None, tcp=False, timeout=120):
        """Run statements whose results do not matter (DDL, DML)."""
        self.run_client(sql, db=db, tcp=tcp, timeout=timeout)

    def variable(self, name):
        return self.value(f"SELECT @@GLOBAL.{name}")

    def gtid_binlog_pos(self):
        return self.variable("gtid_binlog_pos")

    def alive(self):
        """True when the server answers a query."""
        try:
            return self.value("SELECT 1") == "1"
        except (SqlError, subprocess.TimeoutExpired):
            return False

    def checksum(self, table):
        """CHECKSUM TABLE value (str) of db.table."""
        rows = self.sql(f"CHECKSUM TABLE {table}")
        return rows[0][1] if rows else None


class Sandbox:
    """A deployed sandbox: the parsed sandbox.json and the tools/sandbox commands on its directory."""

    def __init__(self, sb_dir):
        self.dir = os.path.abspath(sb_dir)
        self.reload()

    def reload(self):
        with open(os.path.join(self.dir, "sandbox.json"), encoding="utf-8") as f:
            self.doc = json.load(f)
        self.service = self.doc["service"]
        self.nodes = [Node(n) for n in self.doc["nodes"]]
        return self

    @property
    def master(self):
        return next(n for n in self.nodes if n.role == "master")

    @property
    def slaves(self):
        return [n for n in self.nodes if n.role != "master"]

    def node(self, k):
        """Node by 1-based number or by name."""
        if isinstance(k, int):
            return self.nodes[k - 1]
        return next(n for n in self.nodes if n.name == k)

    def run(self, command, *args, check=True, timeout=300):
        return run_sandbox(command, "--dir", self.dir, *args, check=check, timeout=timeout)

    def stop(self):
        return self.run("stop")

    def start(self, *args):
        return self.run("start", *args)

    def add(self, *args):
        res = self.run("add", *args)
        self.reload()
        return res

    def status(self):
        return json.loads(self.run("status", "--json").stdout)

    def destroy(self):
        return self.run("destroy")


@contextlib.contextmanager
def deploy(nodes=2, port=None, trepd=None, mysqld_opts=(), service=None, extra_args=(), keep=None):
    """Deploy a sandbox in a fresh temp dir, yield a Sandbox, always destroy it afterwards.

    port: base port (default base_port()); trepd: None = start it when built, False = --no-trepd;
    keep: leave the servers and dir for debugging (default: $TREP_KEEP_SANDBOX set)."""
    if keep is None:
        keep = bool(os.environ.get("TREP_KEEP_SANDBOX"))
    parent = tempfile.mkdtemp(prefix="trep-it-")
    sb_dir = os.path.join(parent, "sb")
    args = ["deploy", "--dir", sb_dir, "--nodes", nodes, "--base-port", port or base_port()]
    if trepd is False:
        args.append("--no-trepd")
    if service:
        args += ["--service", service]
    for o in mysqld_opts:
        args.append(f"--mysqld-opt={o}")
    args += list(extra_args)
    try:
        run_sandbox(*args)
        yield Sandbox(sb_dir)
    except BaseException:
        _remove(parent, sb_dir, keep, check=False)
        raise
    _remove(parent, sb_dir, keep, check=True)


def _remove(parent, sb_dir, keep, check):
    """Destroy the sandbox of deploy() and its temp dir; with check, a failed destroy raises."""
    if keep:
        print(f"harness: keeping sandbox {sb_dir}", file=sys.stderr)
        return
    if os.path.exists(os.path.join(sb_dir, "sandbox.json")):
        run_sandbox("destroy", "--dir", sb_dir, check=check)
    shutil.rmtree(parent, ignore_errors=True)
