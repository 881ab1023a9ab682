"""Poll a channel's buyer inquiries (問い合わせ) into the inbox, like orders: cursor, lease, quarantine.

The "inquiries" cursor moves only once every page is imported, so a poll that fails part way (a fault that
outlasted the client's retries, a dead worker) loses nothing: the next one reads the window again, and the
import is idempotent on (channel, thread id) and on each message's id. A thread whose payload cannot be
parsed is kept in the channel's quarantine as "inquiry:<id>" with its error; the poll goes on.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from channels.adapters.base import AdapterError, AuthError, PayloadError
from channels.adapters.inquiries import RawInquiry, inquiry_adapter_for
from channels.models import Channel, SyncCursor
from channels.services import channel_record_failure, quarantine_add, quarantine_resolve
from channels.sync import Lease
from notifications.inquiry_services import inquiry_import, inquiry_link_orders

logger = logging.getLogger(__name__)

FEED = "inquiries"
QUARANTINE_PREFIX = "inquiry:"
IMPORT_ERRORS = (PayloadError, ValueError, KeyError, TypeError, IntegrityError)


@dataclass
class InquiryPollResult:
    channel: str
    skipped: bool = False
    fetched: int = 0
    threads_created: int = 0
    messages_added: int = 0
    quarantined: int = 0
    linked: int = 0
    error: str = ""


def quarantine_key(external_id: str) -> str:
    return (QUARANTINE_PREFIX + external_id)[:128]


def inquiries_poll(*, channel: Channel) -> InquiryPollResult:
    """Fetch the threads with messages since the cursor (with overlap) and import each one."""
    result = InquiryPollResult(channel=channel.name)
    lease = Lease(f"inquiries:{channel.pk}", seconds=120)
    with lease as held:
        if not held:
            result.skipped = True
            return result
        cursor, _created = SyncCursor.objects.get_or_create(channel=channel, feed=FEED)
        until = timezone.now()
        start = cursor.position or until - timedelta(hours=settings.OMS_POLL_INITIAL_LOOKBACK_HOURS)
        since = start - timedelta(seconds=settings.OMS_POLL_OVERLAP_SECONDS)
        adapter = inquiry_adapter_for(channel)
        try:
            for page in adapter.fetch_inquiries(since=since, until=until):
                lease.renew()
                imported = [raw.external_id for raw in page if _import_one(channel, adapter, raw, result)]
                quarantine_resolve(channel=channel, external_ids=[quarantine_key(i) for i in imported])
        except AuthError as exc:
            result.error = f"auth: {exc}"
            channel_record_failure(channel=channel, error=f"inquiries: {result.error}", auth=True)
            return result
        except AdapterError as exc:
            result.error = str(exc)
            channel_record_failure(channel=channel, error=f"inquiries: {exc}", auth=False)
            return result
        SyncCursor.objects.filter(pk=cursor.pk).update(position=until)
        result.linked = inquiry_link_orders(channel=channel)
    logger.info(
        "inquiries of %s: fetched=%d new threads=%d new messages=%d quarantined=%d",
        channel.name, result.fetched, result.threads_created, result.messages_added, result.quarantined,
    )  # fmt: skip
    return result


def _import_one(channel: Channel, adapter, raw: RawInquiry, result: InquiryPollResult) -> bool:
    """Parse and import one thread (its own transaction); quarantine it when that fails. True if imported."""
    result.fetched += 1
    try:
        outcome = inquiry_import(channel=channel, canonical=adapter.parse_inquiry(raw))
    except IMPORT_ERRORS as exc:
        quarantine_add(channel=channel, external_id=quarantine_key(raw.external_id), payload=raw.payload,
                       error=str(exc))  # fmt: skip
        result.quarantined += 1
        logger.warning("quarantined inquiry %s of %s: %s", raw.external_id, channel.name, exc)
        return False
    result.threads_created += outcome.created
    result.messages_added += outcome.new_messages
    return True


def inquiry_quarantine_retry(*, row) -> bool:
    """Parse and import a quarantined inquiry payload again (after a fix). True when it imported."""
    adapter = inquiry_adapter_for(row.channel)
    external_id = row.external_id.removeprefix(QUARANTINE_PREFIX)
    try:
        inquiry_import(
            channel=row.channel, canonical=adapter.parse_inquiry(RawInquiry(external_id, row.payload))
        )
    except IMPORT_ERRORS as exc:
        quarantine_add(channel=row.channel, external_id=row.external_id, payload=row.payload, error=str(exc))
        return False
    quarantine_resolve(channel=row.channel, external_ids=[row.external_id])
    return True
