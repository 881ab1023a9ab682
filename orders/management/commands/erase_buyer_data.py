"""`erase_buyer_data --email ADDRESS [--dry-run]`: anonymise a buyer's personal data on request (APPI 削除)."""

from django.core.management.base import BaseCommand, CommandError

from orders.privacy import ANONYMISED, ErasureRefused, buyer_erase, buyer_orders


class Command(BaseCommand):
    help = (
        "Anonymise a buyer's name, addresses, phone and e-mail on all their orders (APPI 削除). Refused while "
        "any of their orders is not shipped or cancelled. Order numbers, amounts and dates stay for the books."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the buyer's e-mail address")
        parser.add_argument("--dry-run", action="store_true", help="only list the orders it would change")

    def handle(self, *args, email: str, dry_run: bool = False, **options):
        orders = list(buyer_orders(email=email))
        if not orders:
            raise CommandError("no order of this buyer")
        if dry_run:
            for order in orders:
                state = "already anonymised" if order.buyer_name == ANONYMISED else order.get_status_display()
                self.stdout.write(f"{order.channel.name} {order.external_id}: {state}")
            return
        try:
            result = buyer_erase(email=email, actor="command:erase_buyer_data")
        except ErasureRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"anonymised {len(result.erased)} order(s)"
            + (f", {len(result.already)} already anonymised" if result.already else "")
            + (": " + ", ".join(result.erased) if result.erased else "")
        )
