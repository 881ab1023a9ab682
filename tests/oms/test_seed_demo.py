"""seed_demo: a believable demo shop, created once."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from channels.models import Channel, Listing
from inventory.models import SKU, StockLevel, StockMovement
from inventory.selectors import stock_drift
from notifications.models import MailTemplate
from oms.demo import DEMO_CREDENTIALS, jan_with_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "demo-login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    call_command("seed_demo")
    return capsys.readouterr().out


def _snapshot():
    return {
        "skus": SKU.objects.count(),
        "levels": list(StockLevel.objects.order_by("pk").values_list("on_hand", "allocated")),
        "movements": StockMovement.objects.count(),
        "listings": Listing.objects.count(),
        "channels": list(Channel.objects.order_by("pk").values_list("name", "credentials_encrypted")),
        "templates": MailTemplate.objects.count(),
        "users": list(get_user_model().objects.values_list("username", "password")),
    }


def test_demo_has_a_catalogue_with_sets_stock_and_three_channels(seeded):
    assert SKU.objects.filter(is_set=False).count() >= 30
    assert SKU.objects.filter(is_set=True).count() == 2
    assert all(sku.components.exists() for sku in SKU.objects.filter(is_set=True))
    assert StockLevel.objects.filter(on_hand__gt=0).count() == SKU.objects.filter(is_set=False).count()
    assert stock_drift() == []
    channels = {c.kind: c for c in Channel.objects.all()}
    assert {k: c.base_url for k, c in channels.items()} == {
        "rakuten": "http://127.0.0.1:8101",
        "yahoo": "http://127.0.0.1:8102",
        "amazon": "http://127.0.0.1:8103",
    }
    for kind, channel in channels.items():
        assert channel.credentials.items() >= DEMO_CREDENTIALS[kind].items()
    assert channels["amazon"].credentials["inquiry_maildir"]  # buyer messages arrive as mail
    assert Listing.objects.count() == 3 * SKU.objects.count()
    assert set(MailTemplate.objects.values_list("code", flat=True)) >= {
        "order_confirmation",
        "shipping_notice",
        "delivery_date_change",
    }


def test_every_jan_code_has_a_valid_check_digit(seeded):
    for jan in SKU.objects.exclude(jan="").values_list("jan", flat=True):
        assert jan == jan_with_check_digit(jan[:12])
    assert jan_with_check_digit("456995111617") == "4569951116179"  # a real JAN


def test_listing_ids_follow_each_marketplace(seeded):
    rakuten = Listing.objects.get(channel__kind="rakuten", sku__code="TSHIRT-BLK-M")
    yahoo = Listing.objects.get(channel__kind="yahoo", sku__code="TSHIRT-BLK-M")
    amazon = Listing.objects.get(channel__kind="amazon", sku__code="TSHIRT-BLK-M")
    assert (rakuten.external_item_id, rakuten.external_variant_id) == ("tshirt", "TSHIRT-BLK-M")
    assert (yahoo.external_item_id, yahoo.external_variant_id) == ("tshirt", "TSHIRT-BLK-M")
    assert (amazon.external_item_id, amazon.external_variant_id) == ("TSHIRT-BLK-M", "")


def test_staff_user_gets_a_generated_password_that_works(seeded):
    line = next(line for line in seeded.splitlines() if "password:" in line)
    password = line.split("password:")[1].strip()
    user = get_user_model().objects.get(username="admin")
    assert len(password) >= 12 and password not in {"admin", "password"}
    assert user.check_password(password) and user.is_staff


def test_running_it_twice_changes_nothing(seeded, capsys):
    before = _snapshot()

    call_command("seed_demo")

    assert _snapshot() == before
    assert "nothing changed" in capsys.readouterr().out


def test_running_it_again_has_the_simulator_shops_told_every_quantity_again(seeded, capsys):
    """The simulators start empty on each make run: without this their shoppers found nothing to buy."""
    Listing.objects.update(needs_push=False, last_pushed_quantity=5)
    real = Channel.objects.get(kind="yahoo")
    real.base_url = "https://circus.shopping.yahooapis.jp"  # connected to the real shop: left alone
    real.save(update_fields=["base_url"])

    call_command("seed_demo")

    again = Listing.objects.filter(needs_push=True, last_pushed_quantity=None)
    assert set(again.values_list("channel__kind", flat=True)) == {"rakuten", "amazon"}
    assert again.count() == Listing.objects.exclude(channel=real).count()
    assert not real.listings.filter(needs_push=True).exists()
    assert f"{again.count()} listings of the simulator shops will be sent again" in capsys.readouterr().out


def test_the_amazon_relay_is_reached_on_the_simulators_host(tmp_path, monkeypatch):
    """Under docker compose the simulator is another container (OMS_SIM_AMAZON_URL=http://amazon:8103)."""
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "demo-login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    monkeypatch.setenv("OMS_SIM_AMAZON_URL", "http://amazon:8103")

    call_command("seed_demo")

    credentials = Channel.objects.get(kind="amazon").credentials
    assert (credentials["smtp_host"], credentials["smtp_port"]) == ("amazon", 8125)


def test_logins_of_a_database_seeded_before_are_replaced_not_added(tmp_path, monkeypatch):
    login_file = tmp_path / "demo-login.txt"
    login_file.write_text("admin OLD-PASSWORD administrator\nkeeper K role\n", encoding="utf-8")
    monkeypatch.setattr("oms.demo.LOGIN_FILE", login_file)
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)

    call_command("seed_demo")

    lines = login_file.read_text(encoding="utf-8").splitlines()
    assert "keeper K role" in lines  # no user of that name was made here
    assert [line.split()[0] for line in lines].count("admin") == 1
    assert "OLD-PASSWORD" not in login_file.read_text(encoding="utf-8")
    assert login_file.stat().st_mode & 0o777 == 0o600


def test_variants_have_their_own_prices_where_the_catalogue_says_so(seeded):
    assert SKU.objects.get(code="RICE-10KG").price == 7480
    assert SKU.objects.get(code="RICE-5KG").price == 3980
    assert SKU.objects.get(code="RICE-10KG").weight_g == 10200
