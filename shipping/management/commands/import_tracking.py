"""`manage.py import_tracking --carrier yamato|sagawa|japanpost FILE [--apply-good-rows]`: read the carrier's
issued-data CSV (or a simple "order number, tracking number" CSV) and ship the orders with their numbers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shipping.models import Carrier
from shipping.tracking import tracking_import


class Command(BaseCommand):
    help = (
        "Import tracking numbers and ship the orders. A file with any bad row changes nothing unless "
        "--apply-good-rows is given. Exits non-zero when a row was bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("--carrier", required=True, choices=Carrier.Code.values)
        parser.add_argument(
            "file", type=Path, help="the carrier's issued-data CSV, or order number,tracking number"
        )
        parser.add_argument(
            "--apply-good-rows",
            action="store_true",
            help="ship the orders of the good rows even if others are bad",
        )
        parser.add_argument("--actor", default="system", help="recorded in the orders' events")

    def handle(self, *args, carrier, file, apply_good_rows=False, actor="system", **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        result = tracking_import(
            carrier=carrier, content=content, actor=actor, apply_good_rows=apply_good_rows
        )
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(
            f"{file} ({result.layout or 'unreadable'}): {result.rows} rows, {len(result.shipped)} orders shipped, "
            f"{result.parcels_added} parcels added, {result.already_recorded} already recorded"
        )
        if result.errors:
            if result.applied:
                raise CommandError(f"{len(result.errors)} bad rows were skipped; the good rows were applied")
            raise CommandError(
                f"{len(result.errors)} bad rows: nothing was applied; fix them or use --apply-good-rows"
            )
