"""Notification tables: customer mail templates and the outbox (one row per order and template)."""

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
