"""`restore_database FILE TARGET_URL`: restore a backup_database file into an empty database (oms.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oms.backups import BackupRefused, database_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_database into an EMPTY database (one transaction: a failed restore "
        "leaves it empty). Then run migrate against it: a no-op for a backup of this version, an upgrade for "
        "an older one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument(
            "target",
            help="The database to restore into, as a URL: postgres://user:password@host:5432/name or "
            "sqlite:////path/to/new.sqlite3",
        )

    def handle(self, *args, file: Path, target: str, **options):
        try:
            database_restore(file, target)
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {file}")
