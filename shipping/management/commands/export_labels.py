"""`manage.py export_labels --carrier yamato|sagawa|japanpost --out FILE [--order ID ...]`: the carrier's label CSV
(送り状データ) of the orders waiting for shipment."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shipping.labels import labels_export
from shipping.labels.history import orders_exported_before
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
        with (
            transaction.atomic()
        ):  # no export is recorded (nor shown in timelines) when its file is not written
            result = labels_export(carrier=carrier, actor=actor, order_ids=order_ids)
            try:
                out.write_bytes(result.content)
            except OSError as exc:
                raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        for report in result.exported:
            for change in [*map(str, report.replacements), *report.notices]:
                self.stdout.write(f"{report.external_id} ({report.customer_ref}): {change}")
        for report in result.skipped:
            for problem in report.problems:
                self.stderr.write(f"{report.external_id or report.order_id}: {problem}")
        self.stdout.write(
            f"{carrier}: {_count(result.label_count, 'label')} for {_count(len(result.exported), 'order')} "
            f"written to {out}"
        )
        again = orders_exported_before(result.record) if result.record else set()
        if again:
            self.stderr.write(
                f"{_count(len(again), 'order')} of this file had labels exported before: print only the labels "
                "that are missing, or a parcel gets two (order ids: "
                + ", ".join(map(str, sorted(again)[:20]))
                + (", …)" if len(again) > 20 else ")")
            )
        if result.skipped:
            raise CommandError(
                f"{_count(len(result.skipped), 'order')} left out; fix {'it' if len(result.skipped) == 1 else 'them'} "
                "and export again"
            )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
