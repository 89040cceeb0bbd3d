# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/util.py - small helpers of tools/sandbox: the error type, port probes, process lookup
# through /proc, waiting on conditions and log tails. No knowledge of MariaDB or trepd lives here.
import os
import signal
import socket
import sys
import time


class SandboxError(Exception):
    """A failure to report to the user: the message names the node and the file or port involved."""


def info(msg):
    print(f"sandbox: {msg}", flush=True)


def warn(msg):
    print(f"sandbox: warning: {msg}", file=sys.stderr, flush=True)


def port_in_use(port, host="127.0.0.1"):
    """True when a TCP listener on host:port would fail to bind (SO_REUSEADDR, as mariadbd binds)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1)
    except OSError:
        return True
    finally:
        s.close()
    return False


def proc_state(pid):
    """The one-letter state of pid from /proc/PID/stat, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    end = data.rfind(b")")
    if end < 0 or end + 2 >= len(data):
        return None
    return chr(data[end + 2])


def pid_alive(pid):
    """A running process (zombies count as gone; our own zombie children are reaped here)."""
    state = proc_state(pid)
    if state is None:
        return False
    if state in ("Z", "X"):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def _proc_args(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
        with open(f"/proc/{pid}/comm", "rb") as f:
            comm = f.read().decode(errors="replace").strip()
    except OSError:
        return None, None
    return comm, [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def find_pids(comms, marker):
    """Pids of live processes named one of comms whose command line has an argument containing marker.

    The marker is a path unique to one node (its my.cnf or trepd.ini), so a stale pid file or a reused pid
    can never make us signal a stranger's process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        comm, args = _proc_args(pid)
        if comm is None or comm not in comms:
            continue
        if any(marker in a for a in args) and pid_alive(pid):
            found.append(pid)
    return sorted(found)


def signal_pids(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_pids_gone(pids, timeout_sec):
    """Wait until none of pids is alive; returns the pids still alive at the deadline."""
    deadline = time.monotonic() + timeout_sec
    while True:
        alive = [p for p in pids if pid_alive(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def kill_pids(pids, what, term_timeout_sec):
    """SIGTERM pids, SIGKILL those still alive after term_timeout_sec; raises if any survives."""
    signal_pids(pids, signal.SIGTERM)
    alive = wait_pids_gone(pids, term_timeout_sec)
    if alive:
        warn(f"{what}: pid {' '.join(map(str, alive))} still running after {term_timeout_sec:.0f} s: kill -9")
        signal_pids(alive, signal.SIGKILL)
        alive = wait_pids_gone(alive, 10)
    if alive:
        raise SandboxError(f"{what}: pid {' '.join(map(str, alive))} survives kill -9")


def tail(path, lines=20):
    """The last lines of a text file as one string, or a note that the file is missing."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 16384))
            text = f.read().decode(errors="replace")
    except OSError as e:
        return f"    ({path}: {e.strerror})"
    body = text.splitlines()[-lines:]
    return "\n".join("    " + line for line in body) if body else f"    ({path} is empty)"
