# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/trepd.py - the replicator side of a sandbox node: find build/bin/trepd (or $TREP_BIN_DIR),
# start it on the node's trepd.ini, wait until its services are ONLINE, stop it. Kept in small functions so
# the start and readiness protocol can follow trepd as it is written (DESIGN.md section 9).
import json
import os
import subprocess
import time

from .util import SandboxError, find_pids, kill_pids, tail

TREPD_COMMS = ("trepd",)


def bin_dir():
    """$TREP_BIN_DIR when set (CTest sets it to the build being tested), else <repo>/build/bin."""
    env = os.environ.get("TREP_BIN_DIR")
    if env:
        return os.path.abspath(env)
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "bin"))


def find_program(name):
    """Path of an executable trep program in bin_dir(), or None when it is not built."""
    path = os.path.join(bin_dir(), name)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def pids(node):
    return find_pids(TREPD_COMMS, node["config"])


def start(node, trepd_path):
    """Start trepd in the foreground mode, detached from our session; record its pid file."""
    out = os.path.join(node["node_dir"], "trepd.out")
    with open(out, "ab") as log:
        proc = subprocess.Popen([trepd_path, "--config", node["config"]], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True, close_fds=True)
    with open(node["trepd_pid_file"], "w") as f:
        f.write(f"{proc.pid}\n")
    return proc


def service_state(node, trepctl_path, service):
    """The state of the node's service from `trepctl status --json`, or None when it cannot be asked yet."""
    try:
        res = subprocess.run([trepctl_path, "--socket", node["control_socket"], "--service", service, "status",
                              "--json"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        return None
    try:
        return json.loads(res.stdout).get("state")
    except (ValueError, AttributeError):
        return None


def _ready(node, trepctl_path, service):
    if not os.path.exists(node["control_socket"]):
        return False
    if trepctl_path is None:
        return True
    return service_state(node, trepctl_path, service) == "ONLINE"


def wait_online(node, proc, service, deadline):
    """Wait until trepd has its control socket and (when trepctl is built) reports the service ONLINE."""
    trepctl_path = find_program("trepctl")
    while not _ready(node, trepctl_path, service):
        if proc is not None and proc.poll() is not None:
            raise SandboxError(f"{node['name']}: trepd exited with status {proc.returncode} "
                               f"(config {node['config']}); {node['trepd_log']}:\n{tail(node['trepd_log'])}\n"
                               f"  {os.path.join(node['node_dir'], 'trepd.out')}:\n"
                               f"{tail(os.path.join(node['node_dir'], 'trepd.out'))}")
        if time.monotonic() >= deadline:
            raise SandboxError(f"{node['name']}: trepd service {service} not ONLINE before timeout "
                               f"(control socket {node['control_socket']}); {node['trepd_log']}:\n"
                               f"{tail(node['trepd_log'])}")
        time.sleep(0.1)


def stop(node, timeout_sec):
    """SIGTERM the node's trepd, kill -9 after timeout_sec; returns False when it was not running."""
    running = pids(node)
    if running:
        kill_pids(running, f"{node['name']}: trepd", timeout_sec)
    try:
        os.unlink(node["trepd_pid_file"])
    except FileNotFoundError:
        pass
    return bool(running)
