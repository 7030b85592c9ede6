#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh: the database into an EMPTY PostgreSQL database
# (pg_restore; it stops at the first error, e.g. when tables already exist) and the blob
# objects into the bucket (created when missing; existing objects of the same key are
# overwritten), then checks that every object of the backup is in the bucket.
#
#   createdb unhostedstore_restored          # or an empty database of a new server
#   deploy/restore.sh /var/backups/unhostedstore-2026-11-25
#
# Same environment as backup.sh (PG* or ConnectionStrings__Postgres, PG_RESTORE instead of
# PG_DUMP, Blobs__S3__* or S3_*; DATA_DIR to put keys/ back). Start the server (same version
# as the backup, or newer: it migrates on start) on the restored database and bucket, then run
# `reconcile` to confirm metadata and blobs agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=${1:?usage: restore.sh <backup folder or file.tar.gz>}
PY=${PYTHON:-python3}

if [[ -f $source && $source == *.tar.gz ]]; then
  unpacked=$(mktemp -d "${TMPDIR:-/tmp}/unhostedstore-restore.XXXXXX")
  trap 'rm -rf "$unpacked"' EXIT
  tar -xzf "$source" -C "$unpacked"
  source=$unpacked
fi
for f in database.dump objects.tsv; do
  [[ -f $source/$f ]] || { echo "restore.sh: $source/$f is missing: not a backup of backup.sh" >&2; exit 1; }
done

eval "$("$PY" "$here/pgenv.py")"
if [[ -z ${PG_RESTORE:-} && -z ${PGDATABASE:-} ]]; then
  echo "restore.sh: name the target database (PGDATABASE or ConnectionStrings__Postgres)" >&2
  exit 1
fi

echo "restore.sh: restoring the database"
${PG_RESTORE:-pg_restore} --exit-on-error --no-owner --no-privileges --single-transaction \
  ${PGDATABASE:+--dbname="$PGDATABASE"} <"$source/database.dump"

echo "restore.sh: restoring the bucket"
"$PY" "$here/s3sync.py" make-bucket
if [[ -d $source/objects ]]; then
  "$PY" "$here/s3sync.py" upload "$source/objects"
fi
"$PY" "$here/s3sync.py" verify "$source/objects.tsv"

if [[ -n ${DATA_DIR:-} && -d $source/keys ]]; then
  mkdir -p "$DATA_DIR"
  cp -a "$source/keys/." "$DATA_DIR/keys/" 2>/dev/null || { mkdir -p "$DATA_DIR/keys" && cp -a "$source/keys/." "$DATA_DIR/keys/"; }
fi
echo "restore.sh: restored from $source"
