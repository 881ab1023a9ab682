"""Consumption tax per rate (shipping.tax): what the packing slip and the 代引 labels state."""

import pytest

from shipping.tax import RateAmount, tax_breakdown, tax_inside, total_tax


@pytest.mark.parametrize(
    ("amount", "rate", "tax"),
    [(1100, 10, 100), (1099, 10, 99), (1080, 8, 80), (1079, 8, 79), (0, 10, 0), (5980, 10, 543)],
)
def test_tax_inside_a_tax_included_amount_is_rounded_down(amount, rate, tax):
    assert tax_inside(amount, rate) == tax


def test_lines_are_grouped_by_rate_and_fees_go_to_the_standard_rate():
    breakdown = tax_breakdown(lines=[(10, 2980), (8, 2160), (8, 1080)], fees=660, total=6880)

    assert breakdown == [RateAmount(10, 3640), RateAmount(8, 3240)]
    assert [item.tax for item in breakdown] == [330, 240]
    assert total_tax(breakdown) == 570


def test_tax_is_rounded_once_per_rate_not_per_line():
    lines = [(8, 1079)] * 3  # 79.9 each: per line that would be 79 × 3 = 237

    (reduced,) = tax_breakdown(lines=lines, fees=0, total=3237)

    assert (reduced.amount, reduced.tax) == (3237, 239)


def test_a_discount_is_shared_by_the_rates_in_proportion_and_the_amounts_add_up_to_the_total():
    breakdown = tax_breakdown(lines=[(10, 5960), (8, 2160)], fees=990, total=8910)

    assert breakdown == [RateAmount(10, 6797), RateAmount(8, 2113)]
    assert sum(item.amount for item in breakdown) == 8910


def test_food_only_order_without_fees_has_only_the_reduced_rate():
    assert tax_breakdown(lines=[(8, 3980)], fees=0, total=3980) == [RateAmount(8, 3980)]


def test_an_order_without_lines_is_all_standard_rate():
    assert tax_breakdown(lines=[], fees=0, total=500) == [RateAmount(10, 500)]


@pytest.mark.django_db
def test_the_demo_catalogue_taxes_food_at_the_reduced_rate_and_chills_the_miso(tmp_path, monkeypatch):
    from inventory.models import SKU, TaxRate, Temperature
    from oms.demo import demo_seed

    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "demo-login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    demo_seed()

    rates = dict(SKU.objects.values_list("code", "tax_rate"))
    assert rates["TSHIRT-BLK-M"] == rates["TOTE-NAT"] == TaxRate.STANDARD
    assert rates["COFFEE-200G"] == rates["RICE-5KG"] == rates["SET-GIFT-A"] == TaxRate.REDUCED
    chilled = set(SKU.objects.filter(temperature=Temperature.CHILLED).values_list("code", flat=True))
    assert chilled == {"MISO-RED", "MISO-WHITE"}
