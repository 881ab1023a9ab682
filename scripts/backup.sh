#!/usr/bin/env bash
# Back up the OMS database: `DATABASE_URL=postgres://… scripts/backup.sh [FILE]`.
# pg_dump's custom format (-Fc): compressed, restored table by table with pg_restore, consistent (one
# snapshot) while the OMS keeps running. Prints the file name. See docs/operations.md.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up (postgres://user:password@host:5432/name)}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh backs up PostgreSQL; for the embedded SQLite file stop the OMS and copy var/" >&2; exit 2 ;;
esac
out="${1:-oms-$(date -u +%Y%m%dT%H%M%SZ).dump}"
pg_dump --format=custom --no-owner --no-privileges --file="$out" --dbname="$DATABASE_URL"
pg_restore --list "$out" >/dev/null  # the archive reads back
echo "$out"
