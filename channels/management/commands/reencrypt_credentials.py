"""`reencrypt_credentials`: after OMS_ENCRYPTION_KEYS="new,old", encrypt every channel's credentials with the
new key, so the old one can be dropped (docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from channels.crypto import CredentialsUnreadable
from channels.services import channels_reencrypt_credentials


class Command(BaseCommand):
    help = "Encrypt every channel's credentials again with the first key of OMS_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        try:
            done = channels_reencrypt_credentials()
        except CredentialsUnreadable as exc:
            raise CommandError(f"{exc}; put the old key back after the new one") from exc
        self.stdout.write(f"{done} channel(s) now encrypted with the first key; the others can be removed")
