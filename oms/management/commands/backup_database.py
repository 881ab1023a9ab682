"""`backup_database [--out FILE]`: a consistent backup of the OMS database, taken while it runs (oms.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oms.backups import BackupRefused, database_backup


class Command(BaseCommand):
    help = (
        "Back up the database: PostgreSQL with pg_dump's custom format, the embedded SQLite file with SQLite's "
        "online backup. Prints the file written. Restore with restore_database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="File to write (default: oms-<UTC time>.dump here).")

    def handle(self, *args, out: Path | None, **options):
        try:
            written = database_backup(out)
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(written))
