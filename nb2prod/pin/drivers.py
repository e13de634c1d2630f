"""Database drivers a notebook needs without importing them.

``create_engine("mysql://...")`` makes SQLAlchemy import ``MySQLdb`` at run time; no import
statement names it, so an import scan (pipreqs, pigar) misses the dependency and the pipeline
dies on a fresh machine. The URL's scheme says which driver: SQLAlchemy's dialect and driver
names, with SQLAlchemy's default driver when the URL names none. Read from string literals and
``%sql`` magics, never by running anything.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nb2prod.analysis.astutil import all_nodes
from nb2prod.notebook.model import Notebook

# (dialect, driver or "" for the dialect's default) -> the distributions SQLAlchemy needs
DRIVERS = {
    ("mysql", ""): "mysqlclient", ("mysql", "mysqldb"): "mysqlclient",
    ("mysql", "pymysql"): "PyMySQL", ("mysql", "mysqlconnector"): "mysql-connector-python",
    ("mysql", "aiomysql"): "aiomysql", ("mysql", "asyncmy"): "asyncmy",
    ("mariadb", ""): "mysqlclient", ("mariadb", "mysqldb"): "mysqlclient",
    ("mariadb", "pymysql"): "PyMySQL", ("mariadb", "mariadbconnector"): "mariadb",
    # SQLAlchemy before 2.1 loads psycopg2 for a bare postgresql:// URL, 2.1 and later psycopg 3:
    # both, so the URL works with whichever SQLAlchemy the lock picks
    ("postgresql", ""): "psycopg2-binary psycopg[binary]",
    ("postgresql", "psycopg2"): "psycopg2-binary", ("postgresql", "psycopg"): "psycopg[binary]",
    ("postgresql", "pg8000"): "pg8000", ("postgresql", "asyncpg"): "asyncpg",
    ("postgres", ""): "psycopg2-binary",
    ("mssql", ""): "pyodbc", ("mssql", "pyodbc"): "pyodbc", ("mssql", "pymssql"): "pymssql",
    ("oracle", ""): "oracledb", ("oracle", "oracledb"): "oracledb",
    ("oracle", "cx_oracle"): "cx-Oracle",
    ("snowflake", ""): "snowflake-sqlalchemy", ("bigquery", ""): "sqlalchemy-bigquery",
    ("redshift", ""): "sqlalchemy-redshift", ("redshift", "psycopg2"): "sqlalchemy-redshift",
    ("duckdb", ""): "duckdb-engine",
}
_URL = re.compile(r"(?<![\w+.:-])([a-z][a-z0-9]*)(?:\+([a-z0-9_]+))?://")


@dataclass(frozen=True)
class DriverNeed:
    """A distribution a database URL in the notebook makes SQLAlchemy load."""

    distribution: str
    extras: str  # "[binary]" or ""
    scheme: str  # as written: mysql, mysql+pymysql
    cell: int
    line: int

    def why(self) -> str:
        if self.distribution == "SQLAlchemy":
            return f"it opens the {self.scheme}:// database URL (cell {self.cell})"
        versions = ("; SQLAlchemy before 2.1 loads psycopg2, 2.1 and later psycopg 3"
                    if self.scheme == "postgresql" else "")
        return f"the driver a {self.scheme}:// database URL needs (cell {self.cell}){versions}"


def database_drivers(notebook: Notebook) -> tuple[DriverNeed, ...]:
    """Each driver distribution once, where a URL first asks for it."""
    found: dict[str, DriverNeed] = {}
    for cell in notebook.code_cells:
        for text, line in _texts(cell):
            for match in _URL.finditer(text):
                dialect, driver = match[1], match[2] or ""
                scheme = f"{dialect}+{driver}" if driver else dialect
                drivers = DRIVERS.get((dialect, driver), "").split()
                # pandas' read_sql(q, "mysql://...") opens the URL with SQLAlchemy too
                for requirement in [*drivers, "SQLAlchemy"] if drivers else []:
                    distribution, _, extras = requirement.partition("[")
                    if distribution not in found:
                        found[distribution] = DriverNeed(distribution, f"[{extras}" if extras
                                                         else "", scheme, cell.index, line)
    return tuple(found.values())


def _texts(cell):
    """The cell's string literals and ``%sql`` magic lines, with their lines in the cell."""
    for magic in cell.magics:
        if magic.name == "sql":
            yield magic.args, magic.line
    if cell.tree is None:
        return
    urls = [node for node in all_nodes(cell.tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and "://" in node.value]
    for node in sorted(urls, key=lambda n: (n.lineno, n.col_offset)):
        yield node.value, cell.original_line(node.lineno)
