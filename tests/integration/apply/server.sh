#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/apply/server.sh - a throw-away mariadbd for the applier integration tests.
#   server.sh start DIR   install a datadir in DIR/data and start mariadbd on DIR/sock (no TCP),
#                         with the binlog on (row format, FULL metadata) and a 64 MB max_allowed_packet;
#                         returns when the server answers a ping.
#   server.sh stop DIR    shut the server down (mariadb-admin shutdown, then the pid from DIR/pid)
#                         and remove DIR.
# When REPL_TEST_HOST or REPL_TEST_SOCKET is set the tests use that server: start and stop do nothing.
set -eu

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
if [ -n "${REPL_TEST_HOST:-}" ] || [ -n "${REPL_TEST_SOCKET:-}" ]; then
    exit 0
fi

find_prog() {
    for p in "$@"; do
        for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
            if [ -x "$d/$p" ]; then
                echo "$d/$p"
                return 0
            fi
        done
    done
    echo "server.sh: none of $* found" >&2
    return 1
}

ping_server() {
    "$ADMIN" --no-defaults --socket="$dir/sock" --user=root --connect-timeout=2 ping >/dev/null 2>&1
}

stop_server() {
    ADMIN=$(find_prog mariadb-admin mysqladmin)
    if [ -S "$dir/sock" ]; then
        "$ADMIN" --no-defaults --socket="$dir/sock" --user=root shutdown >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

start_server() {
    SERVER=$(find_prog mariadbd mysqld)
    INSTALL=$(find_prog mariadb-install-db mysql_install_db)
    ADMIN=$(find_prog mariadb-admin mysqladmin)
    if [ -f "$dir/pid" ]; then
        stop_server
    fi
    mkdir -p "$dir/data" "$dir/tmp" "$dir/binlog"
    if ! "$INSTALL" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
        --auth-root-authentication-method=normal >"$dir/install.log" 2>&1; then
        cat "$dir/install.log" >&2
        exit 1
    fi
    "$SERVER" --no-defaults --datadir="$dir/data" --socket="$dir/sock" --skip-networking \
        --user="$(id -un)" --pid-file="$dir/pid" --tmpdir="$dir/tmp" --log-error="$dir/error.log" \
        --server-id=2 --log-bin="$dir/binlog/bin" --binlog-format=ROW --binlog-row-metadata=FULL \
        --max-allowed-packet=64M --innodb-buffer-pool-size=64M --innodb-log-file-size=64M \
        --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --innodb-lock-wait-timeout=2 \
        --skip-name-resolve >/dev/null 2>&1 &
    i=0
    while ! ping_server; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            echo "server.sh: mariadbd did not answer on $dir/sock within 30 s" >&2
            tail -20 "$dir/error.log" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}

case "$cmd" in
start) start_server ;;
stop) stop_server ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
