"""`create_api_key --name NAME --scopes orders:read,stock:read`: make an API key and print it once (last word)."""

from django.core.management.base import BaseCommand, CommandError

from oms.api.keys import ApiKeyRefused, api_key_create, scopes_parse
from oms.models import Scope


class Command(BaseCommand):
    help = "Create an API key for an integration. The key is printed once, as the last word; only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who uses the key, e.g. 'acme-3pl'.")
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated, from: {', '.join(Scope.values)}."
        )

    def handle(self, *args, name: str, scopes: str, **options):
        try:
            api_key, raw_key = api_key_create(
                name=name, scopes=scopes_parse(scopes), actor="command:create_api_key"
            )
        except ApiKeyRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created API key {api_key.name!r} (prefix {api_key.prefix}) with scopes "
            f"{', '.join(api_key.scopes)}.\n"
            "Store it now: it is not shown again and only its hash is kept.\n"
            f"{raw_key}"
        )
