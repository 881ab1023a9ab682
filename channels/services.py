"""Channel writes: push marks and records, quarantine of broken payloads, channel health and schedules."""

import json

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.models import Channel, Listing, QuarantinedPayload


def listings_mark_for_push(*, sku_ids: set[int]) -> int:
    """Flag the listings of these SKUs so the next push sends their new quantity. Returns rows marked.

    Call inside the transaction that changed stock; the push is triggered once it commits."""
    marked = Listing.objects.filter(sku_id__in=sorted(sku_ids)).update(
        needs_push=True, push_generation=F("push_generation") + 1
    )
    if marked:
        from channels.triggers import stock_push_soon

        transaction.on_commit(stock_push_soon)
    return marked


def channel_listings_mark_all_for_push(*, channel: Channel) -> int:
    """Flag every listing of the channel to be sent again, changed or not (the shop may have lost or
    altered what we told it). Returns rows marked."""
    return channel.listings.update(needs_push=True, last_pushed_quantity=None)


def listing_record_push(*, listing: Listing, quantity: int, generation: int) -> None:
    """Remember what the shop now shows, so an unchanged value is not sent again. The listing stays marked
    when its stock changed after `generation` was read: that newer value still has to go out."""
    Listing.objects.filter(pk=listing.pk).update(last_pushed_quantity=quantity, last_pushed_at=timezone.now())
    Listing.objects.filter(pk=listing.pk, push_generation=generation).update(needs_push=False)


def listing_clear_unchanged(*, listing: Listing, generation: int) -> None:
    """The shop already shows the right value: nothing to send."""
    Listing.objects.filter(pk=listing.pk, push_generation=generation).update(needs_push=False)


def channel_set_credentials(*, channel: Channel, credentials: dict) -> Channel:
    """Store new credentials (encrypted) and clear a previous credentials failure."""
    channel.credentials = credentials
    channel.healthy = True
    channel.health_error = ""
    channel.save(update_fields=["credentials_encrypted", "healthy", "health_error"])
    return channel


def channel_record_success(*, channel: Channel, polled: bool = False, pushed: bool = False) -> None:
    now = timezone.now()
    changes: dict = {"healthy": True, "health_error": ""}
    if polled:
        changes["last_polled_at"] = now
    if pushed:
        changes["last_pushed_at"] = now
    Channel.objects.filter(pk=channel.pk).update(**changes)


def channel_record_failure(*, channel: Channel, error: str, auth: bool) -> None:
    """Keep the last error for the dashboard. Only an auth failure marks the channel unhealthy: polling it
    again cannot help until someone fixes the credentials."""
    changes: dict = {"health_error": f"{timezone.now():%Y-%m-%d %H:%M:%S} {error}"[:2000]}
    if auth:
        changes["healthy"] = False
    Channel.objects.filter(pk=channel.pk).update(**changes)


def _jsonable(payload):
    try:
        json.dumps(payload)
        return payload
    except (TypeError, ValueError):
        return {"unparsed": repr(payload)[:100_000]}


def quarantine_add(*, channel: Channel, external_id: str, payload, error: str) -> QuarantinedPayload:
    """Keep a payload that failed to import, with why. The same order failing again updates its row."""
    with transaction.atomic():
        row = (
            QuarantinedPayload.objects.select_for_update()
            .filter(channel=channel, external_id=external_id, resolved_at__isnull=True)
            .first()
        )
        if row is None:
            return QuarantinedPayload.objects.create(
                channel=channel, external_id=external_id, payload=_jsonable(payload), error=error
            )
        row.payload, row.error, row.attempts = _jsonable(payload), error, row.attempts + 1
        row.save(update_fields=["payload", "error", "attempts", "updated_at"])
        return row


def quarantine_resolve(*, channel: Channel, external_ids: list[str]) -> int:
    """These orders imported after all: close their open quarantine rows, if any (one query)."""
    return QuarantinedPayload.objects.filter(
        channel=channel, external_id__in=external_ids, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def channel_schedule_sync(*, channel: Channel) -> None:
    """Keep django-celery-beat's periodic poll of this channel in step with its settings."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _created = IntervalSchedule.objects.get_or_create(
        every=channel.poll_interval_seconds, period=IntervalSchedule.SECONDS
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=f"poll channel {channel.name}",
        defaults={
            "task": "channels.tasks.poll_channel",
            "interval": interval,
            "kwargs": json.dumps({"channel_id": channel.pk}),
            "enabled": channel.enabled,
        },
    )
    if not created and (task.interval_id != interval.pk or task.enabled != channel.enabled):
        task.interval, task.enabled = interval, channel.enabled
        task.save()


def channels_reencrypt_credentials() -> int:
    """Encrypt every channel's credentials again with the newest key (OMS_ENCRYPTION_KEYS="new,old"), so
    the old key can then be removed. Returns how many channels were rewritten."""
    from channels.crypto import reencrypt

    done = 0
    for channel in Channel.objects.exclude(credentials_encrypted="").order_by("pk"):
        Channel.objects.filter(pk=channel.pk).update(
            credentials_encrypted=reencrypt(channel.credentials_encrypted)
        )
        done += 1
    return done
