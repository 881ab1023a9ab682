"""`manage.py poll_channels [--channel NAME] [--once]`: poll shops for orders now (what beat runs)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from channels.models import Channel
from channels.sync import channel_poll


class Command(BaseCommand):
    help = "Poll enabled channels for new and changed orders. Without --once, keeps polling on each interval."

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="only this channel (its name)")
        parser.add_argument("--once", action="store_true", help="poll each channel once and exit")

    def _channels(self, name):
        channels = Channel.objects.filter(enabled=True)
        if name:
            channels = Channel.objects.filter(name=name)
            if not channels.exists():
                raise CommandError(f"no channel named {name!r}")
        return list(channels)

    def _poll(self, channel) -> None:
        result = channel_poll(channel=channel)
        if result.skipped:
            self.stdout.write(f"{channel.name}: another worker is polling it; skipped")
        elif result.error:
            self.stderr.write(f"{channel.name}: {result.error}")
        else:
            self.stdout.write(
                f"{channel.name}: {result.fetched} fetched, {result.created} new, {result.updated} updated, "
                f"{result.quarantined} quarantined"
            )

    def handle(self, *args, channel=None, once=False, **options):
        channels = self._channels(channel)
        if once:
            for item in channels:
                self._poll(item)
            return
        due = dict.fromkeys((c.pk for c in channels), timezone.now())
        while True:
            for item in channels:
                if timezone.now() >= due[item.pk]:
                    self._poll(item)
                    due[item.pk] = timezone.now() + timedelta(seconds=item.poll_interval_seconds)
            time.sleep(1)
