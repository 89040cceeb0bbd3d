# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib/cli.py - command-line parsing of tools/sandbox (DESIGN.md section 9): one sub-command per
# action, errors on stderr as "sandbox: error: ..." with exit status 1 (2 for usage errors).
import argparse
import sys

from . import commands, layout
from .util import SandboxError

USAGE_EPILOG = """examples:
  tools/sandbox deploy --dir /tmp/sb --nodes 3            node1 master, node2..3 slaves
  tools/sandbox status --dir /tmp/sb
  tools/sandbox sql --dir /tmp/sb --node 2 'SELECT @@gtid_current_pos'
  tools/sandbox stop --dir /tmp/sb; tools/sandbox start --dir /tmp/sb
  tools/sandbox destroy --dir /tmp/sb
see docs/sandbox.md"""


def _parser():
    p = argparse.ArgumentParser(prog="sandbox", description="Throw-away MariaDB servers (and trepd) on loopback.",
                                epilog=USAGE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", required=True, help="sandbox directory (holds sandbox.json)")
    timed = argparse.ArgumentParser(add_help=False)
    timed.add_argument("--timeout", type=float, default=60.0, metavar="SEC",
                       help="limit for each server or trepd to start or stop (default 60)")
    no_trepd = argparse.ArgumentParser(add_help=False)
    no_trepd.add_argument("--no-trepd", action="store_true", help="do not start trepd even if it is built")

    d = sub.add_parser("deploy", parents=[common, timed, no_trepd], help="create and start N nodes")
    d.add_argument("--nodes", type=int, default=2, help="number of nodes (default 2)")
    d.add_argument("--base-port", type=int, default=layout.DEFAULT_BASE_PORT,
                   help=f"MySQL port of node1 (default {layout.DEFAULT_BASE_PORT}); node K uses P+K-1 and THL "
                        f"port P+{layout.THL_PORT_OFFSET}+K-1")
    d.add_argument("--mysqld-opt", action="append", default=[], metavar="OPT",
                   help="extra mariadbd option for every node, e.g. sync_binlog=0 (repeatable)")
    d.add_argument("--service", default=layout.DEFAULT_SERVICE, help="replication service name (default alpha)")
    d.add_argument("--user", default=layout.DEFAULT_USER, help="admin/replication user (default trep)")
    d.add_argument("--password", default=layout.DEFAULT_PASSWORD, help="its password (default trep-sandbox)")
    d.add_argument("--force", action="store_true", help="destroy a sandbox already in --dir first")
    d.set_defaults(fn=commands.cmd_deploy)

    sub.add_parser("add", parents=[common, timed, no_trepd],
                   help="add one slave node with an empty database").set_defaults(fn=commands.cmd_add)
    sub.add_parser("start", parents=[common, timed, no_trepd],
                   help="start the stopped nodes").set_defaults(fn=commands.cmd_start)
    sub.add_parser("stop", parents=[common, timed], help="stop trepd and the servers").set_defaults(
        fn=commands.cmd_stop)
    sub.add_parser("destroy", parents=[common, timed], help="stop and remove the sandbox directory").set_defaults(
        fn=commands.cmd_destroy)
    s = sub.add_parser("status", parents=[common], help="per node: running, ports, binlog position, GTID")
    s.add_argument("--json", action="store_true", help="one JSON document")
    s.set_defaults(fn=commands.cmd_status)
    q = sub.add_parser("sql", parents=[common], help="run SQL (or an interactive client) on one node")
    q.add_argument("--node", default="1", help="node number or name (default 1)")
    q.add_argument("--tcp", action="store_true", help="connect over TCP 127.0.0.1 instead of the socket")
    q.add_argument("--batch", action="store_true", help="tab-separated output without column names")
    q.add_argument("sql", nargs="*", help="SQL to run; none: interactive client (or SQL from stdin)")
    q.set_defaults(fn=commands.cmd_sql)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return args.fn(args)
    except SandboxError as e:
        print(f"sandbox: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sandbox: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"sandbox: error: {e}", file=sys.stderr)
        return 1
