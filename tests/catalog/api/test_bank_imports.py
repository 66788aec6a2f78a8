"""Importing question files through the API: modes, reports, duplicates, hostile files."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Role
from catalog.banks.models import Question
from catalog.database import db
from catalog.runtime import runtime
from tests.support.presigned import call_url

HEADER = "题型,题干,选项A,选项B,选项C,答案,解析,难度,知识点\n"
GOOD = [
    "单选,10kV 属于哪一电压等级？,低压,中压,高压,B,中压配电网,2,电压等级",
    "多选,哪些是安全工器具？,绝缘手套,验电器,扳手,AB,,3,安全",
    "判断,停电作业必须先验电,,,,√,,1,安全",
    "填空,我国工频为____Hz,,,,50,,2,",
]


@pytest.fixture
def editor(login_as: Callable[..., dict]) -> dict:
    return login_as(Role.EDITOR)


@pytest.fixture
def bank(client: FlaskClient, editor: dict) -> int:
    return int(
        client.post("/api/v1/banks", json={"name": "导入测试"}, headers=editor).get_json()["id"]
    )


def upload(
    client: FlaskClient, headers: dict, bank: int, name: str, data: bytes, **form: Any
) -> Any:
    fields = {"file": (io.BytesIO(data), name), **{k: str(v).lower() for k, v in form.items()}}
    return client.post(
        f"/api/v1/banks/{bank}/imports",
        data=fields,
        headers=headers,
        content_type="multipart/form-data",
    )


def count(bank: int) -> int:
    return (
        db.session.scalar(
            db.select(db.func.count()).select_from(Question).where(Question.bank_id == bank)
        )
        or 0
    )


def test_a_clean_file_imports_everything(client: FlaskClient, editor: dict, bank: int) -> None:
    response = upload(client, editor, bank, "题库.csv", (HEADER + "\n".join(GOOD)).encode())
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "done"
    assert body["counts"] == {
        "read": 4,
        "valid": 4,
        "errors": 0,
        "warnings": 0,
        "imported": 4,
        "publish": 0,
    }
    assert count(bank) == 4
    task = client.get(f"/api/v1/tasks/{body['task_id']}", headers=editor).get_json()
    assert task["status"] == "done"
    # The uploaded file is kept with the import record.
    with runtime().object_store.get(f"banks/{bank}/imports/{body['id']}/_.csv") as kept:
        assert kept.read().decode() == HEADER + "\n".join(GOOD)


def test_all_or_nothing_imports_nothing_and_reports_row_and_column(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    rows = [*GOOD, "单选,坏答案,甲,乙,,E,,2,", "论述,未知题型,,,,x,,,", "判断,坏判断,,,,也许,,,"]
    body = upload(client, editor, bank, "q.csv", (HEADER + "\n".join(rows)).encode()).get_json()
    assert body["status"] == "failed"
    assert body["counts"]["imported"] == 0
    assert count(bank) == 0
    located = [(p["row"], p["column"]) for p in body["problems"]]
    assert located == [(6, "F (答案)"), (7, "A (题型)"), (8, "F (答案)")]
    assert all(" / " in p["message"] for p in body["problems"])  # Chinese / English
    task = client.get(f"/api/v1/tasks/{body['task_id']}", headers=editor).get_json()
    assert task["status"] == "failed"
    assert "3" in task["message"]


def test_skip_invalid_imports_the_valid_ones(client: FlaskClient, editor: dict, bank: int) -> None:
    rows = [*GOOD, "单选,坏答案,甲,乙,,E,,2,"]
    body = upload(
        client,
        editor,
        bank,
        "q.csv",
        (HEADER + "\n".join(rows)).encode(),
        mode="skip_invalid",
        publish=True,
    ).get_json()
    assert body["status"] == "done"
    assert body["counts"]["imported"] == 4
    assert body["counts"]["errors"] == 1
    assert {q.status.value for q in db.session.scalars(db.select(Question))} == {"published"}


def test_dry_run_reports_without_importing(client: FlaskClient, editor: dict, bank: int) -> None:
    body = upload(
        client, editor, bank, "q.csv", (HEADER + "\n".join(GOOD)).encode(), dry_run=True
    ).get_json()
    assert body["dry_run"] is True
    assert body["counts"]["valid"] == 4
    assert body["counts"]["imported"] == 0
    assert count(bank) == 0


def test_duplicates_within_the_file_and_against_the_bank(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    upload(client, editor, bank, "first.csv", (HEADER + GOOD[0]).encode())
    rows = [GOOD[0].replace("10kV", "１０ｋＶ"), GOOD[1], GOOD[1], GOOD[2].replace("先", "先要")]
    body = upload(
        client, editor, bank, "second.csv", (HEADER + "\n".join(rows)).encode(), mode="skip_invalid"
    ).get_json()
    errors = [p for p in body["problems"] if p["severity"] == "error"]
    warnings = [p for p in body["problems"] if p["severity"] == "warning"]
    assert [(p["row"], "题库中已有" in p["message"]) for p in errors] == [(2, True), (4, False)]
    assert errors[1]["message"] == "与本文件第 3 行重复 / duplicates row 3 of the file"
    assert body["counts"]["imported"] == 2
    assert warnings == [] or all(p["row"] for p in warnings)


def test_the_same_question_with_two_answers_is_a_conflict_naming_both(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """Duplicates whose answers differed were reported as plain duplicates and the first row
    kept, whichever key was right; two GIFT true/false questions alike but for their answer
    were called duplicates (issue 17)."""
    rows = ["判断,停电检修前必须验电。,对", "判断,停电检修前必须验电。,错"]
    body = upload(
        client, editor, bank, "two-keys.csv", ("题型,题干,答案\n" + "\n".join(rows)).encode()
    ).get_json()
    [conflict] = [p for p in body["problems"] if p["severity"] == "error"]
    assert conflict["row"] == 3 and conflict["field"] == "answer"
    assert "第 2 行" in conflict["message"] and "对 与 错" in conflict["message"]
    assert body["status"] == "failed" and count(bank) == 0


def test_a_key_is_compared_by_its_options_text_not_its_letters(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """Two rows with the options in another order and the same right text were called a
    conflict; two GIFT questions with the same options and different right texts were called
    plain duplicates (issue 17 attack)."""
    same = ["单选,哪个对？,甲,乙,丙,A", "单选,哪个对？,乙,甲,丙,B"]
    body = upload(
        client,
        editor,
        bank,
        "shuffled.csv",
        ("题型,题干,选项A,选项B,选项C,答案\n" + "\n".join(same)).encode(),
        mode="skip_invalid",
    ).get_json()
    [duplicate] = [p for p in body["problems"] if p["severity"] == "error"]
    assert duplicate["message"] == "与本文件第 2 行重复 / duplicates row 2 of the file"
    gift = "::D5:: 选一个 {=a ~b ~c}\n\n::D7:: 选一个 {=b ~a ~c}\n"
    body = upload(client, editor, bank, "keys.gift", gift.encode(), mode="skip_invalid").get_json()
    [conflict] = [p for p in body["problems"] if p["severity"] == "error"]
    assert "答案不同" in conflict["message"]
    assert "A（a）" in conflict["message"] and "A（b）" in conflict["message"]


def test_a_key_that_differs_from_the_banks_own_question_is_a_conflict(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """Re-importing a corrected key was reported as a plain duplicate of the bank's question."""
    upload(client, editor, bank, "first.gift", "选一个 {=甲 ~乙}".encode())
    body = upload(client, editor, bank, "again.gift", "选一个 {~甲 =乙}".encode()).get_json()
    [conflict] = [p for p in body["problems"] if p["severity"] == "error"]
    assert "题库中的试题" in conflict["message"] and "答案不同" in conflict["message"]
    assert "甲" in conflict["message"] and "乙" in conflict["message"]
    same = upload(client, editor, bank, "same.gift", "选一个 {~乙 =甲}".encode()).get_json()
    [duplicate] = [p for p in same["problems"] if p["severity"] == "error"]
    assert "重复" in duplicate["message"]


def test_near_duplicates_are_warnings_not_errors(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    rows = [
        "单选,变压器的主要作用是什么？,变压,发电,,A,,2,",
        "单选,变压器的主要作用都有什么？,变压,发电,,A,,2,",
    ]
    body = upload(client, editor, bank, "q.csv", (HEADER + "\n".join(rows)).encode()).get_json()
    assert body["status"] == "done"
    assert body["counts"]["imported"] == 2
    [warning] = body["problems"]
    assert warning["severity"] == "warning"
    assert warning["row"] in {2, 3}
    assert "相似" in warning["message"]


def test_gift_and_xml_and_aiken_import(client: FlaskClient, editor: dict, bank: int) -> None:
    gift = "::G1::停电检修时应首先？{~验电 =断开电源 ~挂接地线}\n\n匹配 {=a -> b}\n"
    body = upload(client, editor, bank, "q.gift", gift.encode(), mode="skip_invalid").get_json()
    assert body["counts"]["imported"] == 1
    assert body["problems"][0]["line"] == 3
    aiken = "燃气泄漏时应？\nA. 打开窗户\nB. 开灯检查\nANSWER: A\n"
    body = upload(client, editor, bank, "q.txt", aiken.encode(), format="aiken").get_json()
    assert body["counts"]["imported"] == 1
    xml = (
        "<quiz><question type='truefalse'><name><text>T</text></name><questiontext "
        "format='html'><text>可以带电挂接地线。</text></questiontext><answer fraction='0'>"
        "<text>true</text></answer><answer fraction='100'><text>false</text></answer>"
        "</question></quiz>"
    )
    body = upload(client, editor, bank, "q.xml", xml.encode()).get_json()
    assert body["counts"]["imported"] == 1
    assert count(bank) == 3


def test_moodle_images_are_stored(client: FlaskClient, editor: dict, bank: int) -> None:
    import base64

    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
    xml = (
        "<quiz><question type='truefalse'><name><text>T</text></name><questiontext "
        f"format='html'><text>看图判断</text><file name='pic.png' encoding='base64'>"
        f"{base64.b64encode(png).decode()}</file></questiontext><answer fraction='100'>"
        "<text>true</text></answer></question></quiz>"
    )
    upload(client, editor, bank, "q.xml", xml.encode())
    question = db.session.scalars(db.select(Question)).one()
    qid = question.id
    view = client.get(f"/api/v1/questions/{qid}", headers=editor).get_json()
    [key] = view["stem_images"]
    with runtime().object_store.get(key) as body:
        assert body.read() == png


def test_files_in_a_question_must_be_images_by_their_bytes(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """An SVG with a script and HTML named .png inside a Moodle XML question were stored as
    stem images typed by their names (issue 15's attacker, finding 9)."""
    import base64

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<!DOCTYPE html><html><script>alert(document.domain)</script></html>"
    files = "".join(
        f"<file name='{name}' encoding='base64'>{base64.b64encode(data).decode()}</file>"
        for name, data in (("x.svg", svg), ("y.png", html))
    )
    xml = (
        "<quiz><question type='truefalse'><name><text>T</text></name><questiontext "
        f"format='html'><text>看图判断</text>{files}</questiontext><answer fraction='100'>"
        "<text>true</text></answer></question></quiz>"
    )
    reply = upload(client, editor, bank, "q.xml", xml.encode()).get_json()
    assert reply["status"] == "failed" and count(bank) == 0
    messages = " ".join(p["message"] for p in reply["problems"])
    assert "x.svg" in messages and "y.png" in messages
    assert not list(runtime().object_store.list(f"banks/{bank}/images/"))


@pytest.mark.parametrize(
    ("name", "data", "status", "needle"),
    [
        ("q.pdf", b"%PDF-1.7", 415, ".pdf"),
        ("q.txt", b"anything", 422, "GIFT"),
    ],
)
def test_refused_at_upload(
    client: FlaskClient, editor: dict, bank: int, name: str, data: bytes, status: int, needle: str
) -> None:
    response = upload(client, editor, bank, name, data)
    assert response.status_code == status
    assert needle in response.get_data(as_text=True)


def test_oversized_file_is_413(
    make_app: Callable[..., Flask], login_as: Callable[..., dict]
) -> None:
    app = make_app(import_max_bytes=10_000)
    client = app.test_client()
    with app.app_context():
        headers = login_as(Role.EDITOR)
        bank = client.post("/api/v1/banks", json={"name": "小"}, headers=headers).get_json()["id"]
        response = upload(client, headers, bank, "big.csv", b"x" * 50_000)
    assert response.status_code == 413
    assert response.get_json()["error"]["details"]["max_bytes"] == 10_000


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("neither.csv", HEADER.encode() + b"\xff\x80,\xff\n", "UTF-8"),
        (
            "bad.xml",
            b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<quiz>&x;</quiz>",
            "实体",
        ),
        ("fake.xlsx", b"PK\x03\x04garbage", ".xlsx"),
    ],
)
def test_hostile_or_wrong_files_fail_cleanly(
    client: FlaskClient, editor: dict, bank: int, name: str, data: bytes, needle: str
) -> None:
    body = upload(client, editor, bank, name, data).get_json()
    assert body["status"] == "failed"
    assert needle in body["problems"][0]["message"]
    assert count(bank) == 0


def test_a_csv_saved_by_chinese_excel_imports_and_the_report_says_gbk(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """GBK ("ANSI") is what Chinese Excel saves as CSV: refused before the issue 17 attack."""
    body = upload(client, editor, bank, "gbk.csv", (HEADER + GOOD[0]).encode("gbk")).get_json()
    assert body["status"] == "done" and count(bank) == 1
    [note] = body["problems"]
    assert note["severity"] == "warning" and "GB18030" in note["message"]


def test_zip_bomb_xlsx_fails_cleanly(client: FlaskClient, editor: dict, bank: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    body = upload(client, editor, bank, "bomb.xlsx", buffer.getvalue()).get_json()
    assert body["status"] == "failed"
    assert "压缩炸弹" in body["problems"][0]["message"]


def test_large_reports_go_to_object_storage(
    app: Flask, client: FlaskClient, editor: dict, bank: int
) -> None:
    rows = [f"单选,坏题{n},甲,乙,,E,,2," for n in range(1200)]
    body = upload(client, editor, bank, "q.csv", (HEADER + "\n".join(rows)).encode()).get_json()
    assert body["problem_count"] == 1200
    assert len(body["problems"]) == 1000
    report = json.loads(call_url(app, "GET", body["report_url"]).body)
    assert len(report["problems"]) == 1200
    assert report["problems"][-1]["row"] == 1201


def test_learners_cannot_import(
    client: FlaskClient, bank: int, login_as: Callable[..., dict]
) -> None:
    response = upload(client, login_as(Role.LEARNER), bank, "q.csv", HEADER.encode())
    assert response.status_code == 403


def test_template_is_a_workbook_with_samples(client: FlaskClient, editor: dict) -> None:
    response = client.get("/api/v1/banks/import-template.xlsx", headers=editor)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert "xl/workbook.xml" in archive.namelist()


def test_an_object_of_another_type_is_never_accepted_as_a_stem_image(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """Accepting read the final object's type and trusted it: an SVG put at an image key by
    another path was accepted when named in stem_images (issue 15's attacker, finding 9)."""
    key = f"banks/{bank}/images/planted.svg"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    runtime().object_store.put(key, io.BytesIO(svg), content_type="image/svg+xml")
    body = {
        "type": "true_false",
        "stem": "看图判断：接地线应先接接地端",
        "answer": {"correct": True},
        "stem_images": [key],
    }
    refused = client.post(f"/api/v1/banks/{bank}/questions", json=body, headers=editor)
    assert refused.status_code == 422
    assert "stem_images" in refused.get_json()["error"]["details"]["json"]


def test_a_warned_question_is_imported_and_the_warning_reported(
    client: FlaskClient, editor: dict, bank: int
) -> None:
    """A warning (partial credit the bank cannot hold) says what changed; it does not refuse."""
    gift = "Jesus Christ was from {~Jerusalem ~%50%Galilee =Nazareth}"
    body = upload(client, editor, bank, "q.gift", gift.encode()).get_json()
    assert body["status"] == "done" and body["counts"]["imported"] == 1
    [warning] = body["problems"]
    assert warning["severity"] == "warning" and "50%" in warning["message"]
