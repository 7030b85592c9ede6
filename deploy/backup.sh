#!/usr/bin/env bash
# Backs up UnhostedStore on PostgreSQL + S3: the database (pg_dump -Fc) and every blob object of
# the bucket, into one folder (or a .tar.gz when the target ends in .tar.gz):
#   database.dump   pg_dump custom format (metadata, inline documents, accounts, grants, tokens)
#   objects/        every object under blobs/ of the bucket, one file per key
#   objects.tsv     key, size and sha256 of each object
#   keys/           DataDirectory/keys, when DATA_DIR is set (only older versions kept keys there;
#                   the signing and data-protection keys now live in the database dump)
#
#   deploy/backup.sh /var/backups/unhostedstore-$(date +%F)
#
# Environment:
#   PostgreSQL: the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or
#     ConnectionStrings__Postgres (the server's Npgsql connection string).
#   PG_DUMP: the pg_dump command (default pg_dump), e.g. for docker-compose:
#     PG_DUMP="docker compose exec -T postgres pg_dump -U unhostedstore unhostedstore"
#   S3: the server's own settings Blobs__S3__Endpoint/AccessKey/SecretKey/Bucket/Region/UseTls
#     (or S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_REGION, S3_USE_TLS).
#   DATA_DIR: the server's DataDirectory, to include its keys/ folder (optional).
#
# Consistency: blobs are immutable and the database names the ones it uses; the dump is taken
# first, then the bucket is copied. A document replaced or deleted between the two leaves its
# old blob missing from the copy (`reconcile` after a restore reports such rows). For an exact
# backup, stop writes first (e.g. `docker compose stop unhostedstore`) and start them after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: backup.sh <folder or file.tar.gz>}
PY=${PYTHON:-python3}

tarball=
if [[ $target == *.tar.gz ]]; then
  tarball=$target
  target=$(mktemp -d "${TMPDIR:-/tmp}/unhostedstore-backup.XXXXXX")
  trap 'rm -rf "$target"' EXIT
fi
if [[ -e $target/database.dump ]]; then
  echo "backup.sh: $target already holds a backup; choose a new folder" >&2
  exit 1
fi
mkdir -p "$target"

# libpq variables from the server's Npgsql connection string, when given.
eval "$("$PY" "$here/pgenv.py")"

echo "backup.sh: dumping the database"
${PG_DUMP:-pg_dump} -Fc --no-owner --no-privileges >"$target/database.dump.part"
mv "$target/database.dump.part" "$target/database.dump"

echo "backup.sh: copying the bucket"
"$PY" "$here/s3sync.py" download "$target/objects" --prefix blobs/

if [[ -n ${DATA_DIR:-} && -d $DATA_DIR/keys ]]; then
  cp -a "$DATA_DIR/keys" "$target/keys"
fi

date -u +%Y-%m-%dT%H:%M:%SZ >"$target/created"
if [[ -n $tarball ]]; then
  tar -czf "$tarball" -C "$target" .
  echo "backup.sh: backup written to $tarball"
else
  echo "backup.sh: backup written to $target"
fi
