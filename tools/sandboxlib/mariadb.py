# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/mariadb.py - the MariaDB side of a sandbox node: find the server and client programs,
# mariadb-install-db, start mariadbd detached, wait until it answers, shut it down, run the client.
# Process identity always comes from /proc (the node's --defaults-file argument), never from a pid file alone.
import os
import shutil
import signal
import subprocess
import time

from .util import (SandboxError, find_pids, kill_pids, pid_alive, signal_pids, tail,
                   wait_pids_gone, warn)

SERVER_COMMS = ("mariadbd", "mysqld")
_SEARCH = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"]


def program(*names):
    """Path of the first of names found on PATH or in the usual sbin directories."""
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(_SEARCH)
    for n in names:
        found = shutil.which(n, path=path)
        if found:
            return found
    raise SandboxError(f"none of {', '.join(names)} found (install mariadb-server and mariadb-client: "
                       f"tools/install-deps)")


def mariadbd():
    return os.environ.get("TREP_MARIADBD") or program("mariadbd", "mysqld")


def client():
    return program("mariadb", "mysql")


def defaults_arg(node):
    return f"--defaults-file={node['my_cnf']}"


def server_pids(node):
    return find_pids(SERVER_COMMS, defaults_arg(node))


def install_db(node, timeout_sec):
    """mariadb-install-db into the node's datadir with its own my.cnf and the bootstrap SQL (users)."""
    log_path = os.path.join(node["node_dir"], "install.log")
    args = [program("mariadb-install-db", "mysql_install_db"), defaults_arg(node), "--skip-test-db",
            f"--extra-file={os.path.join(node['node_dir'], 'bootstrap.sql')}"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        rc = proc.wait(timeout=timeout_sec)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)  # the script and the bootstrap mariadbd it runs
        proc.wait()
        raise SandboxError(f"{node['name']}: mariadb-install-db did not finish in {timeout_sec:.0f} s "
                           f"(see {log_path})") from None
    if rc != 0:
        raise SandboxError(f"{node['name']}: mariadb-install-db failed (exit {rc}) for {node['datadir']}; "
                           f"{log_path}:\n{tail(log_path)}\n  {node['error_log']}:\n{tail(node['error_log'])}")


def spawn(node):
    """Start mariadbd for node detached from our session; returns the Popen (not yet ready)."""
    with open(node["error_log"], "ab") as log:
        return subprocess.Popen([mariadbd(), defaults_arg(node)], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True, close_fds=True)


def ping(node, timeout_sec=10):
    """`mariadb-admin ping` on the node's socket: True when the server answers (a full login, so the
    server logs no aborted connection, unlike a bare handshake probe)."""
    try:
        return subprocess.run([program("mariadb-admin", "mysqladmin"), defaults_arg(node), "--connect-timeout=2",
                               "ping"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout_sec).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def is_ready(node):
    """The socket file appears when mariadbd listens (cheap to poll); then ping it."""
    return os.path.exists(node["mysql_socket"]) and ping(node)


def wait_ready(node, proc, deadline, timeout_sec):
    """Poll the node's socket until the server answers; fail early if mariadbd exits, or at deadline (which
    is timeout_sec after the start, named in the message)."""
    while True:
        if is_ready(node):
            return
        exited = proc.poll() is not None if proc is not None else not server_pids(node)
        if exited:
            code = f" with status {proc.returncode}" if proc is not None else ""
            raise SandboxError(f"{node['name']}: mariadbd exited during startup{code} (port {node['mysql_port']}, "
                               f"socket {node['mysql_socket']}); {node['error_log']}:\n{tail(node['error_log'])}")
        if time.monotonic() >= deadline:
            raise SandboxError(f"{node['name']}: mariadbd not answering on {node['mysql_socket']} within "
                               f"{timeout_sec:g} s (--timeout); {node['error_log']}:\n{tail(node['error_log'])}")
        time.sleep(0.05)


def shutdown(node, timeout_sec):
    """Stop the node's server: mariadb-admin shutdown, SIGTERM if that fails, kill -9 after timeout_sec.

    Returns False when it was not running."""
    pids = server_pids(node)
    if not pids:
        _remove_stale_pid_file(node)
        return False
    try:
        rc = subprocess.run([program("mariadb-admin", "mysqladmin"), defaults_arg(node), "--connect-timeout=5",
                             "shutdown"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, timeout=timeout_sec).returncode
    except subprocess.TimeoutExpired:
        rc = -1
    if rc != 0:
        warn(f"{node['name']}: mariadb-admin shutdown failed (exit {rc}); sending SIGTERM to pid "
             f"{' '.join(map(str, pids))}")
        signal_pids(pids, signal.SIGTERM)
    alive = wait_pids_gone(pids, timeout_sec)
    if alive:
        kill_pids(alive, f"{node['name']}: mariadbd", 1)
    _remove_stale_pid_file(node)
    return True


def _remove_stale_pid_file(node):
    try:
        with open(node["pid_file"]) as f:
            pid = int(f.read().strip() or "0")
    except (OSError, ValueError):
        return
    if pid <= 0 or not pid_alive(pid) or not server_pids(node):
        try:
            os.unlink(node["pid_file"])
        except FileNotFoundError:
            pass


def client_args(node, tcp=False):
    """argv of the mariadb client logged in as the node's trep user (socket, or TCP on 127.0.0.1)."""
    args = [client(), defaults_arg(node)]
    if tcp:
        args += ["--protocol=TCP", f"--host={node['host']}", f"--port={node['mysql_port']}"]
    return args


def query(node, sql, timeout_sec=60):
    """Run sql on node, return rows (lists of str; NULL as None) of batch output without headers."""
    args = client_args(node) + ["--batch", "--skip-column-names", "-e", sql]
    try:
        res = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_sec)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"{node['name']}: query timed out after {timeout_sec} s: {sql}") from None
    if res.returncode != 0:
        raise SandboxError(f"{node['name']}: {sql}: {res.stderr.decode(errors='replace').strip()}")
    out = res.stdout.decode(errors="replace")
    return [[None if v == "NULL" else v for v in line.split("\t")] for line in out.splitlines()]
