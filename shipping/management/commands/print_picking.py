"""`manage.py print_picking --out FILE [--slips FILE] [--channel NAME] [--carrier CODE] [--date YYYY-MM-DD]`:
gather the ready orders into a picking batch and write its picking list (and the orders' 納品書) as PDF."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from channels.models import Channel
from shipping.models import Carrier
from shipping.pdf.packing_slip import packing_slip_pdf
from shipping.pdf.picking_list import picking_list_pdf
from shipping.picking import PickingRefused, picking_batch_create


class Command(BaseCommand):
    help = "Create a picking batch of the ready (印刷待ち) orders and write its picking list PDF."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="where to write the picking list PDF")
        parser.add_argument("--slips", type=Path, help="also write the batch's packing slips (納品書) here")
        parser.add_argument("--channel", help="only this channel's orders (its name)")
        parser.add_argument("--carrier", choices=Carrier.Code.values, help="only orders for this carrier")
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="only this wished delivery date")
        parser.add_argument("--actor", default="system", help="recorded on the batch and the orders' events")

    def handle(
        self, *args, out, slips=None, channel=None, carrier=None, date=None, actor="system", **options
    ):
        shop = None
        if channel:
            shop = Channel.objects.filter(name=channel).first()
            if shop is None:
                raise CommandError(f"no channel named {channel!r}")
        try:
            batch = picking_batch_create(actor=actor, channel=shop, carrier=carrier, delivery_date=date)
        except PickingRefused as refused:
            raise CommandError(str(refused)) from None
        out.write_bytes(picking_list_pdf(batch))
        orders = batch.orders.order_by("pk")
        self.stdout.write(f"batch #{batch.pk}: {orders.count()} orders, picking list written to {out}")
        if slips:
            slips.write_bytes(packing_slip_pdf(orders))
            self.stdout.write(f"packing slips written to {slips}")
