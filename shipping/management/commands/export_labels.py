"""`manage.py export_labels --carrier yamato|sagawa|japanpost --out FILE [--order ID ...]`: the carrier's label CSV
(送り状データ) of the orders waiting for shipment."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shipping.labels import labels_export
from shipping.models import Carrier


class Command(BaseCommand):
    help = (
        "Write the label CSV (Yamato B2クラウド, Sagawa e飛伝 or ゆうプリR; Shift_JIS, CRLF) of the 印刷待ち and "
        "印刷済み orders that ship with the carrier. Exits non-zero when an order had to be left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--carrier", required=True, choices=Carrier.Code.values)
        parser.add_argument("--out", required=True, type=Path, help="where to write the CSV")
        parser.add_argument(
            "--order", dest="order_ids", type=int, action="append", help="only this order id (repeatable)"
        )
        parser.add_argument(
            "--actor", default="system", help="recorded with the export (the orders' timelines)"
        )

    def handle(self, *args, carrier, out, order_ids=None, actor="system", **options):
        result = labels_export(carrier=carrier, actor=actor, order_ids=order_ids)
        out.write_bytes(result.content)
        for report in result.exported:
            for change in [*map(str, report.replacements), *report.notices]:
                self.stdout.write(f"{report.external_id} ({report.customer_ref}): {change}")
        for report in result.skipped:
            for problem in report.problems:
                self.stderr.write(f"{report.external_id or report.order_id}: {problem}")
        self.stdout.write(
            f"{carrier}: {result.label_count} labels for {len(result.exported)} orders written to {out}"
        )
        if result.skipped:
            raise CommandError(f"{len(result.skipped)} orders were left out; fix them and export them again")
