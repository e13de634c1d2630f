"""Writes a notebook makes outside its folder: to a database, a web service, a bucket.

The generated tests run the whole pipeline; a pipeline that replaces a database table would
replace it from ``pytest`` as soon as its credentials are set. These writes are found from the
calls alone (never by running anything), so the tests can ask before they run them. When in
doubt (SQL the code builds, a statement read from elsewhere) a call counts as a write: a test
that skips costs less than a table overwritten.
"""

from __future__ import annotations

import ast
import re

from nb2prod.analysis.astutil import all_nodes
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
_HTTP_CLIENT = re.compile(r"^(?:requests|httpx|urllib3)$|session|client|http|api", re.IGNORECASE)
_SQL_CALLS = frozenset({"execute", "read_sql", "read_sql_query"})
# SQL that only reads: anything else (or SQL the code builds) may change data or schema
_READING_SQL = re.compile(r"^(?:SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|PRAGMA|VALUES|WITH\b(?![\s\S]*"
                          r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b))", re.IGNORECASE)
_SQL_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*[\s\S]*?\*/)+")
_REMOTE_FILE = re.compile(r"^(?:s3a?|gs|gcs|az|abfss?|adl|hdfs|wasbs?)://")
_FILE_WRITERS = re.compile(r"^(?:to_\w+|save\w*|write\w*|dump)$")
# anything but these in the notebook means a database call may reach a server
_LOCAL_DATABASES = re.compile(r"\bsqlite3\.connect\(|[\"']sqlite(?:\+\w+)?://|\bduckdb\.connect\(")
_SERVERS = re.compile(r"\b(?:psycopg2?|pymysql|MySQLdb|mysql\.connector|pyodbc|cx_Oracle|oracledb|"
                      r"snowflake|pymssql|boto3|google\.cloud|pymongo|redshift|sqlalchemy)\b|"
                      r"[\"'](?!sqlite|duckdb)\w+(?:\+\w+)?://")


def external_writes(notebook: Notebook) -> tuple[str, ...]:
    """Each call that writes outside the notebook's folder, as ``df.to_sql() (cell 7, line 2)``."""
    code = "\n".join(cell.python for cell in notebook.code_cells)
    local_only = bool(_LOCAL_DATABASES.search(code)) and not _SERVERS.search(code)
    nodes = [(cell, node) for cell in notebook.code_cells if cell.tree is not None
             for node in all_nodes(cell.tree)]
    texts: dict[str, list[str]] = {}  # name -> the strings the notebook assigns it (SQL kept apart)
    for _, node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    texts.setdefault(target.id, []).append(node.value.value)
    found = []
    for cell, node in nodes:
        if isinstance(node, ast.Call) and _writes(node, local_only, texts):
                name = ".".join(reversed(_chain(node.func))) or "a call"
                found.append(f"{name}() (cell {cell.index}, line "
                             f"{cell.original_line(node.lineno)})")
    return tuple(dict.fromkeys(found))


def _writes(call: ast.Call, local_only: bool, texts: dict[str, list[str]]) -> bool:
    """``local_only``: the notebook's only databases are SQLite or DuckDB files (or memory);
    ``texts``: the strings the notebook assigns to each name (SQL kept in a variable)."""
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if method in _WRITING_METHODS:
        return not local_only
    if method in _SQL_CALLS:
        # pd.read_sql(query, engine) with a query built elsewhere reads; cursor.execute(sql) may
        # not
        reads = _reads_only(call, texts)
        return not local_only and (not reads if reads is not None else method == "execute")
    if method == "request" and call.args:  # requests.request("POST", url)
        verb = call.args[0]
        return not (isinstance(verb, ast.Constant) and str(verb.value).upper() in {"GET", "HEAD"})
    if method == "put" and any(k.arg == "Body" for k in call.keywords):  # s3.Object(...).put
        return True
    if method in _HTTP_WRITES and isinstance(func, ast.Attribute):
        chain = _chain(func.value)  # session.post, bucket.objects.all().delete
        return (bool(chain) and bool(_HTTP_CLIENT.search(chain[-1]))) or "objects" in chain
    return bool(_FILE_WRITERS.match(method)) and any(
        isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        and _REMOTE_FILE.match(arg.value) for arg in call.args[:2])


def _chain(node: ast.AST) -> list[str]:
    """The names along an attribute and call chain, innermost last: ``a.b().c`` -> c, b, a."""
    names = []
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names


def _reads_only(call: ast.Call, texts: dict[str, list[str]]) -> bool | None:
    """Whether the SQL passed (a literal, a literal start, a variable the notebook assigns
    literals to) only reads; None when nothing shows what it is."""
    if not call.args:
        return True
    sql = call.args[0]
    if isinstance(sql, ast.BinOp) and isinstance(sql.op, ast.Mod):
        sql = sql.left  # "SELECT ... %s" % x
    elif isinstance(sql, ast.Call) and isinstance(sql.func, ast.Attribute) \
            and sql.func.attr == "format":
        sql = sql.func.value  # "SELECT ... {}".format(x)
    elif isinstance(sql, ast.Call) and sql.args and getattr(sql.func, "id", "") == "text":
        sql = sql.args[0]  # sqlalchemy.text("...")
    if isinstance(sql, ast.JoinedStr):
        sql = sql.values[0] if sql.values else sql
    if isinstance(sql, ast.Name) and sql.id in texts:
        return all(_READING_SQL.match(_SQL_COMMENTS.sub("", text)) for text in texts[sql.id])
    if not (isinstance(sql, ast.Constant) and isinstance(sql.value, str)):
        return None  # SQL built elsewhere
    return bool(_READING_SQL.match(_SQL_COMMENTS.sub("", sql.value)))
