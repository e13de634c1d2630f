"""Writes a notebook makes outside its folder: to a database, a web service, a bucket.

The generated tests run the whole pipeline; a pipeline that replaces a database table would
replace it from ``pytest`` as soon as its credentials are set. These writes are found from the
calls alone (never by running anything), so the tests can ask before they run them.
"""

from __future__ import annotations

import ast
import re

from nb2prod.analysis.astutil import dotted_parts
from nb2prod.notebook.model import Notebook

# methods that change a database, a service or a bucket whatever their arguments
_WRITING_METHODS = frozenset({
    "to_sql", "to_gbq", "executemany", "executescript", "commit", "insert_one", "insert_many",
    "update_one", "update_many", "replace_one", "delete_one", "delete_many", "bulk_write",
    "upload_file", "upload_fileobj", "put_object", "delete_object", "delete_objects",
    "upload_blob", "upload_from_filename", "upload_from_string", "load_table_from_dataframe",
    "insert_rows", "insert_rows_json", "put_item", "batch_write_item", "send_message",
})
_HTTP_WRITES = frozenset({"post", "put", "patch", "delete"})
_HTTP_CLIENTS = frozenset({"requests", "httpx", "session"})
# SQL that changes data or schema (a SELECT only reads)
_WRITING_SQL = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|REPLACE|MERGE|"
                          r"GRANT|REVOKE|UPSERT|COPY)\b", re.IGNORECASE)


def external_writes(notebook: Notebook) -> tuple[str, ...]:
    """Each call that writes outside the notebook's folder, as ``df.to_sql() (cell 7, line 2)``."""
    found = []
    for cell in notebook.code_cells:
        if cell.tree is None:
            continue
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Call) and _writes(node):
                name = ".".join(reversed(dotted_parts(node.func))) or "a call"
                found.append(f"{name}() (cell {cell.index}, line "
                             f"{cell.original_line(node.lineno)})")
    return tuple(dict.fromkeys(found))


def _writes(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    method = func.attr
    if method in _WRITING_METHODS:
        return True
    if method in _HTTP_WRITES:
        root = dotted_parts(func.value)
        return bool(root) and root[-1] in _HTTP_CLIENTS
    if method == "execute" and call.args:  # cursor.execute("INSERT ..."), or SQL built elsewhere
        sql = call.args[0]
        if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
            return bool(_WRITING_SQL.match(sql.value))
        return isinstance(sql, ast.JoinedStr) and bool(
            sql.values and isinstance(sql.values[0], ast.Constant)
            and _WRITING_SQL.match(str(sql.values[0].value)))
    return False
