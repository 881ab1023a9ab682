"""Short labels the dashboard shows for hold codes and audit-trail event kinds (translated; codes stay stable)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A badge-sized name per hold code (orders.holds has the full message a person reads on the slip).
HOLD_LABELS = {
    "postcode_unknown": pgettext_lazy("hold", "Unknown postal code"),
    "postcode_address_mismatch": pgettext_lazy("hold", "Postal code ≠ address"),
    "phone_invalid": pgettext_lazy("hold", "Invalid phone"),
    "unknown_sku": pgettext_lazy("hold", "Unknown SKU"),
    "insufficient_stock": pgettext_lazy("hold", "Out of stock"),
    "remarks": pgettext_lazy("hold", "Remarks"),
    "delivery_date_invalid": pgettext_lazy("hold", "Delivery date"),
    "delivery_time_invalid": pgettext_lazy("hold", "Time slot"),
    "merge_candidate": pgettext_lazy("hold", "Merge candidate"),
    "payment_pending": pgettext_lazy("hold", "Payment pending"),
}

EVENT_LABELS = {
    "imported": _("Imported"),
    "updated": _("Updated by the shop"),
    "status_changed": _("Status changed"),
    "hold_added": _("Hold added"),
    "hold_resolved": _("Hold released"),
    "edited": _("Edited"),
    "address_edited": _("Ship-to edited"),
    "merged": _("Merged"),
    "split": _("Split"),
    "paid": _("Payment confirmed"),
    "mail_queued": _("Mail queued"),
    "mail_sent": _("Mail sent"),
    "mail_failed": _("Mail failed"),
    "shipped": _("Shipped"),
    "labels_exported": _("Labels exported"),
    "shop_answer": _("Shop's answer"),
    "shop_push_failed": _("Reporting to the shop failed"),
    "changed_after_print": _("Changed after printing"),
    "inspection_started": _("Inspection started"),
    "inspection_completed": _("Inspection completed"),
    "inspection_reset": _("Inspection reset"),
    "stock_drift": _("Stock drift"),
}


def hold_label(code: str) -> str:
    return HOLD_LABELS.get(code, code)
