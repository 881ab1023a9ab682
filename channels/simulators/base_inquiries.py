"""Buyers' questions about their orders (問い合わせ), kept in one shape for every simulated shop.

Each marketplace renders these records in its own API's shape (yahoo_talk, rakuten_inquiries, amazon_mail).
The control API shows them as the shop sees them: `POST /_sim/inquiries` asks, `GET /_sim/inquiries` and
`GET /_sim/inquiries/<id>` show the threads with every reply the shop received, and
`POST /_sim/inquiries/<id>/messages` {"body"} lets the buyer write again.

A record: {"inquiry_id", "order_id", "subject", "created", "updated", "completed", "completed_at",
"seller_read", "messages": [{"id": 1.., "from": "buyer"|"seller", "body", "at"}], **the shop's own fields}.
Simulated shoppers ask about a share of their orders (ShopperConfig.inquiry_rate). A buyer writing again
reopens a completed thread [assumed: no shop documents what a buyer may do on a completed thread].
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from channels.simulators.base_http import BadRequest, now_jst

QUESTIONS = (
    "いつ頃届きますか？",
    "お届け先の住所を変更したいのですが、まだ間に合いますか？",
    "領収書を発行していただけますか？",
    "ギフト包装をお願いできますか？",
    "注文を取り消したいのですが可能でしょうか。",
    "配達日を変更できますか？",
)


class InquiryStore:
    """Mixin for Simulator (which sets `inquiries`, `inquiry_rng`, `lock`, `orders` and `shoppers`).

    Handlers and control calls run while holding `self.lock`."""

    kind: str
    inquiries: dict[str, dict]
    inquiry_rng: random.Random
    orders: dict[str, Any]

    # ---- hooks for the marketplaces ----------------------------------------------------------------------
    def new_inquiry_id(self, order_id: str, now: datetime) -> str:
        return f"{self.kind}-inq-{len(self.inquiries) + 1:06d}"

    def inquiry_subject(self, order_id: str) -> str:
        return "ご注文について"

    def inquiry_extras(self, order_id: str) -> dict:
        """The shop's own fields of a new thread (buyer's masked id, item, category, ...)."""
        return {}

    def on_buyer_message(self, record: dict, message: dict) -> None:
        """Called for every buyer message (the first one too): Amazon mails it to the seller."""

    def inquiry_view_extras(self, record: dict) -> dict:
        return {}

    # ---- the store ------------------------------------------------------------------------------------------
    def ask_inquiry(self, order_id: str, body: str, *, subject: str | None = None) -> str:
        """A buyer asks about one of their orders; returns the shop's id of the new thread."""
        with self.lock:
            now = now_jst().replace(microsecond=0)
            inquiry_id = self.new_inquiry_id(order_id, now)
            record = {
                "inquiry_id": inquiry_id,
                "order_id": order_id,
                "subject": subject or self.inquiry_subject(order_id),
                "created": now,
                "updated": now,
                "completed": False,
                "completed_at": None,
                "seller_read": False,
                "messages": [],
                **self.inquiry_extras(order_id),
            }
            self.inquiries[inquiry_id] = record
            self.buyer_writes(inquiry_id, body, at=now)
            return inquiry_id

    def buyer_writes(self, inquiry_id: str, body: str, *, at: datetime | None = None) -> dict:
        with self.lock:
            record = self.inquiries[inquiry_id]
            message = self._append(record, "buyer", body, at)
            record.update(completed=False, completed_at=None, seller_read=False)
            self.on_buyer_message(record, message)
            return message

    def seller_writes(self, inquiry_id: str, body: str, **extra: Any) -> dict:
        """A reply the shop accepted from the seller (through its API or its relay)."""
        with self.lock:
            record = self.inquiries[inquiry_id]
            record["seller_read"] = True
            return self._append(record, "seller", body, None, **extra)

    def complete_inquiry(self, inquiry_id: str) -> bool:
        """Mark the thread done; False when it already was."""
        with self.lock:
            record = self.inquiries[inquiry_id]
            if record["completed"]:
                return False
            record["completed"] = True
            record["completed_at"] = record["updated"] = now_jst().replace(microsecond=0)
            return True

    def inquiry_view(self, inquiry_id: str) -> dict:
        """The thread as the shop shows it, for tests and demos (GET /_sim/inquiries/<id>)."""
        with self.lock:
            record = self.inquiries[inquiry_id]
            messages = [
                {"id": m["id"], "from": m["from"], "body": m["body"], "at": m["at"].isoformat()}
                for m in record["messages"]
            ]
            return {
                "inquiry_id": inquiry_id,
                "order_id": record["order_id"],
                "subject": record["subject"],
                "status": "completed" if record["completed"] else "open",
                "messages": messages,
                "replies": [m["body"] for m in record["messages"] if m["from"] == "seller"],
                **self.inquiry_view_extras(record),
            }

    def maybe_ask_about(self, order_id: str, rate: float) -> str | None:
        """A shopper asks about the order they just placed, with probability `rate`."""
        if rate <= 0 or self.inquiry_rng.random() >= rate:
            return None
        return self.ask_inquiry(order_id, self.inquiry_rng.choice(QUESTIONS))

    def _append(self, record: dict, sender: str, body: str, at: datetime | None, **extra: Any) -> dict:
        if not isinstance(body, str) or not body.strip():
            raise BadRequest("body must be a non-empty string")
        moment = at or now_jst().replace(microsecond=0)
        message = {"id": len(record["messages"]) + 1, "from": sender, "body": body, "at": moment, **extra}
        record["messages"].append(message)
        record["updated"] = max(record["updated"], moment)
        return message


def last_post(record: dict, sender: str) -> dict | None:
    """The newest message of the buyer or of the seller in a thread, or None."""
    for message in reversed(record["messages"]):
        if message["from"] == sender:
            return message
    return None


def awaits_seller(record: dict) -> bool:
    """The buyer wrote last: the shop still owes an answer (未回答)."""
    return bool(record["messages"]) and record["messages"][-1]["from"] == "buyer"
