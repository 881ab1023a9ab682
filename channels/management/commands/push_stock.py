"""`manage.py push_stock [--channel NAME]`: send every shop the free stock of changed SKUs now."""

from django.core.management.base import BaseCommand, CommandError

from channels.models import Channel
from channels.services import channel_listings_mark_all_for_push
from channels.sync import channel_push_stock


class Command(BaseCommand):
    help = "Push the free stock of changed SKUs (minus each channel's buffer) to the shops."

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="only this channel (its name)")
        parser.add_argument("--all", action="store_true", help="re-send every listing, changed or not")

    def handle(self, *args, channel=None, all=False, **options):
        channels = Channel.objects.filter(enabled=True)
        if channel:
            channels = Channel.objects.filter(name=channel)
            if not channels.exists():
                raise CommandError(f"no channel named {channel!r}")
        failed = False
        for item in channels:
            if all:
                channel_listings_mark_all_for_push(channel=item)
            result = channel_push_stock(channel=item)
            if result.error:
                failed = True
                self.stderr.write(f"{item.name}: {result.error}")
            else:
                self.stdout.write(f"{item.name}: {result.sent} sent, {result.unchanged} unchanged")
        if failed:
            raise CommandError("some pushes failed; they stay pending and are retried")
