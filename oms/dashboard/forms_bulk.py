"""Forms of the order list's bulk actions: the ticked orders, and what each action needs besides them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.dashboard.bulk import BULK_STATUSES, MAX_ORDERS, releasable_hold_codes
from oms.dashboard.labels import hold_label
from orders.models import OrderStatus
from shipping.models import Carrier


class OrderIdsField(forms.TypedMultipleChoiceField):
    """Order ids from the list's checkboxes (existence is the job's concern: an order may go meanwhile)."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class BulkForm(forms.Form):
    orders = OrderIdsField(error_messages={"required": _("Tick at least one order.")})

    def clean_orders(self):
        orders = self.cleaned_data["orders"]
        if len(orders) > MAX_ORDERS:
            raise forms.ValidationError(
                _("Tick at most %(max)d orders at a time.") % {"max": MAX_ORDERS}, code="too_many"
            )
        return orders

    def params(self) -> dict:
        return {}


class BulkReleaseForm(BulkForm):
    hold = forms.ChoiceField(label=_("Hold to release"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hold"].choices = [(code, hold_label(code)) for code in releasable_hold_codes()]

    def params(self) -> dict:
        return {"hold": self.cleaned_data["hold"]}


def status_choices() -> list[tuple[str, str]]:
    return [(status, OrderStatus(status).label) for status in BULK_STATUSES]


class BulkStatusForm(BulkForm):
    to_status = forms.ChoiceField(label=_("New status"), choices=status_choices)

    def params(self) -> dict:
        return {"status": self.cleaned_data["to_status"]}


class BulkLabelsForm(BulkForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=Carrier.Code.choices)

    def params(self) -> dict:
        return {"carrier": self.cleaned_data["carrier"]}


def bulk_choices() -> dict:
    """What the bulk bar's selects offer (the template renders them beside their buttons)."""
    return {
        "holds": [(code, hold_label(code)) for code in releasable_hold_codes()],
        "statuses": status_choices(),
        "carriers": Carrier.Code.choices,
    }
