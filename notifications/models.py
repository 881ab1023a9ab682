"""Notification tables: customer mail templates and the outbox (one row per order and template), and the
buyer inquiries inbox (threads, their messages, reply templates)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MailTemplate(models.Model):
    """Subject and body in the Django template language, rendered with the order."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")

    def __str__(self) -> str:
        return self.name


class OutboundMail(models.Model):
    """The outbox: written in the transaction of the event that causes it, sent once by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "送信待ち"
        SENDING = "sending", "送信中"
        SENT = "sent", "送信済み"
        FAILED = "failed", "送信失敗"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="mails")
    template = models.ForeignKey(MailTemplate, on_delete=models.PROTECT, related_name="mails")
    to = models.EmailField(_("to"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("outbound mail")
        verbose_name_plural = _("outbound mails")
        constraints = [
            models.UniqueConstraint(fields=["order", "template"], name="outboundmail_unique_order_template")
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.template_id} → order {self.order_id}"


# --- Buyer inquiries (問い合わせ, backyard step J) -------------------------------------------------------------


class InquiryThread(models.Model):
    """One conversation with a buyer in one shop (Yahoo topic, Rakuten inquiry, Amazon relay address + order).

    Holds only what the shop itself shows: Yahoo hides the buyer's name (buyer_name stays empty there)."""

    class Status(models.TextChoices):
        NEW = "new", "未対応"
        IN_PROGRESS = "in_progress", "対応中"
        REPLIED = "replied", "返信済み"
        CLOSED = "closed", "完了"

    channel = models.ForeignKey(
        "channels.Channel", on_delete=models.PROTECT, related_name="inquiry_threads", verbose_name=_("shop")
    )
    external_id = models.CharField(_("shop's thread id"), max_length=255)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inquiry_threads",
        verbose_name=_("order"),
    )
    # The order number the shop names: kept so an order that arrives after its question is linked later.
    external_order_id = models.CharField(_("shop order number"), max_length=128, blank=True, db_index=True)
    buyer_name = models.CharField(_("buyer (as the shop shows it)"), max_length=255, blank=True)
    # Rakuten's masked e-mail, Amazon's relay address (replies go there), Yahoo's masked id.
    buyer_contact = models.CharField(_("buyer contact (as the shop shows it)"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    shop_completed = models.BooleanField(_("done in the shop"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_inquiries",
        verbose_name=_("assignee"),
    )
    memo = models.TextField(_("internal memo"), blank=True)
    unread = models.BooleanField(_("unread"), default=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # The shop's own facts about the thread (category, item, Yahoo's qaType and isPrivate, ...).
    shop_data = models.JSONField(_("shop data"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="inquiry_unique_channel_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["status", "-last_message_at"]),
            models.Index(fields=["unread", "status"]),
        ]

    def __str__(self) -> str:
        return self.subject or self.external_id


class InquiryMessage(models.Model):
    """One message of a thread: the buyer's (in) or ours (out). An outgoing one is `sent` only once the
    shop accepted it (notifications.inquiry_services explains the claim that keeps it from going twice)."""

    class Direction(models.TextChoices):
        IN = "in", "受信"
        OUT = "out", "送信"

    class State(models.TextChoices):
        RECEIVED = "received", "受信"
        PENDING = "pending", "送信待ち"
        SENDING = "sending", "送信中"
        SENT = "sent", "送信済み"
        FAILED = "failed", "送信失敗"

    thread = models.ForeignKey(InquiryThread, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    body = models.TextField(_("body"))
    # The shop's id of the message (Yahoo messageId, Rakuten "reply:<id>", Amazon Message-ID); "" until known.
    external_id = models.CharField(_("shop's message id"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    # Outgoing only: the claim token (attempts), when the last attempt began, when to try again (None: no
    # automatic retry), and whether the last attempt may have reached the shop although it failed.
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome_unknown = models.BooleanField(default=False)
    # Our Message-ID for a reply by e-mail (Amazon), fixed when the reply is written.
    reply_key = models.CharField(max_length=255, blank=True)
    template = models.ForeignKey(
        "ReplyTemplate", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inquiry_messages",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thread", "pk"]
        verbose_name = _("inquiry message")
        verbose_name_plural = _("inquiry messages")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "external_id"],
                condition=~models.Q(external_id=""),
                name="inquirymessage_unique_thread_external_id",
            )
        ]
        indexes = [models.Index(fields=["state", "direction"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.thread_id}/{self.pk}"


class ReplyTemplate(models.Model):
    """A reply in the Django template language; notifications.inquiry_replies lists the variables."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    body = models.TextField(_("body"))
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.name
