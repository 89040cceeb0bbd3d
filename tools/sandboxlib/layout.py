# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/layout.py - what a sandbox is on disk: node paths and ports, sandbox.json (DESIGN.md
# section 9 plus our extra fields), each node's my.cnf, trepd.ini and bootstrap SQL. Pure file writing: no
# process is started here.
import json
import os
import time

from .util import SandboxError

SANDBOX_JSON = "sandbox.json"
FORMAT_VERSION = 1
DEFAULT_BASE_PORT = 13306
THL_PORT_OFFSET = 100  # node K: MySQL on base+K-1, THL on base+100+K-1
MAX_NODES = THL_PORT_OFFSET
DEFAULT_USER = "trep"
DEFAULT_PASSWORD = "trep-sandbox"
DEFAULT_SERVICE = "alpha"
SOCKET_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux


def node_record(sb_dir, index, base_port, role, user, password):
    """The sandbox.json entry of node `index` (1-based): DESIGN.md fields first, then ours."""
    d = os.path.join(sb_dir, f"node{index}")
    return {
        "name": f"node{index}",
        "role": role,
        "host": "127.0.0.1",
        "mysql_port": base_port + index - 1,
        "mysql_socket": os.path.join(d, "mysql.sock"),
        "mysql_user": user,
        "mysql_password": password,
        "config": os.path.join(d, "trepd.ini"),
        "control_socket": os.path.join(d, "trepd.sock"),
        "thl_port": base_port + THL_PORT_OFFSET + index - 1,
        "index": index,
        "server_id": index,
        "node_dir": d,
        "my_cnf": os.path.join(d, "my.cnf"),
        "datadir": os.path.join(d, "data"),
        "tmpdir": os.path.join(d, "tmp"),
        "pid_file": os.path.join(d, "mariadbd.pid"),
        "error_log": os.path.join(d, "error.log"),
        "binlog_dir": os.path.join(d, "binlog"),
        "binlog_basename": os.path.join(d, "binlog", "mariadb-bin"),
        "thl_dir": os.path.join(d, "thl"),
        "trepd_pid_file": os.path.join(d, "trepd.pid"),
        "trepd_log": os.path.join(d, "trepd.log"),
    }


def new_sandbox(sb_dir, nodes, base_port, service, user, password, mysqld_opts):
    """The whole sandbox.json document of a fresh deploy: node1 master, the others slaves."""
    recs = [node_record(sb_dir, k, base_port, "master" if k == 1 else "slave", user, password)
            for k in range(1, nodes + 1)]
    return {
        "service": service,
        "nodes": recs,
        "format": FORMAT_VERSION,
        "dir": sb_dir,
        "base_port": base_port,
        "thl_port_offset": THL_PORT_OFFSET,
        "mysqld_options": list(mysqld_opts),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def sandbox_json_path(sb_dir):
    return os.path.join(sb_dir, SANDBOX_JSON)


def load(sb_dir):
    """Read D/sandbox.json; a missing or unreadable file is a SandboxError naming it."""
    path = sandbox_json_path(sb_dir)
    try:
        with open(path, encoding="utf-8") as f:
            sb = json.load(f)
    except FileNotFoundError:
        raise SandboxError(f"{sb_dir} is not a sandbox: {path} does not exist") from None
    except (OSError, ValueError) as e:
        raise SandboxError(f"cannot read {path}: {e}") from None
    if not isinstance(sb, dict) or not isinstance(sb.get("nodes"), list):
        raise SandboxError(f"{path}: not a sandbox description (no \"nodes\" list)")
    return sb


def save(sb):
    """Write sandbox.json atomically (temp file + rename), so readers never see half a file."""
    path = sandbox_json_path(sb["dir"])
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(sb, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def check_paths(node):
    """Unix socket paths must fit in sun_path: fail before creating anything."""
    for key in ("mysql_socket", "control_socket"):
        p = node[key]
        if len(p.encode()) > SOCKET_PATH_MAX:
            raise SandboxError(f"{node['name']}: socket path {p} is {len(p.encode())} bytes, the limit is "
                               f"{SOCKET_PATH_MAX}: use a shorter --dir")


def make_dirs(node):
    for key in ("node_dir", "tmpdir", "binlog_dir", "thl_dir"):
        os.makedirs(node[key], exist_ok=True)


def _opt_line(opt):
    """A --mysqld-opt value ("sync_binlog=0", "--sync-binlog=0", "skip-slave-start") as a my.cnf line."""
    line = opt.strip()
    while line.startswith("-"):
        line = line[1:]
    if not line or line.startswith("="):
        raise SandboxError(f"--mysqld-opt {opt!r}: expected NAME or NAME=VALUE")
    return line


def render_my_cnf(node, mysqld_opts):
    """Options of mariadbd (group [mysqld]) and of the clients (group [client]) for one node."""
    run_as_root = os.geteuid() == 0
    lines = [
        f"# {node['my_cnf']} - MariaDB options of sandbox {node['name']} (written by tools/sandbox).",
        "# Clients: mariadb --defaults-file=THIS_FILE connects as the trep user over the socket.",
        "[mysqld]",
        *(["user = root"] if run_as_root else []),
        f"datadir = {node['datadir']}",
        f"tmpdir = {node['tmpdir']}",
        f"socket = {node['mysql_socket']}",
        f"pid-file = {node['pid_file']}",
        f"log-error = {node['error_log']}",
        f"port = {node['mysql_port']}",
        "bind-address = 127.0.0.1",
        "skip-name-resolve",
        f"server_id = {node['server_id']}",
        f"report_host = {node['host']}",
        f"report_port = {node['mysql_port']}",
        f"log_bin = {node['binlog_basename']}",
        f"log_bin_index = {node['binlog_basename']}.index",
        f"relay_log = {os.path.join(node['binlog_dir'], 'relay-bin')}",
        "binlog_format = ROW",
        "binlog_row_metadata = FULL",
        "binlog_row_image = FULL",
        "binlog_checksum = CRC32",
        "log_slave_updates = ON",
        "gtid_strict_mode = ON",
        "gtid_domain_id = 0",
        "log_bin_trust_function_creators = ON",
        "sync_binlog = 1",
        "innodb_flush_log_at_trx_commit = 1",
        "innodb_buffer_pool_size = 64M",
        "innodb_log_file_size = 64M",
        "max_allowed_packet = 1G",
        "character-set-server = utf8mb4",
        "performance_schema = OFF",
        "skip-slave-start",
        "# --mysqld-opt values (later lines win):",
        *[_opt_line(o) for o in mysqld_opts],
        "",
        "[client]",
        f"socket = {node['mysql_socket']}",
        f"port = {node['mysql_port']}",
        f"user = {node['mysql_user']}",
        f"password = {node['mysql_password']}",
        "",
    ]
    return "\n".join(lines)


def render_trepd_ini(node, service, master):
    """A draft trepd configuration (INI, read with libinih) for one node; slaves point at the master."""
    lines = [
        f"; {node['config']} - trepd configuration of sandbox {node['name']} (written by tools/sandbox).",
        "[trepd]",
        f"control-socket = {node['control_socket']}",
        f"pid-file = {node['trepd_pid_file']}",
        f"log-file = {node['trepd_log']}",
        "log-level = info",
        "",
        f"[service {service}]",
        f"role = {node['role']}",
        f"thl-dir = {node['thl_dir']}",
        "; every replicator serves its THL, so any node can feed slaves once promoted",
        f"thl-listen = {node['host']}:{node['thl_port']}",
    ]
    if node["role"] != "master":
        lines.append(f"master-uri = thl://{master['host']}:{master['thl_port']}")
    lines += [
        f"mysql-host = {node['host']}",
        f"mysql-port = {node['mysql_port']}",
        f"mysql-socket = {node['mysql_socket']}",
        f"mysql-user = {node['mysql_user']}",
        f"mysql-password = {node['mysql_password']}",
        f"replica-server-id = {1000 + node['server_id']}",
        "; backups of every node go to one store; a slave started on an empty database provisions itself",
        f"backup-store = {os.path.join(os.path.dirname(node['node_dir']), 'backups')}",
        f"auto-provision = {'false' if node['role'] == 'master' else 'true'}",
        "; a new master extracts its binlog from the very first event",
        f"extract-start = {os.path.basename(node['binlog_basename'])}.000001:4",
        "",
    ]
    return "\n".join(lines)


def _sql_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def render_bootstrap_sql(node):
    """SQL run by mariadb-install-db after the system tables (one statement per line, bootstrap rule).

    Runs before binary logging exists, so the users are not in any binlog and every node starts with an
    empty GTID state."""
    user, pw = _sql_str(node["mysql_user"]), _sql_str(node["mysql_password"])
    lines = ["DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '');", "FLUSH PRIVILEGES;"]
    for host in ("'%'", "'localhost'"):
        lines.append(f"CREATE USER {user}@{host} IDENTIFIED BY {pw};")
        lines.append(f"GRANT ALL PRIVILEGES ON *.* TO {user}@{host} WITH GRANT OPTION;")
    return "\n".join(lines) + "\n"


def write_node_files(node, sb):
    """my.cnf, trepd.ini and bootstrap.sql of one node (directories must exist)."""
    master = next((n for n in sb["nodes"] if n["role"] == "master"), sb["nodes"][0])
    files = {
        node["my_cnf"]: render_my_cnf(node, sb.get("mysqld_options", [])),
        node["config"]: render_trepd_ini(node, sb["service"], master),
        os.path.join(node["node_dir"], "bootstrap.sql"): render_bootstrap_sql(node),
    }
    for path, text in files.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    os.chmod(node["my_cnf"], 0o600)
