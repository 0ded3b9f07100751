"""Create the database named in DATABASE_URL if it does not exist (connecting to `postgres`)."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse, urlunparse

import psycopg2
from psycopg2 import sql


def main() -> int:
    url = os.environ["DATABASE_URL"]
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
