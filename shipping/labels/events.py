"""The audit trail of a label export: a `labels_exported` event per exported order, written in one statement.

`exported` holds shipping.labels.OrderLabels reports (order_id, customer_ref, labels, replacements, notices).
"""

import json

from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from orders.models import OrderEvent

EVENT_KIND = "labels_exported"


def labels_exported_record(exported: list, *, layout_name: str, carrier: str, actor: str) -> None:
    """A `labels_exported` event per order, in one INSERT … SELECT FROM unnest: an export can hold thousands
    of orders, and building that many model instances took longer than writing the file."""
    if not exported:
        return
    if connection.vendor != "postgresql":
        _record_portable(exported, layout_name=layout_name, carrier=carrier, actor=actor)
        return
    statement = sql.SQL(
        """
        INSERT INTO {table} (order_id, kind, actor, message, after, created_at)
        SELECT item.order_id, %s, %s, %s || item.labels || '件（お客様管理番号 ' || item.ref || '）',
               jsonb_build_object('carrier', %s::text, 'customer_ref', item.ref, 'labels', item.labels)
               || item.extra::jsonb,
               %s
        FROM unnest(%s::bigint[], %s::text[], %s::integer[], %s::text[]) AS item(order_id, ref, labels, extra)
        """
    ).format(table=sql.Identifier(OrderEvent._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                EVENT_KIND,
                actor,
                f"{layout_name} 送り状データ ",
                carrier,
                timezone.now(),
                [report.order_id for report in exported],
                [report.customer_ref for report in exported],
                [report.labels for report in exported],
                [_event_extra(report) for report in exported],
            ],
        )


def _record_portable(exported: list, *, layout_name: str, carrier: str, actor: str) -> None:
    """The same events for the embedded SQLite database (make run's default), which has no unnest."""
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=report.order_id,
            kind=EVENT_KIND,
            actor=actor,
            message=f"{layout_name} 送り状データ {report.labels}件（お客様管理番号 {report.customer_ref}）",
            after={
                "carrier": carrier,
                "customer_ref": report.customer_ref,
                "labels": report.labels,
                **json.loads(_event_extra(report)),
            },
        )
        for report in exported
    )


def _event_extra(report) -> str:
    """The event's JSON beyond carrier, ref and label count: what was replaced or shortened, if anything."""
    if not report.replacements and not report.notices:
        return "{}"
    extra: dict[str, list[str]] = {}
    if report.replacements:
        extra["replacements"] = [str(item) for item in report.replacements]
    if report.notices:
        extra["notices"] = report.notices
    return json.dumps(extra, ensure_ascii=False)
