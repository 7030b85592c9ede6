#!/usr/bin/env python3
"""Prints `export PG...=...` lines (libpq variables for pg_dump/pg_restore) from the server's
Npgsql connection string in ConnectionStrings__Postgres; prints nothing when it is unset.
Used by deploy/backup.sh and deploy/restore.sh (eval "$(python3 pgenv.py)")."""
import os
import shlex

NAMES = {
    "host": "PGHOST", "server": "PGHOST", "port": "PGPORT", "database": "PGDATABASE",
    "db": "PGDATABASE", "username": "PGUSER", "user id": "PGUSER", "userid": "PGUSER",
    "user": "PGUSER", "password": "PGPASSWORD", "sslmode": "PGSSLMODE", "ssl mode": "PGSSLMODE",
}

connection = os.environ.get("ConnectionStrings__Postgres", "")
for part in connection.split(";"):
    if "=" not in part:
        continue
    key, value = part.split("=", 1)
    name = NAMES.get(key.strip().lower())
    if name:
        value = value.strip()
        if name == "PGSSLMODE":
            value = value.lower()
        print(f"export {name}={shlex.quote(value)}")
