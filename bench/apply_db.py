# SPDX-License-Identifier: GPL-2.0-or-later
# bench/apply_db.py - a minimal persistent MariaDB connection for bench/apply through libmariadb (ctypes):
# the latency probes need one query every few milliseconds, which a `mariadb` client process per query
# (harness.Node.sql) cannot do. Standard library only; text protocol; values come back as str or None.
import ctypes
import ctypes.util

_lib = None


def _load():
    global _lib
    if _lib is not None:
        return _lib
    name = ctypes.util.find_library("mariadb") or "libmariadb.so.3"
    lib = ctypes.CDLL(name)
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    lib.mysql_init.restype, lib.mysql_init.argtypes = vp, [vp]
    lib.mysql_real_connect.restype = vp
    lib.mysql_real_connect.argtypes = [vp, cp, cp, cp, cp, ctypes.c_uint, cp, ctypes.c_ulong]
    lib.mysql_query.restype, lib.mysql_query.argtypes = ctypes.c_int, [vp, cp]
    lib.mysql_store_result.restype, lib.mysql_store_result.argtypes = vp, [vp]
    lib.mysql_num_fields.restype, lib.mysql_num_fields.argtypes = ctypes.c_uint, [vp]
    lib.mysql_fetch_row.restype, lib.mysql_fetch_row.argtypes = ctypes.POINTER(cp), [vp]
    lib.mysql_free_result.restype, lib.mysql_free_result.argtypes = None, [vp]
    lib.mysql_error.restype, lib.mysql_error.argtypes = cp, [vp]
    lib.mysql_close.restype, lib.mysql_close.argtypes = None, [vp]
    _lib = lib
    return lib


class DbError(Exception):
    pass


class Conn:
    """One connection to a sandbox node (harness.Node) over its socket; autocommit as the server's default."""

    def __init__(self, node, what=""):
        self.lib = _load()
        self.what = what or node.name
        self.m = self.lib.mysql_init(None)
        if not self.m:
            raise DbError(f"{self.what}: mysql_init failed")
        ok = self.lib.mysql_real_connect(self.m, None, node.mysql_user.encode(), node.mysql_password.encode(),
                                         None, 0, node.mysql_socket.encode(), 0)
        if not ok:
            msg = self.lib.mysql_error(self.m).decode(errors="replace")
            self.lib.mysql_close(self.m)
            self.m = None
            raise DbError(f"{self.what}: connect through {node.mysql_socket}: {msg}")

    def query(self, sql):
        """Rows of sql's result (list of tuples of str/None); [] for statements without a result."""
        if self.lib.mysql_query(self.m, sql.encode()) != 0:
            raise DbError(f"{self.what}: {self.lib.mysql_error(self.m).decode(errors='replace')}\n  SQL: {sql}")
        res = self.lib.mysql_store_result(self.m)
        if not res:
            return []
        try:
            n = self.lib.mysql_num_fields(res)
            rows = []
            while True:
                row = self.lib.mysql_fetch_row(res)
                if not row:
                    return rows
                rows.append(tuple(None if row[i] is None else row[i].decode() for i in range(n)))
        finally:
            self.lib.mysql_free_result(res)

    def value(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def close(self):
        if self.m:
            self.lib.mysql_close(self.m)
            self.m = None
