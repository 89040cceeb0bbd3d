#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/data/binlog/mariadb/generate.sh - regenerate the MariaDB binlog fixtures of this folder.
# Starts a throw-away mariadbd on a Unix socket in a temporary directory (no TCP port), runs the
# workload below, shuts the server down and copies the binlog files here. Always stops the server,
# also on failure. Needs mariadb-server and mariadb-client (Debian 12: MariaDB 10.11).
# Usage: tests/data/binlog/mariadb/generate.sh [OUTDIR]   (default: this folder)
set -eu

OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
WORK=$(mktemp -d /tmp/trep-binlog-gen.XXXXXX)
SOCK=$WORK/sock
PID=

cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        mariadb-admin --no-defaults --socket="$SOCK" -uroot shutdown 2>/dev/null || kill "$PID"
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

sql() {
    mariadb --no-defaults --socket="$SOCK" -uroot "$@"
}

# Like sql, with @WORK@ in the script replaced by the work directory (for LOAD DATA files).
sqlw() {
    sed "s#@WORK@#$WORK#g" | sql "$@"
}

mariadb-install-db --no-defaults --datadir="$WORK/data" --user="$(id -un)" \
    --auth-root-authentication-method=normal >"$WORK/install.log" 2>&1
mariadbd --no-defaults --datadir="$WORK/data" --socket="$SOCK" --port=0 --skip-networking \
    --log-bin="$WORK/mariadb-bin" --binlog-format=ROW --binlog-row-metadata=FULL --server-id=1 \
    --secure-file-priv="" --log-bin-compress-min-len=10 --user="$(id -un)" \
    --log-error="$WORK/error.log" &
PID=$!
tries=0
until mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 300 ] || ! kill -0 "$PID" 2>/dev/null; then
        echo "generate.sh: mariadbd did not start; see its log:" >&2
        cat "$WORK/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

printf '1\tone\t2024-01-02\n2\ttwo\t\\N\n3\tthree\t1999-12-31\n' >"$WORK/load.txt"

# ---- file 1: row format, CRC32, every column type, XA, two-phase ALTER, MyISAM ----
sqlw <<'EOF'
SET timestamp=1700000000;
CREATE DATABASE trep_t;
USE trep_t;
CREATE TABLE all_types (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  c_tiny TINYINT, c_utiny TINYINT UNSIGNED, c_small SMALLINT, c_usmall SMALLINT UNSIGNED,
  c_med MEDIUMINT, c_umed MEDIUMINT UNSIGNED, c_int INT, c_uint INT UNSIGNED,
  c_big BIGINT, c_ubig BIGINT UNSIGNED,
  c_float FLOAT, c_double DOUBLE, c_dec DECIMAL(20,6), c_dec0 DECIMAL(5,0),
  c_bit BIT(13), c_bit1 BIT(1),
  c_date DATE, c_time TIME, c_time6 TIME(6), c_dt DATETIME, c_dt3 DATETIME(3),
  c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_year YEAR,
  c_char CHAR(10), c_char_u CHAR(10) CHARACTER SET utf8mb4, c_varchar VARCHAR(100),
  c_varchar_big VARCHAR(500) CHARACTER SET utf8mb4,
  c_binary BINARY(8), c_varbinary VARBINARY(20),
  c_tinyblob TINYBLOB, c_blob BLOB, c_mediumtext MEDIUMTEXT, c_longblob LONGBLOB,
  c_enum ENUM('a','b','c'), c_set SET('x','y','z'),
  c_json JSON, c_geom GEOMETRY, c_point POINT,
  c_uuid UUID, c_inet6 INET6, c_inet4 INET4,
  c_vc_comp VARCHAR(100) COMPRESSED, c_blob_comp BLOB COMPRESSED
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO all_types VALUES (1,
  -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615,
  1.5, -2.25e100, -12345678901234.567891, 99999,
  b'1010101010101', b'1',
  '2024-01-02', '-838:59:59', '12:34:56.789012', '1000-01-01 00:00:00', '9999-12-31 23:59:59.999',
  '2038-01-19 03:14:07.999999', 2155,
  'abc', 'héllo', 'varchar value', REPEAT('x', 300),
  'bin\0\0', 'varbin\0x',
  'tiny', 'blob data', 'medium text', REPEAT('L', 1000),
  'b', 'x,z',
  '{"a": [1, 2, {"b": null}]}', ST_GeomFromText('LINESTRING(0 0,1 1,2 1)'), POINT(1.5, -2),
  '123e4567-e89b-12d3-a456-426655440000', '2001:db8::ff00:42:8329', '192.168.0.1',
  REPEAT('compressible ', 5), REPEAT('blob compressible ', 10));
INSERT INTO all_types (id, c_int, c_varchar, c_date, c_dec) VALUES
  (2, 0, '', '0000-00-00', 0), (3, NULL, NULL, NULL, NULL),
  (4, 42, 'it''s "quoted"\n\ttab', '2000-02-29', 0.000001);
UPDATE all_types SET c_int = c_int + 1, c_varchar = 'updated' WHERE id IN (2, 4);
SET SESSION binlog_row_image = MINIMAL;
UPDATE all_types SET c_double = 3.25 WHERE id = 1;
DELETE FROM all_types WHERE id = 3;
SET SESSION binlog_row_image = NOBLOB;
UPDATE all_types SET c_small = 7 WHERE id = 1;
SET SESSION binlog_row_image = FULL;
CREATE TABLE t2 (a INT PRIMARY KEY, b VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO t2 VALUES (1, 'one'), (2, 'two'), (3, 'three');
UPDATE all_types, t2 SET all_types.c_int = 100, t2.b = 'multi' WHERE all_types.id = 4 AND t2.a = 2;
CREATE TABLE my (a INT, b TEXT) ENGINE=MyISAM;
INSERT INTO my VALUES (1, 'myisam row');
XA START 'xa1', 'bq', 7;
INSERT INTO t2 VALUES (10, 'xa');
XA END 'xa1', 'bq', 7;
XA PREPARE 'xa1', 'bq', 7;
XA COMMIT 'xa1', 'bq', 7;
XA START 'xa2';
INSERT INTO t2 VALUES (11, 'xa rollback');
XA END 'xa2';
XA PREPARE 'xa2';
XA ROLLBACK 'xa2';
SET SESSION binlog_alter_two_phase = 1;
ALTER TABLE t2 ADD COLUMN c INT DEFAULT 5;
SET SESSION binlog_alter_two_phase = 0;
LOAD DATA INFILE '@WORK@/load.txt' INTO TABLE t2 (@a, b, @d) SET a = @a + 200, c = 9;
EOF

# ---- still file 1: statement format: temporary table, user variables, INTVAR, RAND, LOAD DATA ----
sqlw <<'EOF'
SET timestamp=1700000100.123456;
USE trep_t;
SET SESSION binlog_format = STATEMENT;
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO';
SET SESSION time_zone = '+02:00';
SET SESSION lc_time_names = 'fr_FR';
SET SESSION auto_increment_increment = 5, auto_increment_offset = 3;
SET NAMES utf8mb4;
CREATE TABLE sv (id INT AUTO_INCREMENT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DOUBLE,
                 m DECIMAL(30,10), s VARCHAR(50), n INT, r DOUBLE, t DATETIME(6)) ENGINE=InnoDB;
CREATE TEMPORARY TABLE tmp (a INT, b VARCHAR(10));
INSERT INTO tmp VALUES (1, 'temp');
SET @i = -5, @u = CAST(18446744073709551615 AS UNSIGNED), @d = 1.5e10,
    @m = CAST(-123.4500 AS DECIMAL(20,4)), @s = 'héllo', @n = NULL;
INSERT INTO sv (i, u, d, m, s, n, t) SELECT @i, @u, @d, @m, @s, @n, NOW(6) FROM tmp;
INSERT INTO sv (i) VALUES (LAST_INSERT_ID());
INSERT INTO sv (r) VALUES (RAND());
DROP TEMPORARY TABLE tmp;
LOAD DATA INFILE '@WORK@/load.txt' INTO TABLE t2 FIELDS TERMINATED BY '\t' (@a, b, @d) SET a = @a + 100;
EOF

# ---- file 2: log_bin_compress=ON (compressed rows and compressed queries) ----
sql <<'EOF'
SET GLOBAL log_bin_compress = ON;
FLUSH BINARY LOGS;
EOF
sql <<'EOF'
SET timestamp=1700000200;
USE trep_t;
INSERT INTO t2 VALUES (20, REPEAT('c', 20), 1), (21, 'compressed rows', 2);
UPDATE t2 SET b = 'compressed update' WHERE a = 21;
DELETE FROM t2 WHERE a = 20;
INSERT INTO all_types (id, c_varchar, c_longblob) VALUES (50, 'compressed', REPEAT('z', 2000));
SET SESSION binlog_format = STATEMENT;
INSERT INTO t2 VALUES (30, 'compressed stmt', 3);
EOF

# ---- file 3: binlog_checksum=NONE (changing binlog_checksum rotates the binlog) ----
sql <<'EOF'
SET GLOBAL log_bin_compress = OFF;
SET GLOBAL binlog_checksum = NONE;
EOF
sql <<'EOF'
SET timestamp=1700000300;
USE trep_t;
INSERT INTO t2 VALUES (40, 'no checksum', 4);
UPDATE t2 SET b = 'no crc update' WHERE a = 40;
SET SESSION binlog_format = STATEMENT;
INSERT INTO t2 VALUES (41, 'stmt, no checksum', 5);
EOF
sql -e "SET GLOBAL binlog_checksum = CRC32;"

sql -e "SELECT VERSION()" -N >"$WORK/version.txt"
mariadb-admin --no-defaults --socket="$SOCK" -uroot shutdown
wait "$PID" || true
PID=
for f in "$WORK"/mariadb-bin.0*; do
    cp "$f" "$OUT/"
done
echo "generate.sh: server $(cat "$WORK/version.txt"); wrote $(ls "$WORK"/mariadb-bin.0* | wc -l) files to $OUT"
