"""Dashboard forms: the order list's filters, and the slip's inline edits, merge and split.

Forms only parse and validate what a person typed; the orders.editing services decide what is allowed.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from oms.dashboard.labels import hold_label
from oms.dashboard.selectors import DEFAULT_SORT, STATUS_TABS, OrderFilters
from orders.checks.normalize import normalize_postal_code
from orders.checks.phone import normalize_phone
from orders.holds import HOLD_CODES
from orders.models import DeliveryTime, Order, OrderStatus, ShipTo
from shipping.models import Carrier

PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OrderFilterForm(forms.Form):
    """The order list's filters (GET). Every field is optional; an invalid value is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ModelChoiceField(
        label=_("Shop"), queryset=Channel.objects.order_by("name"), required=False, empty_label=_("All shops")
    )
    hold = forms.ChoiceField(label=_("Hold"), required=False)
    ordered_from = forms.DateField(label=_("Ordered from"), required=False, widget=DateInput)
    ordered_to = forms.DateField(label=_("Ordered to"), required=False, widget=DateInput)
    carrier = forms.ChoiceField(label=_("Carrier"), required=False)
    delivery_from = forms.DateField(label=_("Delivery from"), required=False, widget=DateInput)
    delivery_to = forms.DateField(label=_("Delivery to"), required=False, widget=DateInput)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (status, OrderStatus(status).label) for status in STATUS_TABS
        ]
        self.fields["hold"].choices = [("", _("Any hold"))] + [
            (code, hold_label(code)) for code in HOLD_CODES
        ]
        self.fields["carrier"].choices = [("", _("All carriers")), *Carrier.Code.choices]
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("Order number, name, kana, phone, e-mail, SKU, tracking number"),
                "type": "search",
            }
        )

    def filters(self) -> OrderFilters:
        """The valid filters (a field with an invalid value is left out, as if it was empty)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        data.setdefault("sort", DEFAULT_SORT)
        return OrderFilters(**data)

    def active_filters(self) -> bool:
        return any(value not in (None, "") for name, value in self.cleaned_data.items() if name != "sort")


class ShipToForm(forms.ModelForm):
    """A ship-to address, as staff fix it on the slip."""

    prefecture = forms.CharField(
        label=_("Prefecture"), max_length=8, widget=forms.TextInput(attrs={"list": "prefectures"})
    )

    class Meta:
        model = ShipTo
        fields = ["name", "kana", "postal_code", "prefecture", "city", "address1", "address2", "phone"]

    def clean_postal_code(self):
        postal_code = normalize_postal_code(self.cleaned_data["postal_code"])
        if postal_code is None:
            raise forms.ValidationError(_("Enter the postal code as 7 digits, e.g. 100-0001."))
        return postal_code

    def clean_prefecture(self):
        prefecture = self.cleaned_data["prefecture"].strip()
        if prefecture not in PREFECTURES:
            raise forms.ValidationError(_("Enter a prefecture, e.g. 東京都."))
        return prefecture

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and normalize_phone(phone) is None:
            raise forms.ValidationError(_("Enter a Japanese phone number, e.g. 03-1234-5678."))
        return phone

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class WishesForm(forms.ModelForm):
    """The buyer's delivery wishes (お届け希望日・時間帯)."""

    delivery_time = forms.ChoiceField(
        label=_("Wished time slot"), choices=DeliveryTime.choices, required=False
    )

    class Meta:
        model = Order
        fields = ["delivery_date", "delivery_time"]
        widgets = {"delivery_date": DateInput}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ContactForm(forms.ModelForm):
    """The buyer's phone and e-mail."""

    class Meta:
        model = Order
        fields = ["buyer_phone", "buyer_email"]

    def clean_buyer_phone(self):
        phone = self.cleaned_data["buyer_phone"].strip()
        if phone and normalize_phone(phone) is None:
            raise forms.ValidationError(_("Enter a Japanese phone number, e.g. 03-1234-5678."))
        return phone

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class MergeForm(forms.Form):
    """同梱: the candidates (same shop, buyer and address) to move into this order."""

    others = forms.ModelMultipleChoiceField(
        label=_("Orders to merge into this one"),
        queryset=Order.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one order to merge.")},
    )

    def __init__(self, *args, candidates: list[Order], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["others"].queryset = Order.objects.filter(pk__in=[c.pk for c in candidates])
        self.fields["others"].label_from_instance = lambda o: f"{o.external_id}（{o.get_status_display()}）"


class SplitForm(forms.Form):
    """分割: how many units of each line move to a new order."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.name, min_value=0, max_value=line.quantity, initial=0, required=False
            )

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}

    def rows(self):
        """(line, bound field) pairs for the template."""
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]
