"""Forms of the warehouse pages: picking batch filters, label export, the 検品 scan, tracking file upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from oms.dashboard.forms import DateInput
from shipping.models import Carrier

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class PickingForm(forms.Form):
    """Which 印刷待ち orders go into the new picking batch (every one when nothing is chosen)."""

    channel = forms.ModelChoiceField(
        label=_("Shop"), queryset=Channel.objects.order_by("name"), required=False, empty_label=_("All shops")
    )
    carrier = forms.ChoiceField(label=_("Carrier"), required=False)
    delivery_date = forms.DateField(label=_("Wished delivery date"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [("", _("All carriers")), *Carrier.Code.choices]


class LabelExportForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=Carrier.Code.choices)


class ScanForm(forms.Form):
    """One scan: the slip's order barcode, or an item's JAN. `order` is the order being inspected."""

    code = forms.CharField(label=_("Scan"), max_length=64)
    order = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "off", "inputmode": "text"}
        )


class UploadForm(forms.Form):
    """A CSV file (UTF-8 or Shift_JIS), at most 5 MB."""

    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class TrackingUploadForm(UploadForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=Carrier.Code.choices)
    field_order = ["carrier", "file"]
