# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/commands.py - the sub-commands of tools/sandbox (deploy, add, start, stop, destroy,
# status, sql) built from layout (files), mariadb (servers) and trepd (replicators). Each returns an exit
# status or raises SandboxError with a message naming the node and the file or port.
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import layout, mariadb, trepd
from .util import SandboxError, info, kill_pids, port_in_use, warn

INSTALL_TIMEOUT_SEC = 120


def _parallel(fn, items):
    """fn(item) for every item on threads; re-raises the first failure after all have finished."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(len(items), 8)) as pool:
        futures = [pool.submit(fn, it) for it in items]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        if len(errors) > 1:
            for e in errors[1:]:
                print(f"sandbox: error: {e}", file=sys.stderr)
        raise errors[0]
    return [f.result() for f in futures]


def _check_ports(nodes):
    """Every MySQL and THL port must be free before anything starts."""
    for n in nodes:
        for what, port in (("MySQL", n["mysql_port"]), ("THL", n["thl_port"])):
            if not 1 <= port <= 65535:
                raise SandboxError(f"{n['name']}: {what} port {port} is out of range: choose another --base-port")
            if port_in_use(port):
                raise SandboxError(f"{n['name']}: {what} port {port} on 127.0.0.1 is already in use: "
                                   f"choose another --base-port")


def _check_dir_chars(sb_dir):
    for bad in ("\n", "#", ";", "\"", "'"):
        if bad in sb_dir:
            raise SandboxError(f"--dir {sb_dir!r}: the character {bad!r} cannot appear in option files")


def _start_servers(nodes, timeout_sec):
    """Start every stopped server in parallel, then wait for all of them; returns the nodes started."""
    procs = []
    for n in nodes:
        if mariadb.server_pids(n):
            continue
        for stale in (n["mysql_socket"], n["pid_file"]):
            if os.path.exists(stale):
                os.unlink(stale)
        procs.append((n, mariadb.spawn(n)))
    deadline = time.monotonic() + timeout_sec
    for n, proc in procs:
        mariadb.wait_ready(n, proc, deadline, timeout_sec)
    return [n for n, _ in procs]


def _trepd_wanted(sb, no_trepd):
    """Path of trepd when it should run for this sandbox, else None (with the reason printed)."""
    if no_trepd or not sb.get("trepd_enabled", True):
        return None
    path = trepd.find_program("trepd")
    if path is None:
        info(f"trepd not built ({os.path.join(trepd.bin_dir(), 'trepd')} missing): MariaDB servers only")
    return path


def _start_trepds(sb, nodes, trepd_path, timeout_sec):
    """Start trepd on nodes (master first), then wait until each service is ONLINE."""
    todo = sorted((n for n in nodes if not trepd.pids(n)), key=lambda n: n["role"] != "master")
    procs = [(n, trepd.start(n, trepd_path)) for n in todo]
    deadline = time.monotonic() + timeout_sec
    for n, proc in procs:
        trepd.wait_online(n, proc, sb["service"], deadline)


def _stop_node(node, timeout_sec):
    """trepd first (it reads the server), then the server. Returns a one-word outcome."""
    trepd.stop(node, timeout_sec)
    return "stopped" if mariadb.shutdown(node, timeout_sec) else "was not running"


def _kill_all(nodes):
    """Best-effort cleanup after a failed deploy or add: no process of these nodes survives."""
    for n in nodes:
        try:
            kill_pids(trepd.pids(n), f"{n['name']}: trepd", 5)
            kill_pids(mariadb.server_pids(n), f"{n['name']}: mariadbd", 10)
        except SandboxError as e:
            warn(str(e))


def _prepare_target(sb_dir, force, timeout_sec):
    """Refuse a non-empty target; with --force an existing sandbox there is destroyed first."""
    if not os.path.exists(sb_dir):
        return
    if not os.path.isdir(sb_dir):
        raise SandboxError(f"--dir {sb_dir} exists and is not a directory")
    if not os.listdir(sb_dir):
        return
    has_json = os.path.exists(layout.sandbox_json_path(sb_dir))
    if has_json and force:
        info(f"--force: destroying the sandbox in {sb_dir}")
        _destroy(sb_dir, timeout_sec)
        return
    if has_json:
        raise SandboxError(f"{sb_dir} already holds a sandbox ({layout.sandbox_json_path(sb_dir)}): "
                           f"destroy it first or use --force")
    raise SandboxError(f"{sb_dir} is not empty and holds no {layout.SANDBOX_JSON}: refusing to deploy there")


def _validate_deploy(args):
    if not 1 <= args.nodes <= layout.MAX_NODES:
        raise SandboxError(f"--nodes {args.nodes}: between 1 and {layout.MAX_NODES}")
    if not 1024 <= args.base_port <= 65535 - layout.THL_PORT_OFFSET - args.nodes:
        raise SandboxError(f"--base-port {args.base_port}: must leave room for {args.nodes} MySQL ports and "
                           f"{args.nodes} THL ports (+{layout.THL_PORT_OFFSET}) below 65536, and be >= 1024")
    if not args.service or any(c in args.service for c in " []\n=;#"):
        raise SandboxError(f"--service {args.service!r}: a plain name like alpha")


def _print_nodes(sb):
    for n in sb["nodes"]:
        print(f"  {n['name']:<7} {n['role']:<6} mysql 127.0.0.1:{n['mysql_port']}  thl {n['thl_port']}  "
              f"socket {n['mysql_socket']}")
    print(f"  user {sb['nodes'][0]['mysql_user']} password {sb['nodes'][0]['mysql_password']}; client: "
          f"tools/sandbox sql --dir {sb['dir']} --node 1   (or mariadb --defaults-file={sb['nodes'][0]['my_cnf']})")


def cmd_deploy(args):
    sb_dir = os.path.abspath(args.dir)
    _check_dir_chars(sb_dir)
    _validate_deploy(args)
    _prepare_target(sb_dir, args.force, args.timeout)
    t0 = time.monotonic()
    sb = layout.new_sandbox(sb_dir, args.nodes, args.base_port, args.service, args.user, args.password,
                            args.mysqld_opt)
    sb["trepd_enabled"] = not args.no_trepd
    for n in sb["nodes"]:
        layout.check_paths(n)
        layout.render_my_cnf(n, args.mysqld_opt)  # rejects a malformed --mysqld-opt before any file exists
    _check_ports(sb["nodes"])
    trepd_path = _trepd_wanted(sb, args.no_trepd)
    os.makedirs(sb_dir, exist_ok=True)
    for n in sb["nodes"]:
        layout.make_dirs(n)
        layout.write_node_files(n, sb)
    layout.save(sb)
    try:
        _parallel(lambda n: mariadb.install_db(n, INSTALL_TIMEOUT_SEC), sb["nodes"])
        _start_servers(sb["nodes"], args.timeout)
        if trepd_path:
            _start_trepds(sb, sb["nodes"], trepd_path, args.timeout)
    except BaseException:
        _kill_all(sb["nodes"])
        print(f"sandbox: deploy failed; logs kept in {sb_dir} (remove with: tools/sandbox destroy --dir {sb_dir})",
              file=sys.stderr)
        raise
    info(f"deployed {args.nodes} node(s) of service {sb['service']} in {sb_dir} in "
         f"{time.monotonic() - t0:.2f} s")
    _print_nodes(sb)
    return 0


def cmd_add(args):
    sb = layout.load(os.path.abspath(args.dir))
    index = max(n.get("index", i + 1) for i, n in enumerate(sb["nodes"])) + 1
    if index > layout.MAX_NODES:
        raise SandboxError(f"{sb['dir']}: already {index - 1} nodes, the limit is {layout.MAX_NODES}")
    first = sb["nodes"][0]
    node = layout.node_record(sb["dir"], index, sb["base_port"], "slave", first["mysql_user"],
                              first["mysql_password"])
    layout.check_paths(node)
    if os.path.exists(node["node_dir"]):
        raise SandboxError(f"{node['name']}: {node['node_dir']} already exists: remove it or destroy the sandbox")
    _check_ports([node])
    sb["nodes"].append(node)
    layout.make_dirs(node)
    layout.write_node_files(node, sb)
    layout.save(sb)
    trepd_path = _trepd_wanted(sb, args.no_trepd)
    try:
        mariadb.install_db(node, INSTALL_TIMEOUT_SEC)
        _start_servers([node], args.timeout)
        if trepd_path:
            _backup_master(sb, args.timeout)
            _start_trepds(sb, [node], trepd_path, args.timeout)
    except BaseException:
        _kill_all([node])
        raise
    how = "provisioned from a fresh backup of the master" if trepd_path else "with an empty database"
    info(f"added {node['name']} (slave) on port {node['mysql_port']}, thl {node['thl_port']}, {how}")
    return 0


def _backup_master(sb, timeout_sec):
    """Take a backup on the master through its trepd, so a new node provisions itself from it."""
    master = next(n for n in sb["nodes"] if n["role"] == "master")
    trepctl = trepd.find_program("trepctl")
    if trepctl is None:
        raise SandboxError("trepctl is not built: cannot take the backup a new node provisions from")
    res = subprocess.run([trepctl, "--socket", master["control_socket"], "--service", sb["service"], "backup",
                          "--json"], capture_output=True, text=True, timeout=max(timeout_sec, 600),
                         stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise SandboxError(f"{master['name']}: trepctl backup failed: {res.stderr.strip()}")
    info(f"backup taken on {master['name']}: {json.loads(res.stdout).get('id')}")


def cmd_start(args):
    sb = layout.load(os.path.abspath(args.dir))
    t0 = time.monotonic()
    started = _start_servers(sb["nodes"], args.timeout)
    trepd_path = _trepd_wanted(sb, args.no_trepd)
    if trepd_path:
        _start_trepds(sb, sb["nodes"], trepd_path, args.timeout)
    for n in sb["nodes"]:
        print(f"  {n['name']}: {'started' if n in started else 'already running'}")
    info(f"started in {time.monotonic() - t0:.2f} s")
    return 0


def cmd_stop(args):
    sb = layout.load(os.path.abspath(args.dir))
    outcomes = _parallel(lambda n: _stop_node(n, args.timeout), sb["nodes"])
    for n, outcome in zip(sb["nodes"], outcomes):
        print(f"  {n['name']}: {outcome}")
    return 0


def _destroy(sb_dir, timeout_sec):
    sb = layout.load(sb_dir)
    if os.path.abspath(sb.get("dir", sb_dir)) != sb_dir:
        warn(f"{layout.sandbox_json_path(sb_dir)} was written for {sb.get('dir')}: stopping the nodes it names")
    _parallel(lambda n: _stop_node(n, timeout_sec), sb["nodes"])
    shutil.rmtree(sb_dir)


def cmd_destroy(args):
    sb_dir = os.path.abspath(args.dir)
    if not os.path.isdir(sb_dir):
        raise SandboxError(f"{sb_dir}: no such directory")
    if not os.path.exists(layout.sandbox_json_path(sb_dir)):
        raise SandboxError(f"{sb_dir} holds no {layout.SANDBOX_JSON}: not a sandbox, refusing to remove it")
    _destroy(sb_dir, args.timeout)
    info(f"destroyed {sb_dir}")
    return 0


def _node_status(n):
    pids = mariadb.server_pids(n)
    tpids = trepd.pids(n)
    st = {"name": n["name"], "role": n["role"], "running": bool(pids), "pid": pids[0] if pids else None,
          "mysql_port": n["mysql_port"], "thl_port": n["thl_port"], "binlog_file": None, "binlog_pos": None,
          "gtid_binlog_pos": None, "gtid_current_pos": None, "trepd_running": bool(tpids),
          "trepd_pid": tpids[0] if tpids else None, "error": None}
    if not pids:
        return st
    try:
        rows = mariadb.query(n, "SELECT @@gtid_binlog_pos, @@gtid_current_pos; SHOW MASTER STATUS", 10)
        st["gtid_binlog_pos"], st["gtid_current_pos"] = rows[0][0], rows[0][1]
        if len(rows) > 1:
            st["binlog_file"], st["binlog_pos"] = rows[1][0], int(rows[1][1])
    except SandboxError as e:
        st["error"] = str(e)
    return st


def cmd_status(args):
    sb = layout.load(os.path.abspath(args.dir))
    nodes = _parallel(_node_status, sb["nodes"])
    if args.json:
        print(json.dumps({"service": sb["service"], "dir": sb["dir"], "nodes": nodes}, indent=2))
        return 0
    print(f"sandbox {sb['dir']}  service {sb['service']}")
    print(f"  {'node':<7} {'role':<6} {'server':<8} {'pid':>7} {'port':>6} {'thl':>6}  {'binlog':<26} "
          f"{'gtid_binlog_pos':<18} trepd")
    for s in nodes:
        binlog = f"{s['binlog_file']}:{s['binlog_pos']}" if s["binlog_file"] else "-"
        print(f"  {s['name']:<7} {s['role']:<6} {'running' if s['running'] else 'stopped':<8} "
              f"{s['pid'] or '-':>7} {s['mysql_port']:>6} {s['thl_port']:>6}  {binlog:<26} "
              f"{s['gtid_binlog_pos'] or '-':<18} {'running' if s['trepd_running'] else 'stopped'}")
        if s["error"]:
            print(f"    error: {s['error']}")
    return 0


def find_node(sb, spec):
    """Node by number ("2") or name ("node2")."""
    for i, n in enumerate(sb["nodes"]):
        if spec in (n["name"], str(n.get("index", i + 1))):
            return n
    names = ", ".join(n["name"] for n in sb["nodes"])
    raise SandboxError(f"--node {spec}: no such node in {sb['dir']} (nodes: {names})")


def cmd_sql(args):
    sb = layout.load(os.path.abspath(args.dir))
    node = find_node(sb, args.node)
    if not mariadb.server_pids(node):
        raise SandboxError(f"{node['name']}: server is not running (start it: tools/sandbox start --dir {sb['dir']})")
    argv = mariadb.client_args(node, tcp=args.tcp)
    if args.batch:
        argv += ["--batch", "--skip-column-names"]
    if args.sql:
        sys.stdout.flush()
        return subprocess.run(argv + ["-e", " ".join(args.sql)]).returncode
    os.execv(argv[0], argv)
    return 1
