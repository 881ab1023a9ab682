"""The simulators' inquiry interfaces over HTTP: Yahoo's externalTalk* APIs, Rakuten's 問い合わせ管理API and
Amazon's Maildir and relay, plus the control API's view of a thread."""

from __future__ import annotations

import base64
import mailbox
import smtplib
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import requests

JST = timezone(timedelta(hours=9))
TALK = "/ShoppingWebService/V1"
INQUIRY = "/es/1.0/inquirymng-api"


def an_order() -> dict:
    return {
        "items": [{"sku": "TSHIRT-BLK-M", "quantity": 1, "price": 2980}],
        "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
        "ship_to": {"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区",
                    "address1": "千代田1-1", "address2": "", "phone": "090-1234-5678"},
        "delivery_date": None, "delivery_time": "", "payment": "credit_card", "remarks": "",
    }  # fmt: skip


def ask(sim, body: str = "いつ届きますか？") -> tuple[str, str]:
    order_id = sim.control("POST", "orders", an_order()).json()["order_id"]
    return order_id, sim.control("POST", "inquiries", {"order_id": order_id, "body": body}).json()[
        "inquiry_id"
    ]


# ---- Yahoo ----------------------------------------------------------------------------------------------
@pytest.fixture
def yahoo(start_simulator):
    sim = start_simulator("yahoo")
    c = sim.credentials
    form = {"grant_type": "refresh_token", "refresh_token": c["refresh_token"]}
    token = requests.post(
        sim.url + "/yconnect/v2/token", data=form, auth=(c["client_id"], c["client_secret"]), timeout=5
    )
    sim.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return sim


def talk(sim, method: str, api: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{sim.url}{TALK}/{api}", headers=sim.headers, timeout=5, **kwargs)


def test_yahoo_lists_topics_20_at_most_and_hides_the_buyers_name(yahoo):
    order_id, topic_id = ask(yahoo)

    answer = talk(yahoo, "GET", "externalTalkList", params={"sellerId": "demo-store"}).json()

    assert answer["summary"]["topic"] == {"start": 1, "end": 1, "count": 1}
    headline = answer["headlines"][0]
    assert (headline["topicId"], headline["orderId"], headline["isNoAnswer"]) == (topic_id, order_id, True)
    assert "山田" not in str(answer)
    too_many = talk(yahoo, "GET", "externalTalkList", params={"sellerId": "demo-store", "result": "21"})
    assert too_many.status_code == 400


def test_yahoo_request_filter_and_post_time_window(yahoo):
    _order, answered = ask(yahoo)
    ask(yahoo)
    talk(
        yahoo,
        "POST",
        "externalTalkAdd",
        params={"topicId": answered},
        json={"sellerId": "demo-store", "body": "はい"},
    )

    def topics(**params) -> list[str]:
        answer = talk(yahoo, "GET", "externalTalkList", params={"sellerId": "demo-store", **params})
        return [h["topicId"] for h in answer.json()["headlines"]]

    assert topics(requestFilter="asnwered") == [answered]
    assert answered not in topics(requestFilter="unanswered")
    later = str(int(datetime.now(JST).timestamp()) + 60)
    assert topics(dateType="userPostTime", startDate=later) == []
    assert topics(dateType="sellerPostTime", endDate=later) == [answered]


def test_yahoo_post_answers_the_message_id_and_a_completed_topic_takes_no_post(yahoo):
    _order, topic_id = ask(yahoo)

    posted = talk(yahoo, "POST", "externalTalkAdd", params={"topicId": topic_id},
                  json={"sellerId": "demo-store", "body": "明日発送します"})  # fmt: skip
    done = talk(
        yahoo, "PUT", "externalTalkComplete", params={"topicId": topic_id}, json={"sellerId": "demo-store"}
    )
    refused = talk(yahoo, "POST", "externalTalkAdd", params={"topicId": topic_id},
                   json={"sellerId": "demo-store", "body": "追伸"})  # fmt: skip

    assert (posted.json()["topicid"], posted.json()["messageid"]) == (topic_id, 2)
    assert done.json() == {"status": "ok"}
    assert refused.status_code == 400
    detail = talk(
        yahoo, "GET", "externalTalkDetail", params={"sellerId": "demo-store", "topicId": topic_id}
    ).json()
    assert detail["topic"]["isComplete"] is True
    assert [(m["postUserType"], m["body"]) for m in detail["messages"]] == [
        ("user", "いつ届きますか？"),
        ("seller", "明日発送します"),
    ]


def test_yahoo_talk_apis_need_a_token(yahoo):
    answer = requests.get(f"{yahoo.url}{TALK}/externalTalkList", params={"sellerId": "demo-store"}, timeout=5)
    assert answer.status_code == 401


# ---- Rakuten --------------------------------------------------------------------------------------------
@pytest.fixture
def rakuten(start_simulator):
    sim = start_simulator("rakuten")
    c = sim.credentials
    sim.headers = {
        "Authorization": "ESA "
        + base64.b64encode(f"{c['service_secret']}:{c['license_key']}".encode()).decode()
    }
    return sim


def window(days: int = 1) -> dict:
    now = datetime.now(JST)
    return {"fromDate": (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S"),
            "toDate": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip


def rms(sim, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{sim.url}{INQUIRY}{path}", headers=sim.headers, timeout=5, **kwargs)


def test_rakuten_lists_inquiries_with_their_replies_and_the_buyers_name(rakuten):
    order_id, number = ask(rakuten)
    reply = rms(
        rakuten,
        "POST",
        "/inquiry/reply",
        json={"inquiryNumber": number, "shopId": "100001", "message": "はい"},
    )

    listed = rms(rakuten, "GET", "/inquiries", params=window()).json()

    assert reply.status_code == 201 and reply.json()["result"]["replyFrom"] == "merchant"
    assert (listed["totalCount"], listed["page"]) == (1, 1)
    item = listed["list"][0]
    assert (item["inquiryNumber"], item["orderNumber"], item["userName"]) == (number, order_id, "山田 太郎")
    assert [(r["id"], r["replyFrom"], r["message"]) for r in item["replies"]] == [(0, "merchant", "はい")]


@pytest.mark.parametrize(
    ("params", "target"),
    [({"fromDate": "2026-01-01"}, "fromDate"), ({"limit": "101"}, "limit"), ("span", "fromDate")],
)
def test_rakuten_refuses_bad_list_parameters_with_ie001(rakuten, params, target):
    params = window(40) if params == "span" else {**window(), **params}

    answer = rms(rakuten, "GET", "/inquiries", params=params)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "IE001"
    assert target in answer.json()["error"]["targets"]


def test_rakuten_refuses_a_reply_linking_outside_rakuten_and_completes_an_inquiry(rakuten):
    _order, number = ask(rakuten)

    refused = rms(rakuten, "POST", "/inquiry/reply",
                  json={"inquiryNumber": number, "shopId": "100001", "message": "http://example.com"})  # fmt: skip
    done = rms(rakuten, "PATCH", "/inquiries/complete", json={"inquiryNumbers": [number, "100001-x-1t"]})
    again = rms(rakuten, "PATCH", "/inquiries/complete", json={"inquiryNumbers": [number]})

    assert refused.status_code == 400 and "message" in refused.json()["error"]["targets"]
    assert done.json()["result"] == {
        "ok": [number],
        "error": [{"inquiryNumber": "100001-x-1t", "errorMessage": "not found."}],
    }
    assert again.json()["result"]["error"][0]["errorMessage"] == "already set value as specified"
    assert rms(rakuten, "GET", f"/inquiry/{number}").json()["result"]["isCompleted"] is True


# ---- Amazon ---------------------------------------------------------------------------------------------
def test_amazon_mails_each_buyer_message_into_the_maildir_from_the_relay(start_simulator, tmp_path):
    sim = start_simulator("amazon", extra_args=("--maildir", str(tmp_path / "Maildir")))
    order_id, inquiry_id = ask(sim)

    info = sim.control("GET", "maildir").json()
    mails = list(mailbox.Maildir(info["maildir"], create=False))

    assert info["maildir"] == str(tmp_path / "Maildir") and info["smtp"] is None
    assert len(mails) == 1
    mail = message_from_bytes(mails[0].as_bytes(), policy=policy.default)
    assert (
        mail["From"].addresses[0].addr_spec
        == sim.control("GET", f"inquiries/{inquiry_id}").json()["relay_address"]
    )
    assert f"注文番号 {order_id}" in mail["Subject"]
    assert mail.get_body().get_content().startswith("いつ届きますか？")


def test_amazons_relay_takes_a_reply_by_smtp_and_refuses_unknown_addresses(start_simulator):
    sim = start_simulator("amazon", extra_args=("--smtp-port", "0"))
    _order, inquiry_id = ask(sim)
    relay = sim.control("GET", f"inquiries/{inquiry_id}").json()["relay_address"]
    smtp = sim.control("GET", "maildir").json()["smtp"]
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = "shop@example.jp", relay, "Re: お問い合わせ"
    reply.set_content("本日発送しました。")

    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=5) as client:
        client.send_message(reply)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.send_message(reply, to_addrs=["nobody@marketplace.amazon.co.jp"])

    assert sim.control("GET", f"inquiries/{inquiry_id}").json()["replies"] == ["本日発送しました。"]


def test_amazons_relay_takes_a_reply_posted_to_the_control_api(start_simulator):
    sim = start_simulator("amazon")
    _order, inquiry_id = ask(sim)
    relay = sim.control("GET", f"inquiries/{inquiry_id}").json()["relay_address"]
    raw = f"From: shop@example.jp\r\nTo: {relay}\r\nSubject: Re\r\n\r\nOK\r\n".encode()

    answer = requests.post(sim.url + "/_sim/relay", data=raw, timeout=5)

    assert answer.status_code == 201
    assert sim.control("GET", f"inquiries/{inquiry_id}").json()["replies"] == ["OK"]


# ---- control API ----------------------------------------------------------------------------------------
def test_a_buyer_can_write_again_and_the_thread_shows_every_message(start_simulator):
    sim = start_simulator("rakuten")
    _order, inquiry_id = ask(sim)

    again = sim.control("POST", f"inquiries/{inquiry_id}/messages", {"body": "追伸です"})

    assert again.status_code == 201
    view = sim.control("GET", f"inquiries/{inquiry_id}").json()
    assert [(m["from"], m["body"]) for m in view["messages"]] == [
        ("buyer", "いつ届きますか？"),
        ("buyer", "追伸です"),
    ]
    assert view["status"] == "open" and view["replies"] == []
    assert sim.control("GET", "inquiries/nope").status_code == 404
