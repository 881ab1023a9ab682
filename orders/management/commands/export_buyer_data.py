"""`export_buyer_data --email ADDRESS [--output FILE]`: everything the OMS holds about a buyer as JSON (APPI 開示)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from orders.models import Order
from orders.privacy import order_personal_data_export


class Command(BaseCommand):
    help = "Export every order, address, mail and event the OMS holds about one buyer, as JSON (APPI 開示)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--email", help="the buyer's e-mail address")
        target.add_argument("--order", help="one of the buyer's shop order numbers")
        parser.add_argument(
            "--output", help="write to this file (it holds personal data: hand it over, delete it)"
        )

    def handle(self, *args, email=None, order=None, output=None, **options):
        found = None
        if order:
            matches = list(Order.objects.filter(external_id=order)[:2])
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches) or 'no'} orders numbered {order!r}; give the e-mail address"
                )
            found = matches[0]
        data = order_personal_data_export(order=found, email=email)
        if not data["orders"]:
            raise CommandError("no order of this buyer")
        text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            self.stderr.write(f"{len(data['orders'])} order(s) written to {output}")
        else:
            self.stdout.write(text)
