#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database:
#   scripts/restore.sh FILE postgres://user:password@host:5432/new_database
# One transaction: a failed restore leaves the target empty. Then point DATABASE_URL at it and run
# `python manage.py migrate` (a no-op for a backup of the same version; it upgrades an older one).
set -euo pipefail
file="${1:?usage: restore.sh FILE TARGET_DATABASE_URL}"
target="${2:?usage: restore.sh FILE TARGET_DATABASE_URL}"
tables=$(psql --dbname="$target" -Atc "select count(*) from pg_tables where schemaname = 'public'")
if [ "$tables" != "0" ]; then
  echo "the target database has $tables tables; restore into an empty database" >&2
  exit 2
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$target" "$file"
echo "restored $file"
