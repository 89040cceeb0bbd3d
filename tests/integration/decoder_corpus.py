# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/decoder_corpus.py - the SQL corpus of test_decoder_diff.py: statements that make
# MariaDB write every column type with its edge values (integers of every width signed and unsigned,
# FLOAT/DOUBLE, DECIMAL up to (65,30), BIT, YEAR, DATE, TIME/DATETIME/TIMESTAMP(0..6), utf8mb4,
# latin1 and other charsets, binary strings and blobs up to 16 MiB, ENUM/SET of every pack length,
# JSON, GEOMETRY, INET6/UUID/INET4, compressed columns, NULLs everywhere) in every row image
# (FULL/MINIMAL/NOBLOB), compressed binlog events, checksum NONE and CRC32 files, DDL, XA,
# temporary tables, statement-format events (user variables, RAND, LAST_INSERT_ID, NOW(6)) and
# rolled-back MyISAM+InnoDB transactions.
#
# The corpus is plain SQL run by one `mariadb` client session (so SET SESSION settings carry on
# from section to section). It is written out literally; Python only generates what would be
# unreadable by hand (a 300-member ENUM, a 64-member SET, a 70-column table, a 256-byte pattern).
# `python3 decoder_corpus.py` prints the whole script.

DB = "decoder"

# 0x00 .. 0xFF: every byte value once; 65536 of them make the 16 MiB blob.
ALL_BYTES = "x'" + "".join(f"{i:02x}" for i in range(256)) + "'"
ENUM_300 = ", ".join(f"'m{i}'" for i in range(1, 301))
SET_64 = ", ".join(f"'s{i}'" for i in range(1, 65))
SET_ALL_64 = ",".join(f"s{i}" for i in range(1, 65))


def _set_members(n):
    return ", ".join(f"'k{i}'" for i in range(1, n + 1))


def _set_all(n):
    return ",".join(f"k{i}" for i in range(1, n + 1))


def _columns_300():
    """300 TINYINT columns: a packed column count of 3 bytes and a 38-byte NULL bitmap."""
    cols = ", ".join(f"c{i} TINYINT" for i in range(1, 301))
    full = ", ".join(str(i % 256 - 128) for i in range(1, 301))
    sparse = ", ".join("NULL" if i % 7 else str(i % 100) for i in range(1, 301))
    return (f"CREATE TABLE cols300 (id INT PRIMARY KEY, {cols});\n"
            f"INSERT INTO cols300 VALUES (1, {full});\n"
            f"INSERT INTO cols300 VALUES (2, {sparse});\n"
            "INSERT INTO cols300 (id) VALUES (3);\n"
            "UPDATE cols300 SET c1 = 1, c150 = NULL, c300 = -1 WHERE id IN (1, 2);\n")


def load_data_csv():
    """The file loaded by LOAD DATA LOCAL INFILE (several 4 KiB blocks of APPEND_BLOCK events)."""
    lines = [f"{i},line {i} \u00fc" for i in range(1, 1500)] + ["1500,\\N", "1501,tab\\there"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _wide_table():
    """70 nullable columns: a NULL bitmap of 9 bytes, with values alternating INT and VARCHAR."""
    cols = ", ".join(f"c{i} {'INT' if i % 2 else 'VARCHAR(10)'}" for i in range(1, 71))

    def row(rid, is_null):
        vals = []
        for i in range(1, 71):
            if is_null(i):
                vals.append("NULL")
            else:
                vals.append(str(i * 1000 + rid) if i % 2 else f"'v{i}'")
        return f"({rid}, {', '.join(vals)})"

    rows = ",\n  ".join([row(1, lambda i: False), row(2, lambda i: True), row(3, lambda i: i % 3 == 0),
                         row(4, lambda i: i % 8 == 1 or i == 70)])
    return (f"CREATE TABLE wide (id INT PRIMARY KEY, {cols});\n"
            f"INSERT INTO wide VALUES\n  {rows};\n"
            "UPDATE wide SET c1 = NULL, c2 = 'x', c69 = 69, c70 = NULL WHERE id IN (1, 3);\n"
            "DELETE FROM wide WHERE id = 4;\n")


SECTIONS = [
    ("session setup", f"""
SET NAMES utf8mb4;
SET SESSION time_zone = '+00:00';
-- no NO_ZERO_DATE / NO_ZERO_IN_DATE / STRICT: zero dates and clamped values are allowed
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';
SET SESSION binlog_format = 'ROW';
SET SESSION binlog_row_image = 'FULL';
CREATE DATABASE {DB};
USE {DB};
"""),

    ("integers: every width, signed and unsigned: min, max, 0, -1/1, NULL", """
CREATE TABLE ints (
  id INT PRIMARY KEY,
  ti TINYINT,   tu TINYINT UNSIGNED,
  si SMALLINT,  su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
  ii INT,       iu INT UNSIGNED,
  bi BIGINT,    bu BIGINT UNSIGNED
);
INSERT INTO ints VALUES
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
      9223372036854775807, 18446744073709551615),
  (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  (4, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1),
  (5, -100, 200, -12345, 54321, -1234567, 12345678, -123456789, 3000000000,
      -1234567890123456789, 12345678901234567890),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE ints SET ti = -ti, si = -si, mi = -mi, ii = -ii, bi = -bi WHERE id = 4;
DELETE FROM ints WHERE id = 3;
"""),

    ("FLOAT and DOUBLE: signed zero, extremes, denormals, NULL", """
CREATE TABLE reals (id INT PRIMARY KEY, f FLOAT, d DOUBLE);
INSERT INTO reals VALUES
  (1, 0, 0),
  (2, -0e0, -0e0),                -- MariaDB stores -0.0 as +0: no negative zero reaches the binlog
  (3, 1.5, 0.1),
  (4, 3.40282e38, 1.7976931348623157e308),
  (5, -3.40282e38, -1.7976931348623157e308),
  (6, 1.17549e-38, 2.2250738585072014e-308),
  (7, 1.4e-45, 4.9e-324),
  (8, 3.14159265, 2.718281828459045),
  (9, -1e10, 1e-300),
  (10, 123456.789, 1e22),
  (11, NULL, NULL);
UPDATE reals SET f = f * 2, d = d / 3 WHERE id IN (3, 8, 10);
"""),

    ("DECIMAL: every digit-group shape up to (65,30): max, min, zero, fractional, negative", """
CREATE TABLE decs (
  id INT PRIMARY KEY,
  d65_30 DECIMAL(65,30), d65_0 DECIMAL(65,0), d30_30 DECIMAL(30,30), d10_0 DECIMAL(10,0),
  d5_2 DECIMAL(5,2), d18_9 DECIMAL(18,9), d19_10 DECIMAL(19,10), d1_0 DECIMAL(1,0),
  d9_9 DECIMAL(9,9), du DECIMAL(12,4) UNSIGNED
);
INSERT INTO decs VALUES
  (1, 99999999999999999999999999999999999.999999999999999999999999999999,
      99999999999999999999999999999999999999999999999999999999999999999,
      0.999999999999999999999999999999, 9999999999, 999.99, 999999999.999999999,
      999999999.9999999999, 9, 0.999999999, 99999999.9999),
  (2, -99999999999999999999999999999999999.999999999999999999999999999999,
      -99999999999999999999999999999999999999999999999999999999999999999,
      -0.999999999999999999999999999999, -9999999999, -999.99, -999999999.999999999,
      -999999999.9999999999, -9, -0.999999999, 0),
  (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  (4, 0.000000000000000000000000000001, 1, 0.000000000000000000000000000001, 1, 0.01,
      0.000000001, 0.0000000001, 1, 0.000000001, 0.0001),
  (5, -0.000000000000000000000000000001, -1, -0.5, -1, -0.01, -123456789.123456789,
      -123456789.0123456789, -1, -0.123456789, 1234.5678),
  (6, 12345678901234567890.123456789012345678901234567890, 100000000000000000000000000000000,
      0.123456789012345678901234567890, 1000000000, 100.5, 1.5, 10.25, 5, 0.5, 1),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE decs SET d5_2 = -d5_2, d18_9 = d18_9 / 7 WHERE id IN (4, 6);
"""),

    ("BIT(1/8/9/16/17/63/64) and YEAR: zero, max, patterns, NULL", """
CREATE TABLE bits (
  id INT PRIMARY KEY,
  b1 BIT(1), b8 BIT(8), b9 BIT(9), b16 BIT(16), b17 BIT(17), b63 BIT(63), b64 BIT(64), y YEAR
);
INSERT INTO bits VALUES
  (1, 0, 0, 0, 0, 0, 0, 0, 0),
  (2, 1, 255, 511, 65535, b'11111111111111111', 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 2155),
  (3, b'1', b'10100101', b'100000001', 0x8001, b'10000000000000001', 0x4000000000000001,
      b'1000000000000000000000000000000000000000000000000000000000000001', 1901),
  (4, 0, b'00000001', 256, 256, 65536, 1, 0x8000000000000000, 2024),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE bits SET b17 = b17 ^ 1, y = 2000 WHERE id IN (1, 4);
-- signedness metadata: YEAR followed by signed and unsigned numbers
CREATE TABLE year_sign (id INT PRIMARY KEY, y YEAR, a TINYINT UNSIGNED, b TINYINT, c INT UNSIGNED,
                        d DECIMAL(5,1) UNSIGNED, e FLOAT);
INSERT INTO year_sign VALUES
  (1, 1999, 255, -1, 4294967295, 9999.9, -1.5),
  (2, 0, 128, -128, 2147483648, 0, 0),
  (3, NULL, NULL, NULL, NULL, NULL, NULL);
"""),

    ("DATE: zero date, zero parts, range ends, leap day, NULL", """
CREATE TABLE dates (id INT PRIMARY KEY, d DATE);
INSERT INTO dates VALUES
  (1, '0000-00-00'), (2, '1000-01-01'), (3, '9999-12-31'), (4, '2024-02-29'),
  (5, '2024-00-00'), (6, '2024-05-00'), (7, '0001-01-01'), (8, NULL);
"""),

    ("TIME(0..6): negative, beyond 24 h, range ends, negative fractions, NULL", """
CREATE TABLE times (
  id INT PRIMARY KEY,
  t0 TIME, t1 TIME(1), t2 TIME(2), t3 TIME(3), t4 TIME(4), t5 TIME(5), t6 TIME(6)
);
INSERT INTO times VALUES
  (1, '-838:59:59', '-838:59:59.9', '-838:59:59.99', '-838:59:59.999', '-838:59:59.9999',
      '-838:59:59.99999', '-838:59:59.999999'),
  (2, '838:59:59', '838:59:59.9', '838:59:59.99', '838:59:59.999', '838:59:59.9999',
      '838:59:59.99999', '838:59:59.999999'),
  (3, '00:00:00', '00:00:00.0', '00:00:00.00', '00:00:00.000', '00:00:00.0000',
      '00:00:00.00000', '00:00:00.000000'),
  (4, '-00:00:01', '-00:00:00.1', '-00:00:00.01', '-00:00:00.001', '-00:00:00.0001',
      '-00:00:00.00001', '-00:00:00.000001'),
  (5, '25:00:00', '100:30:15.5', '-01:00:00.5', '-12:34:56.789', '23:59:59.9999',
      '-23:59:59.99999', '-00:00:00.5'),
  (6, '-01:02:03', '-01:02:03.4', '-01:02:03.45', '-01:02:03.456', '-01:02:03.4567',
      '-01:02:03.45678', '-01:02:03.456789'),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE times SET t3 = '-00:00:00.999', t6 = '12:00:00.000001' WHERE id = 3;
"""),

    ("DATETIME(0..6): zero datetime, range ends, fractions, NULL", """
CREATE TABLE datetimes (
  id INT PRIMARY KEY,
  d0 DATETIME, d1 DATETIME(1), d2 DATETIME(2), d3 DATETIME(3), d4 DATETIME(4), d5 DATETIME(5),
  d6 DATETIME(6)
);
INSERT INTO datetimes VALUES
  (1, '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
      '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
  (2, '1000-01-01 00:00:00', '1000-01-01 00:00:00.0', '1000-01-01 00:00:00.01',
      '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.0001', '1000-01-01 00:00:00.00001',
      '1000-01-01 00:00:00.000001'),
  (3, '9999-12-31 23:59:59', '9999-12-31 23:59:59.9', '9999-12-31 23:59:59.99',
      '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.9999', '9999-12-31 23:59:59.99999',
      '9999-12-31 23:59:59.999999'),
  (4, '2024-02-29 12:34:56', '2024-02-29 12:34:56.1', '2024-02-29 12:34:56.12',
      '2024-02-29 12:34:56.123', '2024-02-29 12:34:56.1234', '2024-02-29 12:34:56.12345',
      '2024-02-29 12:34:56.123456'),
  (5, '2024-00-00 10:00:00', '2024-05-00 00:00:00.5', '0000-00-00 00:00:00.5',
      '1970-01-01 00:00:00', '2038-01-19 03:14:08', '1969-12-31 23:59:59.99999',
      '0001-01-01 00:00:00.000001'),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""),

    ("TIMESTAMP(0..6): zero timestamp, range ends, fractions, NULL", """
CREATE TABLE stamps (
  id INT PRIMARY KEY,
  s0 TIMESTAMP NULL, s1 TIMESTAMP(1) NULL, s2 TIMESTAMP(2) NULL, s3 TIMESTAMP(3) NULL,
  s4 TIMESTAMP(4) NULL, s5 TIMESTAMP(5) NULL, s6 TIMESTAMP(6) NULL
);
INSERT INTO stamps VALUES
  (1, '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
      '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
  (2, '1970-01-01 00:00:01', '1970-01-01 00:00:01.1', '1970-01-01 00:00:01.01',
      '1970-01-01 00:00:01.001', '1970-01-01 00:00:01.0001', '1970-01-01 00:00:01.00001',
      '1970-01-01 00:00:01.000001'),
  (3, '2038-01-19 03:14:07', '2038-01-19 03:14:07.9', '2038-01-19 03:14:07.99',
      '2038-01-19 03:14:07.999', '2038-01-19 03:14:07.9999', '2038-01-19 03:14:07.99999',
      '2038-01-19 03:14:07.999999'),
  (4, '2024-02-29 12:34:56', '2024-02-29 12:34:56.5', '2024-02-29 12:34:56.05',
      '2024-02-29 12:34:56.005', '2024-02-29 12:34:56.0005', '2024-02-29 12:34:56.00005',
      '2024-02-29 12:34:56.000005'),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SET SESSION time_zone = '+05:30';
INSERT INTO stamps VALUES
  (6, '2024-06-01 00:00:00', '2024-06-01 00:00:00.1', NULL, NULL, NULL, NULL,
      '2024-06-01 05:29:59.999999');
SET SESSION time_zone = '+00:00';
"""),

    ("utf8mb4 strings: CHAR (incl. > 255 bytes), VARCHAR (1- and 2-byte lengths), TEXTs", r"""
CREATE TABLE strs (
  id INT PRIMARY KEY,
  c10 CHAR(10), c255 CHAR(255), v20 VARCHAR(20), v300 VARCHAR(300),
  tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT
) CHARSET utf8mb4;
INSERT INTO strs VALUES
  (1, 'abc', 'abc', 'abc', 'abc', 'abc', 'abc', 'abc', 'abc'),
  (2, '', '', '', '', '', '', '', ''),
  (3, '😀🎉', '😀 emoji 🎉', 'ü😀€', '漢字かなカナ한글', '😀', 'Ω≈ç√∫', '𝄞 clef', '🏳️‍🌈 zwj'),
  (4, CONCAT('a', CHAR(0), 'b'), CONCAT('q''t\\', CHAR(10), CHAR(9), CHAR(13), CHAR(26), 'z'),
      'trailing  ', CONCAT(CHAR(1), CHAR(31), CHAR(127), ' '), 'it''s', 'back\\slash',
      CONCAT('line1', CHAR(10), 'line2'), CONCAT('x', CHAR(0))),
  (5, REPEAT('é', 10), REPEAT('😀', 255), REPEAT('ß', 20), REPEAT('😀', 300), REPEAT('x', 255),
      REPEAT('ab', 30000), REPEAT('m', 70000), REPEAT('y😀', 100000)),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE strs SET v20 = 'updated', tx = NULL WHERE id IN (1, 3);
DELETE FROM strs WHERE id = 2;
"""),

    ("latin1, utf8mb3, utf16, utf32 and ucs2 strings", """
CREATE TABLE charsets (
  id INT PRIMARY KEY,
  c CHAR(10) CHARSET latin1, v VARCHAR(300) CHARSET latin1, t TEXT CHARSET latin1,
  u3 VARCHAR(10) CHARSET utf8mb3, u16 CHAR(4) CHARSET utf16, u32 VARCHAR(5) CHARSET utf32,
  ucs CHAR(3) CHARSET ucs2
);
INSERT INTO charsets VALUES
  (1, 'café', 'ÀÉÎÕÜ ÿ', 'naïve €', 'ü€', 'ab😀', 'x😀', 'äö'),
  (2, '', REPEAT('ñ', 300), '', '', '', '', ''),
  (3, _latin1 x'A9FF', _latin1 x'8081', _latin1 x'00E9', 'abc', 'abc ', 'abc', 'a b'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""),

    ("binary strings and blobs: trailing zero bytes, empty, every byte value, 16 MiB", f"""
CREATE TABLE bins (
  id INT PRIMARY KEY,
  b16 BINARY(16), b1 BINARY(1), vb VARBINARY(10), vb300 VARBINARY(300),
  tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB
);
INSERT INTO bins VALUES
  (1, x'01020300000000000000000000000000', x'00', x'00ff00', REPEAT(x'00ff', 150),
      x'', x'', x'', x''),
  (2, x'00000000000000000000000000000000', x'ff', x'', x'', x'00', x'0000', {ALL_BYTES},
      REPEAT({ALL_BYTES}, 100)),
  (3, 'text padded', 'A', 'ab\\'cd', {ALL_BYTES}, REPEAT(x'5c', 255), REPEAT({ALL_BYTES}, 256),
      REPEAT(x'0a0d', 40000), 'short'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
-- a 16 MiB LONGBLOB (every byte value, 65536 times): one rows event of its own
INSERT INTO bins (id, b16, lb) VALUES (5, x'ffffffffffffffffffffffffffffff00', REPEAT({ALL_BYTES}, 65536));
UPDATE bins SET vb = x'0000', bl = x'' WHERE id IN (1, 3);
"""),

    ("ENUM (1 and 2 bytes) and SET (1, 2, 3, 4, 8 bytes; up to 64 members)", f"""
CREATE TABLE enums (
  id INT PRIMARY KEY,
  e1 ENUM('a', 'b', 'c', 'ü😀', ''),
  e2 ENUM({ENUM_300}),
  s1 SET('a', 'b', 'c'),
  s9 SET({_set_members(9)}),
  s17 SET({_set_members(17)}),
  s25 SET({_set_members(25)}),
  s64 SET({SET_64})
);
INSERT INTO enums VALUES
  (1, 'a', 'm1', 'a', 'k1', 'k1', 'k1', 's1'),
  (2, 'ü😀', 'm300', 'a,b,c', '{_set_all(9)}', '{_set_all(17)}', '{_set_all(25)}', '{SET_ALL_64}'),
  (3, '', 'm256', '', '', '', '', ''),
  (4, 'c', 'm255', 'c', 'k9', 'k17', 'k25', 's64'),
  (5, 'not a member', 'nope', 'b', 'k8,k9', 'k16,k17', 'k24,k25', 's32,s33,s63'),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE enums SET e2 = 'm257', s64 = 's1,s64' WHERE id = 1;
"""),

    ("JSON (a LONGTEXT in MariaDB)", r"""
CREATE TABLE js (id INT PRIMARY KEY, j JSON);
INSERT INTO js VALUES
  (1, '{}'), (2, '[]'), (3, 'null'), (4, '"str"'), (5, '-1.5e300'),
  (6, '{"a": 1, "b": [true, false, null], "c": "ü😀", "d": {"e": "\\n\\"q\\""}}'),
  (7, CONCAT('[', REPEAT('{"k": "v"}, ', 5000), '0]')),
  (8, NULL);
UPDATE js SET j = JSON_SET(j, '$.a', 2) WHERE id = 6;
"""),

    ("GEOMETRY: POINT, LINESTRING, POLYGON (with a hole), collections, SRID", """
CREATE TABLE geo (id INT PRIMARY KEY, g GEOMETRY, p POINT, pg POLYGON, ls LINESTRING);
INSERT INTO geo VALUES
  (1, ST_GeomFromText('POINT(1 2)'), POINT(-1.5, 1e300),
      ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))'),
      ST_GeomFromText('LINESTRING(0 0,1 1,2 2)')),
  (2, ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))', 4326),
      ST_GeomFromText('POINT(0 0)', 4326), ST_GeomFromText('POLYGON((0 0,1 0,0 1,0 0))'),
      ST_GeomFromText('LINESTRING(-1 -1,1e10 -1e-10)')),
  (3, NULL, NULL, NULL, NULL);
"""),

    ("INET6, UUID, INET4", """
CREATE TABLE nets (id INT PRIMARY KEY, i6 INET6, u UUID, i4 INET4);
INSERT INTO nets VALUES
  (1, '::', '00000000-0000-0000-0000-000000000000', '0.0.0.0'),
  (2, '::1', '123e4567-e89b-12d3-a456-426655440000', '127.0.0.1'),
  (3, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '255.255.255.255'),
  (4, '2001:db8::ff00:42:8329', '6ccd780c-baba-1026-9564-5b8c656024db', '192.0.2.1'),
  (5, '::ffff:192.0.2.1', '01234567-89ab-cdef-0123-456789abcdef', '10.0.0.0'),
  (6, NULL, NULL, NULL);
"""),

    ("MariaDB compressed columns: stored raw, zlib-wrapped, raw deflate, empty, NULL", """
CREATE TABLE comp (
  id INT PRIMARY KEY,
  v VARCHAR(100) COMPRESSED, v1000 VARCHAR(1000) COMPRESSED, t TEXT COMPRESSED,
  b BLOB COMPRESSED, lv VARCHAR(200) CHARSET latin1 COMPRESSED
);
-- default threshold (100 bytes): short values are stored with a 0x00 header, long ones deflated
INSERT INTO comp VALUES
  (1, 'short', 'short', 'short', x'00ff', 'été'),
  (2, REPEAT('a', 100), REPEAT('bc', 500), REPEAT('text ', 2000), REPEAT(x'00010203', 5000),
      REPEAT('é', 200)),
  (3, '', '', '', x'', ''),
  (4, NULL, NULL, NULL, NULL, NULL);
SET SESSION column_compression_threshold = 0;
SET SESSION column_compression_zlib_wrap = ON;
SET SESSION column_compression_zlib_level = 9;
INSERT INTO comp VALUES
  (5, 'tiny', REPEAT('😀', 250), REPEAT('zlib wrap ', 300), REPEAT(x'ff', 3000), 'x'),
  (6, '', 'x', '', x'', '');
SET SESSION column_compression_zlib_wrap = OFF;
SET SESSION column_compression_zlib_level = 1;
INSERT INTO comp VALUES
  (7, REPEAT('q', 99), REPEAT('raw deflate ', 80), 'z', REPEAT(x'5c00', 2000), REPEAT('ÿ', 150));
UPDATE comp SET v = 'changed', b = REPEAT(x'01', 1000) WHERE id IN (1, 5);
SET SESSION column_compression_threshold = DEFAULT;
SET SESSION column_compression_zlib_wrap = DEFAULT;
SET SESSION column_compression_zlib_level = DEFAULT;
"""),

    ("NULL bitmap of 9 bytes: 70 nullable columns", _wide_table()),

    ("300 columns: 3-byte column count, 38-byte NULL bitmap", _columns_300()),

    ("length prefixes and CHAR sizes at their boundaries; names outside ASCII", """
CREATE TABLE bounds (
  id INT PRIMARY KEY,
  v255 VARCHAR(255) CHARSET latin1, v256 VARCHAR(256) CHARSET latin1,
  u63 VARCHAR(63) CHARSET utf8mb4, u64 VARCHAR(64) CHARSET utf8mb4,
  c63 CHAR(63) CHARSET utf8mb4, c64 CHAR(64) CHARSET utf8mb4,
  b255 BINARY(255), b200 BINARY(200), tb TINYBLOB, bl BLOB,
  z0 CHAR(0), vz VARCHAR(0), bz BINARY(0)
);
INSERT INTO bounds VALUES
  (1, REPEAT('a', 255), REPEAT('b', 256), REPEAT('😀', 63), REPEAT('😀', 64), REPEAT('é', 63),
      REPEAT('😀', 64), REPEAT(x'ff', 255), REPEAT(x'01', 200), REPEAT(x'01', 255), REPEAT(x'02', 65535),
      '', '', ''),
  (2, '', '', '', '', '   ', 'trailing   ', x'00', x'20', x'', x'', NULL, '', NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE `tablé ü` (`colonne ü` INT PRIMARY KEY, `v 2` VARCHAR(5));
INSERT INTO `tablé ü` VALUES (1, 'ü'), (2, NULL);
UPDATE `tablé ü` SET `v 2` = 'ß' WHERE `colonne ü` = 2;
"""),

    ("generated, invisible and system-versioned columns; sequences", """
CREATE TABLE gen (
  id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, s VARCHAR(20) AS (CONCAT('s', a)) STORED,
  h INT INVISIBLE DEFAULT 7
);
INSERT INTO gen (id, a) VALUES (1, 10), (2, NULL);
UPDATE gen SET a = 11, h = 8 WHERE id = 1;
-- row_start/row_end: hidden TIMESTAMP(6) columns, row_end at its maximum for current rows
CREATE TABLE sv (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING;
INSERT INTO sv VALUES (1, 'one'), (2, 'two');
UPDATE sv SET v = 'uno' WHERE id = 1;
DELETE FROM sv WHERE id = 2;
CREATE SEQUENCE seq1 START WITH 100 INCREMENT BY 10;
SELECT NEXTVAL(seq1);
SELECT SETVAL(seq1, 5000);
SELECT NEXTVAL(seq1);
"""),

    ("old temporal formats (mysql56_temporal_format=OFF, no fractions)", """
-- fractional old-format columns are logged with metadata 0: their width is unknowable from the
-- binlog (mariadb-binlog stops on them), so only whole seconds here
SET GLOBAL mysql56_temporal_format = OFF;
CREATE TABLE oldtemporal (id INT PRIMARY KEY, t TIME, dt DATETIME, ts TIMESTAMP NULL);
SET GLOBAL mysql56_temporal_format = ON;
INSERT INTO oldtemporal VALUES
  (1, '-838:59:59', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
  (2, '838:59:59', '9999-12-31 23:59:59', '2038-01-19 03:14:07'),
  (3, '-00:00:01', '1000-01-01 00:00:00', '1970-01-01 00:00:01'),
  (4, '12:34:56', '2024-02-29 12:34:56', '2024-02-29 12:34:56'),
  (5, NULL, NULL, NULL);
UPDATE oldtemporal SET t = '-01:02:03', dt = '2024-00-00 00:00:00' WHERE id = 4;
"""),

    ("table maps without optional metadata (binlog_row_metadata NO_LOG, MINIMAL)", """
SET GLOBAL binlog_row_metadata = 'NO_LOG';
INSERT INTO ints VALUES (200, -1, 255, -1, 65535, -1, 16777215, -1, 4294967295, -1, 18446744073709551615);
INSERT INTO strs (id, c255, tx, lt) VALUES (200, 'no metadata', 'text, not blob', '😀');
INSERT INTO enums (id, e1, e2, s64) VALUES (200, 'ü😀', 'm299', 's1,s64');
INSERT INTO year_sign VALUES (200, 2001, 200, -100, 4000000000, 1.5, 2.5);
SET GLOBAL binlog_row_metadata = 'MINIMAL';
INSERT INTO ints VALUES (201, -2, 254, -2, 65534, -2, 16777214, -2, 4294967294, -2, 18446744073709551614);
INSERT INTO charsets (id, c, t) VALUES (201, 'minimal', 'métadonnées');
UPDATE comp SET t = REPEAT('minimal metadata ', 20) WHERE id = 2;
SET GLOBAL binlog_row_metadata = 'FULL';
"""),

    ("many rows: one statement split into several rows events", """
CREATE TABLE many (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(12,2), d DOUBLE);
INSERT INTO many
  WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000)
  SELECT n, CONCAT('row ', n), n * 1.25, n / 7 FROM s;
UPDATE many SET v = CONCAT(v, ' updated'), d = -d WHERE id % 3 = 0;
DELETE FROM many WHERE id % 2 = 0;
"""),

    ("binlog_row_image MINIMAL: keys only before, changed columns only after", """
SET SESSION binlog_row_image = 'MINIMAL';
CREATE TABLE nokey (a INT, b VARCHAR(10), c DOUBLE);
INSERT INTO nokey VALUES (1, 'one', 1.5), (2, 'two', NULL), (NULL, NULL, NULL);
UPDATE nokey SET c = 2.5 WHERE a = 1;
DELETE FROM nokey WHERE a = 2;
UPDATE ints SET ti = 7, bu = 42 WHERE id = 1;
UPDATE stamps SET s3 = '2001-02-03 04:05:06.789' WHERE id = 2;
INSERT INTO times (id, t6) VALUES (8, '-00:00:00.000001');
DELETE FROM reals WHERE id = 3;
-- the 16 MiB row: only its primary key is logged
DELETE FROM bins WHERE id = 5;
UPDATE dates SET id = 100 WHERE id = 8;
REPLACE INTO dates VALUES (1, '2000-01-01');
INSERT INTO reals (id, f) VALUES (1, 5) ON DUPLICATE KEY UPDATE f = 6, d = NULL;
"""),

    ("binlog_row_image NOBLOB: blobs left out unless needed", """
SET SESSION binlog_row_image = 'NOBLOB';
UPDATE bins SET vb = x'abcd' WHERE id = 2;
UPDATE bins SET tb = x'0102' WHERE id = 3;
UPDATE strs SET c10 = 'noblob' WHERE id = 5;
DELETE FROM bins WHERE id = 1;
INSERT INTO js VALUES (9, '{"noblob": true}');
UPDATE nokey SET b = 'nb' WHERE a IS NULL;
SET SESSION binlog_row_image = 'FULL';
"""),

    ("compressed binlog events (log_bin_compress): queries and rows", """
SET GLOBAL log_bin_compress_min_len = 10;
SET GLOBAL log_bin_compress = ON;
CREATE TABLE zipped (id INT PRIMARY KEY, v VARCHAR(200), b BLOB, t TIMESTAMP(3) NULL);
INSERT INTO zipped VALUES (1, REPEAT('compressed ', 10), REPEAT(x'00', 500), '2024-01-01 00:00:00.123'),
  (2, 'x', NULL, NULL);
UPDATE zipped SET v = 'now smaller' WHERE id = 1;
INSERT INTO zipped (id, b) VALUES (4, REPEAT(x'00112233445566778899aabbccddeeff', 131072));  -- 2 MiB
SET SESSION binlog_row_image = 'MINIMAL';
UPDATE zipped SET b = x'01' WHERE id = 2;
SET SESSION binlog_row_image = 'FULL';
DELETE FROM zipped WHERE id = 2;
SET SESSION binlog_format = 'STATEMENT';
INSERT INTO zipped (id, v) VALUES (3, 'a compressed statement-format insert');
SET SESSION binlog_format = 'ROW';
SET GLOBAL log_bin_compress = OFF;
SET GLOBAL log_bin_compress_min_len = 256;
"""),

    ("binlog_checksum NONE, then CRC32 again (each change rotates the binlog)", """
-- another GTID domain and a session server id: later files start with a GTID list of several entries
SET SESSION gtid_domain_id = 7;
SET SESSION server_id = 77;
INSERT INTO ints VALUES (77, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7);
SET SESSION gtid_domain_id = 0;
SET SESSION server_id = 1;
SET GLOBAL binlog_checksum = NONE;
CREATE TABLE nocrc (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO nocrc VALUES (1, 'no checksum'), (2, NULL);
UPDATE nocrc SET v = 'still none' WHERE id = 1;
FLUSH BINARY LOGS;
INSERT INTO nocrc VALUES (3, 'second file');
SET GLOBAL binlog_checksum = CRC32;
INSERT INTO nocrc VALUES (4, 'crc again');
DELETE FROM nocrc WHERE id = 2;
"""),

    ("DDL", """
ALTER TABLE nocrc ADD COLUMN extra INT DEFAULT 5, ADD INDEX (v);
INSERT INTO nocrc (id, v) VALUES (5, 'after alter');
RENAME TABLE nocrc TO renamed;
TRUNCATE TABLE renamed;
CREATE TABLE copied AS SELECT id, ti, bu FROM ints WHERE id < 5;
CREATE VIEW v_ints AS SELECT id, ti FROM ints;
CREATE PROCEDURE p_noop() SELECT 1;
CREATE INDEX ix_d ON dates (d);
DROP VIEW v_ints;
DROP PROCEDURE p_noop;
DROP TABLE renamed;
-- two-phase ALTER: START ALTER, then COMMIT ALTER (or ROLLBACK ALTER when it fails)
CREATE TABLE dups (id INT PRIMARY KEY, a INT);
INSERT INTO dups VALUES (1, 1), (2, 1);
DELIMITER //
CREATE PROCEDURE failing_alter()
BEGIN
  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
  ALTER TABLE dups ADD UNIQUE INDEX (a);
END //
DELIMITER ;
SET SESSION binlog_alter_two_phase = ON;
ALTER TABLE dups ADD COLUMN b INT DEFAULT 5,
  ADD INDEX (a);
CALL failing_alter();
SET SESSION binlog_alter_two_phase = OFF;
/* a multi-line statement
   with a comment */ CREATE TABLE multi_line (
  id INT PRIMARY KEY,
  note VARCHAR(30) DEFAULT 'it''s'
);
"""),

    ("XA transactions: two-phase commit, rollback after prepare, one phase", """
CREATE TABLE xa_t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
XA START 'xa1';
INSERT INTO xa_t VALUES (1, 'two phase');
UPDATE ints SET ii = 11 WHERE id = 1;
XA END 'xa1';
XA PREPARE 'xa1';
XA COMMIT 'xa1';
XA START 'xa2', 'branch', 7;
INSERT INTO xa_t VALUES (2, 'rolled back');
XA END 'xa2', 'branch', 7;
XA PREPARE 'xa2', 'branch', 7;
XA ROLLBACK 'xa2', 'branch', 7;
XA START 'xa3';
INSERT INTO xa_t VALUES (3, 'one phase');
XA END 'xa3';
XA COMMIT 'xa3' ONE PHASE;
"""),

    ("triggers and multi-table statements: several tables in one statement", """
CREATE TABLE trig_log (id INT, v VARCHAR(20), n INT);
CREATE TRIGGER xa_t_ins AFTER INSERT ON xa_t FOR EACH ROW INSERT INTO trig_log VALUES (NEW.id, NEW.v, 1);
INSERT INTO xa_t VALUES (10, 'trigger'), (11, 'trigger 2');
UPDATE ints JOIN reals ON ints.id = reals.id SET ints.si = 99, reals.d = 9.5 WHERE ints.id IN (1, 2);
DELETE ints, decs FROM ints JOIN decs ON ints.id = decs.id WHERE ints.id = 6;
XA START X'00ff', X'80', 0;
INSERT INTO xa_t VALUES (12, 'binary xid');
XA END X'00ff', X'80', 0;
XA PREPARE X'00ff', X'80', 0;
XA COMMIT X'00ff', X'80', 0;
"""),

    ("temporary tables (ROW format: not logged)", """
CREATE TEMPORARY TABLE rtmp (id INT, v VARCHAR(10));
INSERT INTO rtmp VALUES (100, 'from tmp');
INSERT INTO xa_t SELECT * FROM rtmp;
DROP TEMPORARY TABLE rtmp;
"""),

    ("statement format: user variables, RAND, LAST_INSERT_ID, INSERT_ID, NOW(6), temporary tables", r"""
SET SESSION binlog_format = 'STATEMENT';
CREATE TABLE sbr (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(120), r DOUBLE, ts DATETIME(6));
SET @s = 'user ''var'' ü😀', @i = -42, @u = CAST(18446744073709551615 AS UNSIGNED),
    @r = 1.5e10, @dec = 123.456, @n = NULL, @bin = x'00ff', @e = '', @w = _utf16 'wide',
    @l1 = _latin1 x'e9', @neg = -0.000001, @big = REPEAT('x', 3000), @tiny = 1e-300;
INSERT INTO sbr (v) VALUES (@s);
INSERT INTO sbr (v, r) VALUES (CONCAT(@i, ' ', @u, ' ', @dec, ' ', IFNULL(@n, 'null'), HEX(@bin)), @r);
INSERT INTO sbr (v, r) VALUES (CONCAT(@e, HEX(@w), HEX(@l1), @neg, LENGTH(@big)), @tiny);
INSERT INTO sbr (v, r) VALUES ('rand', RAND());
INSERT INTO sbr (v) VALUES ('first');
INSERT INTO sbr (v) VALUES (CONCAT('after ', LAST_INSERT_ID()));
INSERT INTO sbr (v, ts) VALUES ('now', NOW(6));
SET TIMESTAMP = 1700000000.123456;
INSERT INTO sbr (v, ts) VALUES ('fixed now', NOW(6));
SET TIMESTAMP = DEFAULT;
CREATE TEMPORARY TABLE tmp (id INT, v VARCHAR(10));
INSERT INTO tmp VALUES (1, 'tmp');
INSERT INTO sbr (v) SELECT v FROM tmp;
DROP TEMPORARY TABLE tmp;
UPDATE sbr SET v = CONCAT(v, '.') WHERE id > 2;
DELETE FROM sbr WHERE id = 1;
INSERT INTO sbr (v) VALUES ('tab	and
newline'), ('back\\slash \'quote\'');
SET SESSION binlog_format = 'ROW';
"""),

    ("statement format: error codes, session settings, long statements, LOAD DATA", r"""
CREATE TABLE mi_err (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
DELIMITER //
CREATE PROCEDURE dup_insert()
BEGIN
  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
  INSERT INTO mi_err VALUES (10, 'first'), (10, 'dup');
END //
DELIMITER ;
CREATE TABLE ld (id INT PRIMARY KEY, v VARCHAR(30));
CREATE TABLE sbr_text (id INT AUTO_INCREMENT PRIMARY KEY, t MEDIUMTEXT, d VARCHAR(40));
SET SESSION binlog_format = 'STATEMENT';
-- the MyISAM insert fails half-way: logged with error_code 1062
CALL dup_insert();
SET SESSION auto_increment_increment = 5, auto_increment_offset = 3;
INSERT INTO sbr_text (t) VALUES ('auto_increment 5/3'), ('second');
SET SESSION auto_increment_increment = DEFAULT, auto_increment_offset = DEFAULT;
SET SESSION lc_time_names = 'de_DE';
INSERT INTO sbr_text (t, d) VALUES ('lc_time_names', DATE_FORMAT('2024-01-01', '%W %M'));
SET SESSION lc_time_names = DEFAULT;
SET SESSION time_zone = '+05:30';
INSERT INTO sbr_text (t, d) VALUES ('time_zone', NOW());
SET SESSION time_zone = '+00:00';
SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES';
INSERT INTO sbr_text (t) VALUES ('sql_mode ' || 'ansi, no \ escapes');
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';
CREATE DATABASE decoder_l1 CHARACTER SET latin1;
USE decoder_l1;
INSERT INTO decoder.sbr_text (t) VALUES ('collation_database latin1');
-- dropping the current database leaves the session without one: statements with an empty db
DROP DATABASE decoder_l1;
INSERT INTO decoder.sbr_text (t) VALUES ('no default database');
USE decoder;
INSERT INTO sbr_text (t) VALUES (CONCAT('a long statement: ', '@@LONG_TEXT@@'));
LOAD DATA LOCAL INFILE '@@LOAD_FILE@@' INTO TABLE ld FIELDS TERMINATED BY ',';
LOAD DATA LOCAL INFILE '@@LOAD_FILE@@' REPLACE INTO TABLE ld FIELDS TERMINATED BY ',' (id, @x)
  SET v = UPPER(@x);
LOAD DATA LOCAL INFILE '@@LOAD_FILE@@' IGNORE INTO TABLE ld FIELDS TERMINATED BY ',';
SET SESSION binlog_format = 'ROW';
-- in ROW format the same load is plain rows events
LOAD DATA LOCAL INFILE '@@LOAD_FILE@@' REPLACE INTO TABLE ld FIELDS TERMINATED BY ',' (id, @x)
  SET v = LOWER(@x);
"""),

    ("transactions: ROLLBACK on a MyISAM + InnoDB mix, savepoints", """
CREATE TABLE mi (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
CREATE TABLE inn (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
BEGIN;
INSERT INTO inn VALUES (1, 'rolled');
INSERT INTO mi VALUES (1, 'kept');
ROLLBACK;
BEGIN;
INSERT INTO mi VALUES (2, 'mixed');
INSERT INTO inn VALUES (2, 'mixed');
COMMIT;
BEGIN;
INSERT INTO inn VALUES (3, 'sp');
SAVEPOINT sp1;
INSERT INTO inn VALUES (4, 'undone');
ROLLBACK TO SAVEPOINT sp1;
COMMIT;
SET SESSION binlog_format = 'STATEMENT';
BEGIN;
INSERT INTO inn VALUES (5, 'sbr');
INSERT INTO mi VALUES (5, 'sbr');
ROLLBACK;
SET SESSION binlog_format = 'ROW';
BEGIN;
INSERT INTO inn VALUES (6, 'plain');
ROLLBACK;
"""),

    ("final transaction (the last file ends with it)", """
INSERT INTO ints VALUES (100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
"""),
]


# After SECTIONS the test restarts the server (the binlog gets a STOP event, the next file a GTID list
# of the earlier transactions), runs AFTER_RESTART, then GROUP_COMMIT: each statement from its own
# client at the same time, so that the server commits them as one group (GTIDs with a commit id).
AFTER_RESTART = [
    ("after a restart", f"""
USE {DB};
INSERT INTO ints VALUES (300, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
SET GLOBAL binlog_commit_wait_count = 2;
SET GLOBAL binlog_commit_wait_usec = 10000000;
"""),
]
GROUP_COMMIT = [f"INSERT INTO {DB}.inn VALUES (100, 'group a')",
                f"INSERT INTO {DB}.inn VALUES (101, 'group b')"]
GROUP_COMMIT_RESET = "SET GLOBAL binlog_commit_wait_count = 0; SET GLOBAL binlog_commit_wait_usec = 100000"

LONG_TEXT = "".join(f"{i:05d} " for i in range(12000))  # 72 000 bytes of statement text


def script(sections=None, load_file="/nonexistent"):
    """A list of sections as one SQL script, each introduced by a comment; @@LOAD_FILE@@ in the
    statements stands for the path of the LOAD DATA file (load_data_csv())."""
    parts = []
    for title, sql in SECTIONS if sections is None else sections:
        sql = sql.replace("@@LOAD_FILE@@", load_file).replace("@@LONG_TEXT@@", LONG_TEXT)
        parts.append(f"-- ---- {title}\n{sql.strip()}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(script())
    print("-- ---- (restart)")
    print(script(AFTER_RESTART))
    print("-- ---- (concurrently, one client each)\n" + ";\n".join(GROUP_COMMIT) + ";")
    print(GROUP_COMMIT_RESET + ";")
