#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/test_sandbox.py - tools/sandbox on real MariaDB servers: a 3-node deploy (timed), the
# server settings trep relies on, the trep user over TCP, sandbox.json and trepd.ini, status and sql,
# stop/start and kill -9 keeping data, add, --force, destroy, and every refusal (busy ports, non-sandbox
# dirs, bad options, a server that cannot start), and the trepd hooks with a stand-in trepd.
# Ports: harness.base_port() + 0..59 and + 100..159.
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DEPLOY_LIMIT_SEC = 15.0


def server_pids_under(path):
    """Pids of live mariadbd processes whose command line mentions path (independent of tools/sandbox)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if comm == "mariadbd" and path in cmd and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def listen_on(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="trep-it-")
        return self.path

    def __exit__(self, *exc):
        sb = os.path.join(self.path, "sb")
        if os.path.exists(os.path.join(sb, "sandbox.json")):
            harness.run_sandbox("destroy", "--dir", sb, check=False)
        subprocess.run(["rm", "-rf", self.path], check=False)


class ThreeNodes(unittest.TestCase):
    """One 3-node sandbox shared by the tests of this class (deployed once, timed)."""

    @classmethod
    def setUpClass(cls):
        cls.port = harness.base_port(0)
        cls._cm = harness.deploy(nodes=3, port=cls.port, trepd=False)
        t0 = time.monotonic()
        cls.sb = cls._cm.__enter__()
        cls.deploy_sec = time.monotonic() - t0
        verdict = "ok" if cls.deploy_sec < DEPLOY_LIMIT_SEC else "SLOWER THAN THE LIMIT"
        print(f"\ntest_sandbox: deploy of 3 nodes took {cls.deploy_sec:.2f} s "
              f"(limit {DEPLOY_LIMIT_SEC:.0f} s: {verdict})", flush=True)
        cls.initial_gtid = {n.name: n.gtid_binlog_pos() for n in cls.sb.nodes}

    @classmethod
    def tearDownClass(cls):
        cls._cm.__exit__(None, None, None)
        assert not server_pids_under(cls.sb.dir), f"servers of {cls.sb.dir} left running"

    def test_sandbox_json_format(self):
        with open(os.path.join(self.sb.dir, "sandbox.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["service"], "alpha")
        self.assertEqual(len(doc["nodes"]), 3)
        design_keys = {"name", "role", "host", "mysql_port", "mysql_socket", "mysql_user", "mysql_password",
                       "config", "control_socket", "thl_port"}
        for k, n in enumerate(doc["nodes"], 1):
            self.assertLessEqual(design_keys, set(n), n)
            self.assertEqual(n["name"], f"node{k}")
            self.assertEqual(n["role"], "master" if k == 1 else "slave")
            self.assertEqual(n["host"], "127.0.0.1")
            self.assertEqual(n["mysql_port"], self.port + k - 1)
            self.assertEqual(n["thl_port"], self.port + 100 + k - 1)
            self.assertEqual(n["config"], os.path.join(self.sb.dir, f"node{k}", "trepd.ini"))
            self.assertEqual(n["control_socket"], os.path.join(self.sb.dir, f"node{k}", "trepd.sock"))
            self.assertTrue(os.path.isfile(n["config"]))
            self.assertTrue(os.path.isdir(n["datadir"]))
        ports = [n["mysql_port"] for n in doc["nodes"]] + [n["thl_port"] for n in doc["nodes"]]
        self.assertEqual(len(set(ports)), 6)

    def test_trepd_ini(self):
        master = self.sb.master
        for n in self.sb.nodes:
            with open(n.config) as f:
                ini = f.read()
            self.assertIn("[service alpha]", ini)
            self.assertIn(f"role = {n.role}", ini)
            self.assertIn(f"thl-dir = {n.thl_dir}", ini)
            self.assertIn(f"mysql-port = {n.mysql_port}", ini)
            self.assertIn(f"control-socket = {n.control_socket}", ini)
            uri = f"master-uri = thl://127.0.0.1:{master.thl_port}"
            if n.role == "master":
                self.assertNotIn("master-uri", ini)
            else:
                self.assertIn(uri, ini)

    def test_server_settings(self):
        want = {"log_bin": "1", "binlog_format": "ROW", "binlog_row_metadata": "FULL", "binlog_row_image": "FULL",
                "gtid_strict_mode": "1", "gtid_domain_id": "0", "log_slave_updates": "1", "sync_binlog": "1",
                "innodb_flush_log_at_trx_commit": "1", "max_allowed_packet": str(1 << 30),
                "character_set_server": "utf8mb4", "bind_address": "127.0.0.1", "skip_name_resolve": "1"}
        cols = ", ".join(f"@@GLOBAL.{v}" for v in want)
        ids = set()
        for k, n in enumerate(self.sb.nodes, 1):
            row = n.sql(f"SELECT {cols}, @@server_id, @@log_bin_basename, @@port")[0]
            got = dict(zip(want, row))
            self.assertEqual(got, want, n.name)
            self.assertEqual(row[len(want)], str(k))
            self.assertEqual(row[len(want) + 1], os.path.join(n.binlog_dir, "mariadb-bin"))
            self.assertEqual(row[len(want) + 2], str(n.mysql_port))
            ids.add(row[len(want)])
        self.assertEqual(len(ids), 3)

    def test_16mb_blob(self):
        """max_allowed_packet=1G: a row with a 16 MB blob is accepted, binlogged and read back."""
        m = self.sb.master
        m.execute("CREATE DATABASE IF NOT EXISTS big; CREATE TABLE big.b (id INT PRIMARY KEY, v LONGBLOB);"
                  "INSERT INTO big.b VALUES (1, REPEAT('z', 16 * 1024 * 1024 + 1))")
        self.assertEqual(m.value("SELECT LENGTH(v) FROM big.b WHERE id = 1"), str(16 * 1024 * 1024 + 1))
        m.execute("DROP DATABASE big")

    def test_gtid_starts_empty_and_advances(self):
        """The users created at install time are not in any binlog, so GTID states start empty and a write
        on node K gets GTID 0-K-1 (domain 0, server_id K)."""
        self.assertEqual(self.initial_gtid, {"node1": "", "node2": "", "node3": ""})
        n3 = self.sb.node(3)
        n3.execute("CREATE DATABASE gtid_probe")
        pos = n3.gtid_binlog_pos()
        self.assertRegex(pos, r"^0-3-\d+$")
        n3.execute("DROP DATABASE gtid_probe")
        self.assertEqual(int(n3.gtid_binlog_pos().split("-")[2]), int(pos.split("-")[2]) + 1)

    def test_trep_user_over_tcp(self):
        for n in self.sb.nodes:
            self.assertEqual(n.value("SELECT CURRENT_USER()", tcp=True), "trep@%")
            grants = " ".join(r[0] for r in n.sql("SHOW GRANTS", tcp=True))
            self.assertIn("GRANT ALL PRIVILEGES ON *.* TO `trep`@`%`", grants)
            self.assertIn("WITH GRANT OPTION", grants)
            self.assertEqual(n.value("SELECT CURRENT_USER()"), "trep@localhost")
        bad = subprocess.run(["mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                              f"-P{self.sb.master.mysql_port}", "-utrep", "-pwrong", "-e", "SELECT 1"],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("Access denied", bad.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "root over the socket needs the OS user root")
    def test_root_over_socket(self):
        res = subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.sb.master.mysql_socket}",
                              "-N", "-e", "SELECT CURRENT_USER()"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.strip(), "root@localhost")

    def test_status_json(self):
        st = self.sb.status()
        self.assertEqual([n["name"] for n in st["nodes"]], ["node1", "node2", "node3"])
        for n, rec in zip(st["nodes"], self.sb.nodes):
            self.assertTrue(n["running"], n)
            self.assertEqual(n["mysql_port"], rec.mysql_port)
            self.assertTrue(n["binlog_file"].startswith("mariadb-bin."), n)
            self.assertGreater(n["binlog_pos"], 0)
            self.assertFalse(n["trepd_running"])
        text = self.sb.run("status").stdout
        self.assertIn("node3", text)
        self.assertIn("running", text)

    def test_sql_command(self):
        out = self.sb.run("sql", "--node", "2", "--batch", "SELECT @@server_id").stdout
        self.assertEqual(out.strip(), "2")
        out = self.sb.run("sql", "--node", "node3", "--tcp", "--batch", "SELECT CURRENT_USER()").stdout
        self.assertEqual(out.strip(), "trep@%")
        res = self.sb.run("sql", "--node", "9", "SELECT 1", check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("--node 9: no such node", res.stderr)
        self.assertIn("node1, node2, node3", res.stderr)
        res = self.sb.run("sql", "--node", "1", "SELECT * FROM no_such_db.t", check=False)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("no_such_db", res.stderr)

    def test_stop_start_keeps_data(self):
        m, s2 = self.sb.master, self.sb.node(2)
        m.execute("CREATE DATABASE IF NOT EXISTS keep; CREATE TABLE keep.t (id INT PRIMARY KEY, v VARCHAR(20));"
                  "INSERT INTO keep.t VALUES (1, 'before stop')")
        s2.execute("CREATE DATABASE IF NOT EXISTS keep2; CREATE TABLE keep2.t (id INT PRIMARY KEY);"
                   "INSERT INTO keep2.t VALUES (7)")
        gtid = m.gtid_binlog_pos()
        out = self.sb.stop().stdout
        self.assertEqual(out.count(": stopped"), 3, out)
        self.assertEqual(server_pids_under(self.sb.dir), [])
        for n in self.sb.nodes:
            self.assertFalse(n.alive(), n.name)
            self.assertFalse(os.path.exists(n.mysql_socket), n.mysql_socket)
        st = self.sb.status()
        self.assertEqual([n["running"] for n in st["nodes"]], [False] * 3)
        self.assertIn("was not running", self.sb.stop().stdout)
        res = self.sb.run("sql", "--node", "1", "SELECT 1", check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("node1: server is not running", res.stderr)
        self.sb.start()
        self.assertEqual(m.sql("SELECT id, v FROM keep.t"), [("1", "before stop")])
        self.assertEqual(s2.value("SELECT id FROM keep2.t"), "7")
        self.assertEqual(m.gtid_binlog_pos(), gtid)
        self.assertEqual(len(server_pids_under(self.sb.dir)), 3)
        self.assertIn("already running", self.sb.start().stdout)

    def test_kill9_then_start(self):
        n3 = self.sb.node(3)
        n3.execute("CREATE DATABASE IF NOT EXISTS crash; CREATE TABLE IF NOT EXISTS crash.t (id INT PRIMARY KEY);"
                   "REPLACE INTO crash.t VALUES (42)")
        pids = server_pids_under(n3.node_dir + "/")
        self.assertEqual(len(pids), 1)
        os.kill(pids[0], 9)
        harness.wait_for(lambda: not server_pids_under(n3.node_dir + "/"), timeout=10, what="node3 killed")
        st = self.sb.status()
        self.assertEqual([n["running"] for n in st["nodes"]], [True, True, False])
        self.sb.start()
        self.assertEqual(n3.value("SELECT id FROM crash.t"), "42")

    def test_deploy_refuses_existing_sandbox(self):
        res = harness.run_sandbox("deploy", "--dir", self.sb.dir, "--nodes", 1, "--base-port", self.port + 45,
                                  "--no-trepd", check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("already holds a sandbox", res.stderr)
        self.assertIn("--force", res.stderr)
        self.assertTrue(self.sb.master.alive())


class Refusals(unittest.TestCase):
    """Errors reported before anything starts, and a server that fails to start."""

    def deploy(self, sb_dir, *args):
        return harness.run_sandbox("deploy", "--dir", sb_dir, "--no-trepd", *args, check=False)

    def test_busy_mysql_port(self):
        port = harness.base_port(10)
        with TempDir() as tmp, listen_on(port + 1):
            sb_dir = os.path.join(tmp, "sb")
            res = self.deploy(sb_dir, "--nodes", 3, "--base-port", port)
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"node2: MySQL port {port + 1} on 127.0.0.1 is already in use", res.stderr)
            self.assertFalse(os.path.exists(sb_dir))
            self.assertEqual(server_pids_under(tmp), [])

    def test_busy_thl_port(self):
        port = harness.base_port(10)
        with TempDir() as tmp, listen_on(port + 102):
            res = self.deploy(os.path.join(tmp, "sb"), "--nodes", 3, "--base-port", port)
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"node3: THL port {port + 102}", res.stderr)

    def test_non_sandbox_dirs(self):
        with TempDir() as tmp:
            keep = os.path.join(tmp, "precious")
            open(keep, "w").close()
            res = harness.run_sandbox("destroy", "--dir", tmp, check=False)
            self.assertEqual(res.returncode, 1)
            self.assertIn("holds no sandbox.json", res.stderr)
            self.assertTrue(os.path.exists(keep))
            res = self.deploy(tmp, "--force", "--base-port", harness.base_port(10))
            self.assertEqual(res.returncode, 1)
            self.assertIn("is not empty", res.stderr)
            self.assertTrue(os.path.exists(keep))
            for cmd in ("status", "stop", "start", "sql", "add"):
                res = harness.run_sandbox(cmd, "--dir", tmp, check=False)
                self.assertEqual(res.returncode, 1, cmd)
                self.assertIn(f"{tmp}/sandbox.json does not exist", res.stderr, cmd)

    def test_bad_arguments(self):
        with TempDir() as tmp:
            sb_dir = os.path.join(tmp, "sb")
            cases = [(["--nodes", 0], "--nodes 0"), (["--base-port", 80], "--base-port 80"),
                     (["--base-port", 65500], "--base-port 65500"), (["--mysqld-opt", "=x"], "--mysqld-opt '=x'"),
                     (["--service", "a b"], "--service")]
            for args, msg in cases:
                res = self.deploy(sb_dir, "--base-port", harness.base_port(10), *args)
                self.assertEqual(res.returncode, 1, args)
                self.assertIn(msg, res.stderr, args)
                self.assertFalse(os.path.exists(sb_dir), args)
            long_dir = os.path.join(tmp, "x" * 90, "sb")
            res = self.deploy(long_dir, "--base-port", harness.base_port(10))
            self.assertEqual(res.returncode, 1)
            self.assertIn("node1: socket path", res.stderr)
            self.assertIn("use a shorter --dir", res.stderr)

    def test_server_that_cannot_start(self):
        port = harness.base_port(40)
        with TempDir() as tmp:
            sb_dir = os.path.join(tmp, "sb")
            res = self.deploy(sb_dir, "--nodes", 2, "--base-port", port, "--mysqld-opt", "no_such_variable=1")
            self.assertEqual(res.returncode, 1)
            self.assertIn("node1: mariadb-install-db failed", res.stderr)
            self.assertIn("no_such_variable", res.stderr)
            self.assertIn("deploy failed; logs kept in", res.stderr)
            self.assertEqual(server_pids_under(tmp), [])
            self.assertEqual(harness.run_sandbox("destroy", "--dir", sb_dir).returncode, 0)
            self.assertFalse(os.path.exists(sb_dir))

    def test_server_that_exits_at_start(self):
        """Install succeeds but mariadbd cannot start (bad log_bin directory): the error log tail is shown."""
        port = harness.base_port(40)
        with TempDir() as tmp:
            sb_dir = os.path.join(tmp, "sb")
            res = self.deploy(sb_dir, "--nodes", 1, "--base-port", port,
                              "--mysqld-opt", f"log_bin={tmp}/no/such/dir/bin")
            self.assertEqual(res.returncode, 1)
            self.assertIn("node1: mariadbd exited during startup", res.stderr)
            self.assertIn("error.log", res.stderr)
            self.assertEqual(server_pids_under(tmp), [])


    def test_start_timeout(self):
        """A server that does not answer within --timeout: the message names the socket and the limit, and
        the error log tail follows; nothing is left running."""
        with TempDir() as tmp:
            sb_dir = os.path.join(tmp, "sb")
            res = self.deploy(sb_dir, "--nodes", 1, "--base-port", harness.base_port(40), "--timeout", "0")
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"node1: mariadbd not answering on {sb_dir}/node1/mysql.sock within 0 s", res.stderr)
            self.assertIn("error.log:", res.stderr)
            self.assertEqual(server_pids_under(tmp), [])


class SmallSandbox(unittest.TestCase):
    """--mysqld-opt, --service, add and --force on a 1-node sandbox."""

    def test_options_add_force(self):
        port = harness.base_port(20)
        with harness.deploy(nodes=1, port=port, trepd=False, service="beta",
                            mysqld_opts=["sync_binlog=0", "--innodb-flush-log-at-trx-commit=2"]) as sb:
            self.assertEqual(sb.service, "beta")
            self.assertEqual(sb.master.variable("sync_binlog"), "0")
            self.assertEqual(sb.master.variable("innodb_flush_log_at_trx_commit"), "2")
            sb.master.execute("CREATE DATABASE only_on_master")
            res = sb.add("--no-trepd")
            # without trepd nothing provisions the node (test_provision.py covers add with trepd)
            self.assertIn("with an empty database", res.stdout)
            self.assertEqual(len(sb.nodes), 2)
            n2 = sb.node(2)
            self.assertEqual((n2.name, n2.role, n2.mysql_port, n2.thl_port), ("node2", "slave", port + 1, port + 101))
            self.assertEqual(n2.variable("server_id"), "2")
            self.assertEqual(n2.variable("sync_binlog"), "0")
            self.assertEqual(n2.sql("SHOW DATABASES LIKE 'only_on_master'"), [])
            with open(n2.config) as f:
                ini = f.read()
            self.assertIn("[service beta]", ini)
            self.assertIn(f"master-uri = thl://127.0.0.1:{sb.master.thl_port}", ini)
            with listen_on(port + 2):
                res = sb.run("add", "--no-trepd", check=False)
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"node3: MySQL port {port + 2}", res.stderr)
            self.assertEqual(len(sb.reload().nodes), 2)
            res = harness.run_sandbox("deploy", "--dir", sb.dir, "--nodes", 1, "--base-port", port, "--force",
                                      "--no-trepd")
            self.assertIn("--force: destroying", res.stdout)
            sb.reload()
            self.assertEqual(len(sb.nodes), 1)
            self.assertEqual(sb.master.sql("SHOW DATABASES LIKE 'only_on_master'"), [])
            self.assertEqual(sb.master.variable("sync_binlog"), "1")
            self.assertEqual(len(server_pids_under(sb.dir)), 1)


FAKE_TREPD = """#!/usr/bin/python3
# fake trepd for test_sandbox: listens on the control socket named in --config until SIGTERM.
import configparser, os, signal, socket, sys, time
cfg = configparser.ConfigParser(inline_comment_prefixes=(";",))
cfg.read(sys.argv[sys.argv.index("--config") + 1])
if os.environ.get("FAKE_TREPD_FAIL"):
    print("fake trepd: refusing to start", file=sys.stderr)
    sys.exit(3)
path = cfg["trepd"]["control-socket"]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
def bye(*_):
    os.unlink(path)
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
with open(cfg["trepd"]["log-file"], "a") as f:
    f.write("fake trepd up\\n")
while True:
    time.sleep(1)
"""

FAKE_TREPCTL = """#!/usr/bin/python3
# fake trepctl for test_sandbox: ONLINE when the control socket exists.
import json, os, sys
a = sys.argv
if not os.path.exists(a[a.index("--socket") + 1]):
    sys.exit(1)
print(json.dumps({"serviceName": a[a.index("--service") + 1], "state": "ONLINE"}))
"""


def trepd_pids_under(path):
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if comm == "trepd" and path in cmd:
            found.append(int(entry))
    return found


class TrepdStartStop(unittest.TestCase):
    """The trepd hooks with a stand-in trepd/trepctl in $TREP_BIN_DIR (the real daemon is not written yet)."""

    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.bin = os.path.join(self.root, "bin")
        os.mkdir(self.bin)
        for name, text in (("trepd", FAKE_TREPD), ("trepctl", FAKE_TREPCTL)):
            with open(os.path.join(self.bin, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(self.bin, name), 0o755)
        self.sb_dir = os.path.join(self.root, "sb")
        self.env = {"TREP_BIN_DIR": self.bin}

    def tearDown(self):
        self.tmp.__exit__(None, None, None)
        self.assertEqual(trepd_pids_under(self.root), [])

    def sandbox(self, *args, check=True, env=None):
        return harness.run_sandbox(*args, "--dir", self.sb_dir, check=check, env=dict(self.env, **(env or {})))

    def test_trepd_follows_the_servers(self):
        self.sandbox("deploy", "--nodes", 2, "--base-port", harness.base_port(50))
        st = json.loads(self.sandbox("status", "--json").stdout)
        self.assertEqual([n["trepd_running"] for n in st["nodes"]], [True, True])
        sb = harness.Sandbox(self.sb_dir)
        for n, s in zip(sb.nodes, st["nodes"]):
            self.assertTrue(os.path.exists(n.control_socket))
            with open(n.trepd_pid_file) as f:
                self.assertEqual(int(f.read()), s["trepd_pid"])
        self.sandbox("stop")
        self.assertEqual(trepd_pids_under(self.sb_dir), [])
        self.assertEqual(server_pids_under(self.sb_dir), [])
        self.sandbox("start")
        self.assertEqual(len(trepd_pids_under(self.sb_dir)), 2)
        self.sandbox("destroy")
        self.assertEqual(trepd_pids_under(self.sb_dir), [])

    def test_no_trepd_flag(self):
        self.sandbox("deploy", "--nodes", 1, "--base-port", harness.base_port(50), "--no-trepd")
        self.sandbox("start")
        self.assertEqual(trepd_pids_under(self.sb_dir), [])
        self.assertEqual(len(server_pids_under(self.sb_dir)), 1)

    def test_trepd_that_fails(self):
        res = self.sandbox("deploy", "--nodes", 2, "--base-port", harness.base_port(50), check=False,
                           env={"FAKE_TREPD_FAIL": "1"})
        self.assertEqual(res.returncode, 1)
        self.assertIn("node1: trepd exited with status 3", res.stderr)
        self.assertIn("fake trepd: refusing to start", res.stderr)
        self.assertEqual(server_pids_under(self.sb_dir), [])


class Destroy(unittest.TestCase):
    def test_destroy(self):
        with TempDir() as tmp:
            sb_dir = os.path.join(tmp, "sb")
            harness.run_sandbox("deploy", "--dir", sb_dir, "--nodes", 2, "--base-port", harness.base_port(30),
                                "--no-trepd")
            self.assertEqual(len(server_pids_under(sb_dir)), 2)
            res = harness.run_sandbox("destroy", "--dir", sb_dir)
            self.assertIn("destroyed", res.stdout)
            self.assertFalse(os.path.exists(sb_dir))
            self.assertEqual(server_pids_under(sb_dir), [])
            res = harness.run_sandbox("destroy", "--dir", sb_dir, check=False)
            self.assertEqual(res.returncode, 1)
            self.assertIn("no such directory", res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
