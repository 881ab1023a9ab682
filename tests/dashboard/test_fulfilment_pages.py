"""The warehouse pages: picking batches and their PDFs, label export, 検品 scanning, tracking import."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from oms.models import BulkJob
from orders.models import Order, OrderStatus
from shipping.labels import labels_export
from shipping.models import PickingBatch, Shipment
from tests.dashboard.conftest import import_order
from tests.orders.test_intake import buyer
from tests.shipping.test_tracking import _csv, printed_order, valid_number

pytestmark = pytest.mark.django_db
S = OrderStatus


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- picking ---------------------------------------------------------------------------------------


def test_the_page_shows_the_orders_waiting_per_carrier(login, clean_order, remarks_order):
    page = login("warehouse").get(reverse("dashboard:fulfilment")).content.decode()

    assert '<tr data-carrier="yamato">' in page
    assert '?status=ready&amp;carrier=yamato">1</a>' in page


def test_a_picking_batch_takes_the_ready_orders_that_match(login, shop, clean_order):
    other_shop_order = import_order(shop, external_id="R-OTHER", **buyer(5))
    Order.objects.filter(pk=other_shop_order.pk).update(delivery_date="2026-12-24")

    response = login("warehouse").post(
        reverse("dashboard:picking_create"),
        {"delivery_date": "", "carrier": "yamato", "note": "午前便"},
        follow=True,
    )

    batch = PickingBatch.objects.get()
    assert set(batch.orders.values_list("external_id", flat=True)) == {"R-CLEAN", "R-OTHER"}
    assert batch.note == "午前便" and batch.actor == "user:warehouse-user"
    assert Order.objects.get(pk=clean_order.pk).status == S.PRINTED
    assert f"ピッキングバッチ #{batch.pk} を 2 件の注文で作成し、印刷済みにしました。" in messages_of(
        response
    )
    page = response.content.decode()
    assert reverse("dashboard:picking_list_download", args=[batch.pk]) in page
    assert reverse("dashboard:packing_slips_download", args=[batch.pk]) in page


def test_a_picking_batch_with_nothing_ready_is_refused_in_japanese(login, remarks_order):
    response = login("warehouse").post(reverse("dashboard:picking_create"), {}, follow=True)

    assert not PickingBatch.objects.exists()
    assert any("印刷待ちの注文で条件に合うものがありません" in message for message in messages_of(response))


@pytest.mark.parametrize("name", ["picking_list_download", "packing_slips_download"])
def test_a_batch_gives_its_picking_list_and_packing_slips_as_pdf(login, clean_order, users, name):
    from shipping.picking import picking_batch_create

    batch = picking_batch_create(actor="test")

    response = login("warehouse").get(reverse(f"dashboard:{name}", args=[batch.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_label_export_of_every_waiting_order_runs_as_a_job(login, shop, django_capture_on_commit_callbacks):
    import_order(shop, external_id="R-LABEL")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login("warehouse").post(reverse("dashboard:labels_export"), {"carrier": "yamato"})

    job = BulkJob.objects.get()
    assert response.url == reverse("dashboard:bulk_job", args=[job.pk])
    assert (job.kind, job.order_ids, job.total, job.params) == ("labels", None, 1, {"carrier": "yamato"})
    assert len(callbacks) == 1


def test_label_export_needs_a_carrier(login):
    response = login("warehouse").post(
        reverse("dashboard:labels_export"), {"carrier": "kuroneko"}, follow=True
    )

    assert not BulkJob.objects.exists()
    assert messages_of(response)


def test_the_page_lists_the_recent_label_exports(login, shop):
    page = login("warehouse").get(reverse("dashboard:fulfilment")).content.decode()
    assert "送り状データの出力はまだありません。" in page
    import_order(shop, external_id="R-LABEL")
    export = labels_export(carrier="yamato", actor="user:warehouse-user")

    page = login("warehouse").get(reverse("dashboard:fulfilment")).content.decode()

    assert "最近の送り状データ出力" in page
    row = page.split(f'<tr data-export="{export.record.pk}">')[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1] for cell in row.split("</td>")[:-1]]
    assert cells[1:] == ["ヤマト運輸", "warehouse-user", "1", "1"]  # who: the user, not the audit key
    assert '<td title="user:warehouse-user">' in row


def test_label_export_with_no_order_waiting_for_the_carrier_says_so_and_makes_no_job(login, shop):
    import_order(shop, external_id="R-LABEL")  # waits for ヤマト運輸, not 佐川急便

    response = login("warehouse").post(reverse("dashboard:labels_export"), {"carrier": "sagawa"}, follow=True)

    assert not BulkJob.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("dashboard:fulfilment")
    assert messages_of(response) == ["佐川急便で出荷を待つ注文はありません。"]  # after the ja.po merge


def test_the_picking_batches_name_who_made_them(login, clean_order, users):
    from shipping.picking import picking_batch_create

    users["warehouse"].last_name = "倉庫 太郎"
    users["warehouse"].save(update_fields=["last_name"])
    batch = picking_batch_create(actor="user:warehouse-user")

    page = login("warehouse").get(reverse("dashboard:fulfilment")).content.decode()

    row = page.split(f'data-batch="{batch.pk}">')[1].split("</tr>")[0]
    assert '<td title="user:warehouse-user">倉庫 太郎</td>' in row


def test_the_page_has_no_duplicate_ids(login):
    page = login("warehouse").get(reverse("dashboard:fulfilment")).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="id_labels_carrier"' in page and 'name="carrier" id="id_labels_carrier"' in page


def test_packing_slips_come_in_order_number_order_like_the_picking_list(login, shop):
    from pypdf import PdfReader

    from shipping.picking import picking_batch_create

    later = import_order(shop, external_id="R-200")
    earlier = import_order(shop, external_id="R-100", **buyer(5))
    batch = picking_batch_create(actor="test", orders=Order.objects.filter(pk__in=[later.pk, earlier.pk]))

    response = login("warehouse").get(reverse("dashboard:packing_slips_download", args=[batch.pk]))

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert ["R-100" in pages[0], "R-200" in pages[1]] == [True, True]


# --- 検品 -------------------------------------------------------------------------------------------


@pytest.fixture
def packed(clean_order):
    """R-CLEAN picked (印刷済み): 2 × TSHIRT-BLK-M, whose JAN the test SKU gets."""
    Order.objects.filter(pk=clean_order.pk).update(status=S.PRINTED)
    line = clean_order.lines.get()
    line.sku.jan = "4580000000010"
    line.sku.save(update_fields=["jan"])
    return clean_order


def scan(client, code: str, order=None):
    return client.post(reverse("dashboard:inspection"), {"code": code, "order": order.pk if order else ""})


def test_scanning_the_slip_then_each_jan_completes_the_inspection(login, packed):
    client = login("warehouse")

    started = scan(client, "R-CLEAN")
    first = scan(client, "4580000000010", packed)
    done = scan(client, "4580000000010", packed)

    assert "注文 R-CLEAN の検品を開始します（2点）。" in started.content.decode()
    assert "を検品しました（残り 1 点）。" in first.content.decode()
    assert "検品が完了しました（注文 R-CLEAN）。" in done.content.decode()
    assert Order.objects.get(pk=packed.pk).verified_at is not None
    assert f'name="order" value="{packed.pk}"' in done.content.decode()


def test_a_wrong_item_is_refused_with_the_services_message(login, packed):
    client = login("warehouse")
    scan(client, "R-CLEAN")

    response = scan(client, "4999999999999", packed)

    page = response.content.decode()
    assert 'data-outcome="not_on_order"' in page
    assert "この商品は注文にありません（4999999999999）。" in page


def test_a_jan_before_any_slip_asks_for_the_slip_first(login, packed):
    response = scan(login("warehouse"), "4580000000010")

    assert "先に納品書の注文番号バーコードをスキャンしてください。" in response.content.decode()


def test_an_order_that_is_not_picked_cannot_be_inspected(login, remarks_order):
    response = scan(login("warehouse"), "R-REMARKS")

    assert "検品できません" in response.content.decode()


def test_starting_over_forgets_the_scans(login, packed):
    client = login("warehouse")
    scan(client, "R-CLEAN")
    scan(client, "4580000000010", packed)

    client.post(reverse("dashboard:inspection"), {"reset": "1", "order": packed.pk})

    assert packed.lines.get().verified_quantity == 0


# --- tracking import --------------------------------------------------------------------------------


def upload(content: bytes, name="tracking.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_clean_tracking_file_ships_the_orders_at_once(login):
    order = printed_order(external_id="A-1")
    content = _csv(["注文番号", "伝票番号"], [["A-1", valid_number(1)]])

    response = login("warehouse").post(
        reverse("dashboard:tracking"), {"carrier": "yamato", "file": upload(content)}
    )

    assert Order.objects.get(pk=order.pk).status == S.SHIPPED
    assert "1 件の注文を出荷済みにしました（荷物 1 個を追加）。" in response.content.decode()


def test_a_file_with_bad_lines_lists_them_and_can_apply_only_the_good_rows(login):
    good = printed_order(external_id="A-1")
    content = _csv(["注文番号", "伝票番号"], [["A-1", valid_number(1)], ["A-2", "123456789012"]])
    client = login("warehouse")

    preview = client.post(reverse("dashboard:tracking"), {"carrier": "yamato", "file": upload(content)})

    page = preview.content.decode()
    assert "ファイルにエラーがあるため、何も反映していません。" in page
    assert '<li data-line="3">3行目: A-2: 伝票番号「123456789012」が正しくありません' in page
    assert not Shipment.objects.exists()
    token = preview.context["token"]

    applied = client.post(reverse("dashboard:tracking"), {"apply_good_rows": "1", "token": token})

    assert Order.objects.get(pk=good.pk).status == S.SHIPPED
    assert "1 件の注文を出荷済みにしました" in applied.content.decode()


def test_applying_good_rows_needs_the_previewed_file(login):
    response = login("warehouse").post(
        reverse("dashboard:tracking"), {"apply_good_rows": "1", "token": "forged"}, follow=True
    )

    assert "アップロードしたファイルが見つかりません。もう一度アップロードしてください。" in messages_of(
        response
    )


def test_the_fulfilment_link_is_shown_to_the_warehouse_only(login, clean_order):
    assert (
        reverse("dashboard:fulfilment") in login("warehouse").get(reverse("dashboard:home")).content.decode()
    )
    assert (
        reverse("dashboard:fulfilment")
        not in login("operator").get(reverse("dashboard:home")).content.decode()
    )


def test_the_fulfilment_page_costs_the_same_number_of_queries_for_few_and_many_batches(login, shop):
    from tests.dashboard.test_queries import queries_for

    client = login("warehouse")

    def batch_of(count: int, start: int) -> None:
        for n in range(start, start + count):
            order = import_order(shop, external_id=f"R-Q{n}", **buyer(100 + n))
            PickingBatch.objects.create(actor="test").orders.add(order)

    batch_of(2, 0)
    few = queries_for(client, reverse("dashboard:fulfilment"))
    batch_of(8, 2)

    assert queries_for(client, reverse("dashboard:fulfilment")) == few
