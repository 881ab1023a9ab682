"""Forms of the stock page: the SKU search, a stock adjustment with its reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, StockMovement

Reason = StockMovement.Reason


class StockSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("SKU code, name, JAN, location"), "type": "search"}
        )


class StockAdjustForm(forms.Form):
    """Add or remove units (a receipt, breakage, a found box), always with why."""

    sku = forms.CharField(label=_("SKU code"), max_length=64)
    delta = forms.IntegerField(
        label=_("Change (+/−)"), help_text=_("e.g. 10 for a receipt of ten, -2 for two broken")
    )
    reason = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Reason.RECEIVE, Reason.RECEIVE.label), (Reason.ADJUST, Reason.ADJUST.label)],
    )
    note = forms.CharField(
        label=_("Reason"), max_length=255, help_text=_("Why the stock changes, for the ledger")
    )

    def clean_sku(self) -> SKU:
        code = self.cleaned_data["sku"].strip().upper()
        sku = SKU.objects.filter(code=code).first()
        if sku is None:
            raise forms.ValidationError(_("No SKU has the code %(sku)s.") % {"sku": code})
        if sku.is_set:
            raise forms.ValidationError(_("%(sku)s is a set; adjust its components instead.") % {"sku": code})
        return sku

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than 0."))
        return delta
