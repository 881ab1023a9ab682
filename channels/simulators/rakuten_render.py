"""Rakuten RMS shapes: a canonical order rendered as an Order API 2.0 OrderModel, and its codes and formats."""

from __future__ import annotations

import copy
import hashlib
import zlib
from datetime import date, datetime, timedelta

ORDER_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # "2017-10-14T00:00:00+0900": no colon in the offset

# orderProgress (ステータス)
PROGRESS_NAMES = {
    100: "注文確認待ち",
    200: "楽天処理中",
    300: "発送待ち",
    400: "変更確定待ち",
    500: "発送済",
    600: "支払手続き中",
    700: "支払手続き済",
    800: "キャンセル確定待ち",
    900: "キャンセル確定",
}
# Canonical payment -> (settlementMethodCode, settlementMethod). 13 and 21 names are [inferred].
SETTLEMENTS = {
    "credit_card": (1, "クレジットカード"),
    "cod": (2, "代金引換"),
    "points": (8, "ポイント"),
    "bank_transfer": (9, "銀行振込"),
    "convenience_store": (13, "セブン-イレブン（前払）"),
    "deferred": (21, "後払い決済"),
    "other": (1, "クレジットカード"),
}
# deliveryCompany codes (配送会社) 1000..1031 in order; "_" stands for a space inside a name.
_DELIVERY_COMPANY_TEXT = """
    その他 ヤマト運輸 佐川急便 日本郵便 西濃運輸 セイノースーパーエクスプレス 福山通運 名鉄運輸
    トナミ運輸 第一貨物 新潟運輸 中越運送 岡山県貨物運送 久留米運送 山陽自動車運送 NXトランスポート
    エコ配 EMS DHL FedEx UPS 日本通運 TNT OCS USPS SFエクスプレス Aramex SGHグローバル・ジャパン
    Rakuten_EXPRESS 日本郵便_楽天倉庫出荷 ヤマト運輸_クロネコゆうパケット 名鉄NX運輸
"""
DELIVERY_COMPANY_NAMES = {
    str(1000 + index): name.replace("_", " ") for index, name in enumerate(_DELIVERY_COMPANY_TEXT.split())
}
DELIVERY_COMPANIES = set(DELIVERY_COMPANY_NAMES)
# No per-second figure is published for the Order API; third parties recommend ~1 req/s [unverified].
ORDER_RATE, ORDER_BURST = 1.0, 3.0
COD_FEE = 330
POSTAGE = 550
FREE_POSTAGE_FROM = 3980
TAX_RATE = 0.1

# Fields that appear only from a getOrder version on (version -> what it added, per the reference).
ORDER_FIELDS_FROM = {"cautionDisplayDetailType": 6, "receiptIssueCount": 5, "receiptIssueHistoryList": 5,
                     "DueDateModelList": 5, "deliveryCertPrgFlag": 8, "oneDayOperationFlag": 8,
                     "socialGiftFlag": 10}  # fmt: skip
PACKAGE_FIELDS_FROM = {
    "defaultDeliveryCompanyCode": 4,
    "dropOffFlag": 9,
    "dropOffLocation": 9,
    "SocialGiftModel": 10,
}
ITEM_FIELDS_FROM = {"isSingleItemShipping": 4, "SkuModelList": 7}


def message(kind: str, code: str, text: str, **extra: object) -> dict:
    """One MessageModel of the Order API envelope (messageType INFO / ERROR / WARNING)."""
    return {"messageType": kind, "messageCode": code, "message": text, **extra}


def format_order_datetime(moment: datetime | None) -> str | None:
    return moment.strftime(ORDER_DATETIME_FORMAT) if moment else None


def parse_order_datetime(text: object) -> datetime | None:
    """Parse "YYYY-MM-DDThh:mm:ss+0900" strictly (the real API rejects "+09:00", "Z" and no offset)."""
    if not isinstance(text, str) or len(text) != 24 or text[19] not in "+-" or ":" in text[19:]:
        return None
    try:
        return datetime.strptime(text, ORDER_DATETIME_FORMAT)
    except ValueError:
        return None


def shipping_term(slot: str | None) -> int:
    """Canonical "14-16" -> 1416, "08-12" -> 812 (h1h2); no slot -> 0 (なし)."""
    if not slot:
        return 0
    start, _, end = slot.partition("-")
    return int(start) * 100 + int(end)


def product_code(sku: str) -> str:
    return sku.split("-", 1)[0]


def marketplace_ids(sku: str) -> dict:
    """Our SKU -> Rakuten ids: manageNumber = product code lower-cased, variantId = the SKU code."""
    return {"manageNumber": product_code(sku).lower(), "variantId": sku}


def split_name(full: str) -> tuple[str, str]:
    family, _, given = full.strip().replace("\u3000", " ").partition(" ")
    return family, given.strip()


def split_phone(phone: str) -> tuple[str, str, str]:
    parts = (phone or "").split("-")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[:3], digits[3:-4], digits[-4:]


def masked_email(email: str) -> str:
    """Rakuten hands shops a relay address instead of the buyer's own [inferred format]."""
    digest = hashlib.sha1(email.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"{digest}s1@pc.fw.rakuten.ne.jp"


def person_model(person: dict, address: dict, *, email: str | None) -> dict:
    """OrdererModel / SenderModel fields from a canonical buyer or ship_to plus its address."""
    family, given = split_name(person.get("name", ""))
    family_kana, given_kana = split_name(person.get("kana", ""))
    postal = address.get("postal_code", "").replace("-", "")
    phone1, phone2, phone3 = split_phone(person.get("phone") or address.get("phone", ""))
    model = {
        "zipCode1": postal[:3],
        "zipCode2": postal[3:],
        "prefecture": address.get("prefecture", ""),
        "city": address.get("city", ""),
        "subAddress": " ".join(p for p in (address.get("address1", ""), address.get("address2", "")) if p),
        "familyName": family,
        "firstName": given,
        "familyNameKana": family_kana,
        "firstNameKana": given_kana,
        "phoneNumber1": phone1,
        "phoneNumber2": phone2,
        "phoneNumber3": phone3,
    }
    if email is not None:
        model.update(
            emailAddress=masked_email(email), sex=None, birthYear=None, birthMonth=None, birthDay=None
        )
    return model


def item_model(item: dict, item_detail_id: int) -> dict:
    sku, price, units = item["sku"], int(item.get("price", 0)), item["quantity"]
    ids = marketplace_ids(sku)
    return {
        "itemDetailId": item_detail_id,
        "itemName": item.get("name") or f"{product_code(sku)} {sku}",
        "itemId": zlib.crc32(ids["manageNumber"].encode()) % 10**9,
        "itemNumber": sku,
        "manageNumber": ids["manageNumber"],
        "price": price,
        "units": units,
        "includePostageFlag": 0,
        "includeTaxFlag": 1,
        "includeCashOnDeliveryPostageFlag": 0,
        "selectedChoice": None,
        "pointRate": 1,
        "pointType": 0,
        "inventoryType": 2,
        "delvdateInfo": None,
        "restoreInventoryFlag": 0,
        "dealFlag": 0,
        "drugFlag": 0,
        "deleteItemFlag": 0,
        "taxRate": TAX_RATE,
        "priceTaxIncl": price,
        "isSingleItemShipping": 0,
        "SkuModelList": [{"variantId": sku, "merchantDefinedSkuId": sku, "skuInfo": None}],
    }


def settlement_model(payment: str | None) -> dict:
    code, name = SETTLEMENTS.get(payment or "other", SETTLEMENTS["other"])
    card = code == 1
    return {
        "settlementMethodCode": code,
        "settlementMethod": name,
        "rpaySettlementFlag": 1,
        "cardName": "VISA" if card else None,
        "cardNumber": "XXXX-XXXX-XXXX-1111" if card else None,
        "cardOwner": "****" if card else None,
        "cardYm": "2030-12" if card else None,
        "cardPayType": 0 if card else None,
        "cardInstallmentDesc": None,
    }


def tax_included(amount: int) -> int:
    return int(amount * TAX_RATE / (1 + TAX_RATE))


def tax_summary(total: int) -> dict:
    return {"taxRate": TAX_RATE, "reqPrice": total, "reqPriceTax": tax_included(total), "totalPrice": total,
            "paymentCharge": 0, "couponPrice": 0, "point": 0}  # fmt: skip


def order_model(
    canonical: dict, *, order_number: str, ordered_at: datetime, basket_id: int, first_item_id: int
) -> dict:
    """The full (version 10) OrderModel of a new order, orderProgress 100."""
    buyer, ship = canonical["buyer"], canonical["ship_to"]
    items = [item_model(item, first_item_id + i) for i, item in enumerate(canonical["items"])]
    goods = sum(i["price"] * i["units"] for i in items)
    postage = 0 if goods >= FREE_POSTAGE_FROM else POSTAGE
    cod_fee = COD_FEE if canonical.get("payment") == "cod" else 0
    total = goods + postage + cod_fee
    same_person = buyer.get("name") == ship.get("name")
    package = {
        "basketId": basket_id,
        "postagePrice": postage,
        "postageTaxRate": TAX_RATE,
        "deliveryPrice": cod_fee,
        "deliveryTaxRate": TAX_RATE,
        "goodsTax": tax_included(goods),
        "goodsPrice": goods,
        "totalPrice": total,
        "noshi": None,
        "packageDeleteFlag": 0,
        "SenderModel": {**person_model(ship, ship, email=None), "isolatedIslandFlag": 0},
        "ItemModelList": items,
        "ShippingModelList": [],
        "DeliveryCvsModel": None,
        "defaultDeliveryCompanyCode": "1001",
        "dropOffFlag": 0,
        "dropOffLocation": None,
        "SocialGiftModel": None,
    }
    return {
        "orderNumber": order_number,
        "orderProgress": 100,
        "subStatusId": None,
        "subStatusName": None,
        "orderDatetime": format_order_datetime(ordered_at),
        "shopOrderCfmDatetime": None,
        "orderFixDatetime": None,
        "shippingInstDatetime": None,
        "shippingCmplRptDatetime": None,
        "cancelDueDate": (ordered_at.date() + timedelta(days=30)).isoformat(),
        "deliveryDate": canonical.get("delivery_date") or None,
        "shippingTerm": shipping_term(canonical.get("delivery_time")),
        "remarks": canonical.get("remarks") or None,
        "giftCheckFlag": 0 if same_person else 1,
        "socialGiftFlag": 0,
        "severalSenderFlag": 0,
        "equalSenderFlag": 1 if same_person else 0,
        "isolatedIslandFlag": 0,
        "rakutenMemberFlag": 1,
        "carrierCode": 0,
        "emailCarrierCode": 0,
        "orderType": 1,
        "reserveNumber": None,
        "reserveDeliveryCount": None,
        "cautionDisplayType": 0,
        "cautionDisplayDetailType": None,
        "rakutenConfirmFlag": 0,
        "goodsPrice": goods,
        "goodsTax": tax_included(goods),
        "postagePrice": postage,
        "deliveryPrice": cod_fee,
        "paymentCharge": 0,
        "paymentChargeTaxRate": TAX_RATE,
        "totalPrice": total,
        "requestPrice": total,
        "couponAllTotalPrice": 0,
        "couponShopPrice": 0,
        "couponOtherPrice": 0,
        "additionalFeeOccurAmountToUser": 0,
        "additionalFeeOccurAmountToShop": 0,
        "asurakuFlag": 0,
        "drugFlag": 0,
        "dealFlag": 0,
        "membershipType": 0,
        "memo": None,
        "operator": None,
        "mailPlugSentence": None,
        "modifyFlag": 0,
        "receiptIssueCount": 0,
        "receiptIssueHistoryList": [],
        "OrdererModel": person_model(buyer, ship if same_person else buyer, email=buyer.get("email", "")),
        "SettlementModel": settlement_model(canonical.get("payment")),
        "DeliveryModel": {"deliveryName": "宅配便", "deliveryClass": 0},
        "PointModel": {"usedPoint": 0},
        "WrappingModel1": None,
        "WrappingModel2": None,
        "PackageModelList": [package],
        "CouponModelList": [],
        "ChangeReasonModelList": [],
        "TaxSummaryModelList": [tax_summary(total)],
        "DueDateModelList": [],
        "deliveryCertPrgFlag": 0,
        "oneDayOperationFlag": 0,
    }


def for_version(order: dict, version: int) -> dict:
    """The OrderModel as getOrder returns it for `version` (3..10): later fields dropped, goodsTax gone from 8."""
    rendered = copy.deepcopy(order)
    _drop_newer(rendered, ORDER_FIELDS_FROM, version)
    if version >= 8:
        rendered["goodsTax"] = -9999  # 商品税額 is not provided from version 8 on; -9999 = unknown
    for package in rendered["PackageModelList"]:
        _drop_newer(package, PACKAGE_FIELDS_FROM, version)
        if version >= 8:
            package["goodsTax"] = -9999
        for item in package["ItemModelList"]:
            _drop_newer(item, ITEM_FIELDS_FROM, version)
    return rendered


def _drop_newer(model: dict, fields_from: dict[str, int], version: int) -> None:
    for name, since in fields_from.items():
        if version < since:
            model.pop(name, None)


def is_iso_date(text: object) -> bool:
    if not isinstance(text, str) or len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
