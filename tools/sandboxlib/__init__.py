# SPDX-License-Identifier: GPL-2.0-or-later
# tools/sandboxlib - implementation of tools/sandbox: util (errors, ports, /proc), layout (files and
# sandbox.json), mariadb (servers), trepd (replicators), commands (sub-commands), cli (argument parsing).
