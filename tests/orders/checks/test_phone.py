"""The phone check: Japanese numbers in the forms customers and shops write them (総務省 numbering plan)."""

import pytest

from orders.checks.phone import check_phone, normalize_phone

ACCEPTED = [
    # fixed lines: 0 + area code, 10 digits, whatever the length of the area code
    ("03-1234-5678", "0312345678"),
    ("06-6123-4567", "0661234567"),
    ("011-123-4567", "0111234567"),
    ("0467-12-3456", "0467123456"),
    ("01267-2-3456", "0126723456"),
    ("0312345678", "0312345678"),
    # mobiles and IP phones, 11 digits
    ("090-1234-5678", "09012345678"),
    ("080-1234-5678", "08012345678"),
    ("070-1234-5678", "07012345678"),
    ("09012345678", "09012345678"),
    ("050-1234-5678", "05012345678"),
    # toll free and ナビダイヤル
    ("0120-123-456", "0120123456"),
    ("0800-123-4567", "08001234567"),
    ("0570-123-456", "0570123456"),
    # other widths, dashes, parentheses, spaces
    ("０９０－１２３４－５６７８", "09012345678"),
    ("090ー1234ー5678", "09012345678"),
    ("090‐1234‐5678", "09012345678"),
    ("090 1234 5678", "09012345678"),
    ("(03)1234-5678", "0312345678"),
    ("03(1234)5678", "0312345678"),
    ("（０３）１２３４－５６７８", "0312345678"),
    (" 03-1234-5678 ", "0312345678"),
    # the international form
    ("+81-90-1234-5678", "09012345678"),
    ("+81 3 1234 5678", "0312345678"),
    ("+81(0)3-1234-5678", "0312345678"),
    ("＋８１－９０－１２３４－５６７８", "09012345678"),
]

REFUSED = [
    ("03-1234-567", "固定電話は市外局番から10桁ですが9桁です"),  # too short
    ("03-1234-56789", "固定電話は市外局番から10桁ですが11桁です"),  # too long
    ("090-1234-567", "携帯電話は11桁ですが10桁です"),
    ("090-1234-56789", "携帯電話は11桁ですが12桁です"),
    ("050-1234-567", "IP電話は11桁ですが10桁です"),
    ("0120-123-4567", "フリーダイヤルは10桁ですが11桁です"),
    ("0800-123-456", "フリーダイヤルは11桁ですが10桁です"),
    ("90-1234-5678", "0 で始まっていません"),
    ("1234567890", "0 で始まっていません"),
    ("000-1234-5678", "00 で始まる番号は国際・事業者識別番号です"),
    ("0081-3-1234-5678", "00 で始まる番号は国際・事業者識別番号です"),
    ("090-0123-4567", "090 の次が 0 の番号はありません"),
    ("0990-123-456", "ダイヤルQ2（廃止）の番号です"),
    ("03-1234-abcd", "数字以外の文字が含まれています"),
    ("TEL 03-1234-5678", "数字以外の文字が含まれています"),
    ("03-1234-5678 内線12", "数字以外の文字が含まれています"),
    ("+1-212-555-0123", "外国の番号です"),
    ("+44 20 7946 0000", "外国の番号です"),
]


@pytest.mark.parametrize(("phone", "digits"), ACCEPTED)
def test_a_japanese_number_passes(phone, digits):
    # given a Japanese number in one of the ways people write it
    # when it is checked / then nothing holds it
    assert check_phone(phone) == []


@pytest.mark.parametrize(("phone", "digits"), ACCEPTED)
def test_normalize_phone_gives_domestic_digits(phone, digits):
    assert normalize_phone(phone) == digits


@pytest.mark.parametrize(("phone", "reason"), REFUSED)
def test_a_number_that_is_not_japanese_is_refused_with_the_reason(phone, reason):
    # when checked
    issues = check_phone(phone)
    # then it holds with phone_invalid, quoting the number and saying why
    assert [issue.code for issue in issues] == ["phone_invalid"]
    assert f"電話番号「{phone.strip()}」は日本の電話番号ではありません（{reason}）" in issues[0].message


@pytest.mark.parametrize(("phone", "reason"), REFUSED)
def test_normalize_phone_gives_none_for_a_refused_number(phone, reason):
    assert normalize_phone(phone) is None


@pytest.mark.parametrize("phone", ["", "   ", None])
def test_a_missing_number_is_refused(phone):
    issues = check_phone(phone)
    assert [issue.code for issue in issues] == ["phone_invalid"]
    assert "入力されていません" in issues[0].message
    assert normalize_phone(phone) is None


def test_the_issue_code_is_a_project_hold_code():
    from orders.holds import HOLD_CODES

    assert check_phone("12345")[0].code in HOLD_CODES
