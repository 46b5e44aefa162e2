"""Admin routes (`service.admin`) and internal documents, in-process and fast: the routes exist
only with an admin key and ask for it; uploads are judged by their content, stored under the
service's own names inside `<data_dir>/uploads`, and indexed; an internal upload (the `noi-bo`
folder) answers officers only; a broken upload is refused with its reason and the serving
index stays as it was.

Hash embedder over the two-file tiny corpus.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, ROOT, TINY, assert_error
from fastapi.testclient import TestClient
from pypdf import PdfWriter

from retriever.build import INTERNAL_FOLDERS, visibility_of
from retriever.scope import Scope
from service.admin import SAFE_NAME
from service.engine import build_engine
from service.settings import Settings

ADMIN = "khoa-quan-tri-thu-nghiem"
OFFICER = "khoa-can-bo-thu-nghiem"
AS_ADMIN = {"X-API-Key": ADMIN}
AS_OFFICER = {"X-API-Key": OFFICER}
FIXTURES = ROOT / "tests" / "fixtures"

PUBLIC_PLAN = """KẾ HOẠCH
Cải cách hành chính nhà nước năm 2026 xã Tân Lập

I. NHIỆM VỤ
1. Cải cách thủ tục hành chính
- Công an xã triển khai cấp căn cước lưu động tại thôn Đồng Tâm trong Quý II/2026.
"""
PUBLIC_QUERY = "cấp căn cước lưu động thôn Đồng Tâm"
INTERNAL_PLAN = """**KẾ HOẠCH
Kiểm tra công vụ năm 2026 xã Hòa Lạc**

## **I. NHIỆM VỤ**
- Văn phòng HĐND và UBND xã triển khai kiểm tra đột xuất việc tiếp nhận hồ sơ tại Bộ phận Một cửa.
"""
INTERNAL_QUESTION = "Xã Hòa Lạc kiểm tra đột xuất việc tiếp nhận hồ sơ thế nào?"
INTERNAL_WORDS = "kiểm tra đột xuất"


@pytest.fixture
def admin(serve) -> TestClient:
    return serve(admin_api_key=ADMIN, officer_api_key=OFFICER)


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "data" / "uploads"


def upload(
    client: TestClient,
    name: str,
    data: bytes | str,
    visibility: str | None = None,
    headers: dict | None = None,
) -> httpx.Response:
    data = data.encode() if isinstance(data, str) else data
    form = {"visibility": visibility} if visibility else None
    return client.post(
        "/api/admin/documents",
        files={"file": (name, data)},
        data=form,
        headers=AS_ADMIN if headers is None else headers,
    )


def upload_raw_name(client: TestClient, name: bytes, data: bytes) -> httpx.Response:
    """An upload whose file name goes on the wire byte for byte (httpx would escape it)."""
    boundary = b"tthc-boundary-7d41"
    body = (
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )
    return client.post(
        "/api/admin/documents",
        content=body,
        headers={**AS_ADMIN, "content-type": "multipart/form-data; boundary=" + boundary.decode()},
    )


def search(client: TestClient, query: str, **headers) -> list[dict]:
    response = client.post("/api/search", json={"query": query, "k": 10}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def files_under(folder: Path) -> set[str]:
    """Every path below `folder`, but the journal (opened and purged in the background)."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if not p.name.startswith("journal.sqlite")
    }


def stored_files(uploads: Path) -> list[Path]:
    """Every file kept under `<data_dir>/uploads`, partial ones included."""
    return [p for p in uploads.rglob("*") if p.is_file()]


def generation(client: TestClient) -> str:
    return client.get("/readyz").json()["generation"]


# --- the routes exist only with a key, and ask for it -------------------------------------


def test_without_an_admin_key_administration_is_off_and_says_which_setting_turns_it_on(
    serve, uploads
):
    client = serve()
    before = generation(client)
    calls = [
        client.get("/api/admin/documents"),
        upload(client, "ke-hoach.md", PUBLIC_PLAN),
        upload(client, "ke-hoach.md", PUBLIC_PLAN, headers={"X-API-Key": "bat-ky"}),
        client.post("/api/admin/reindex", headers={"X-API-Key": ""}),
        client.delete("/api/admin/documents/ke-hoach-12345678.md", headers={"X-API-Key": "x"}),
    ]

    for response in calls:
        error = assert_error(response, 403)
        assert error["code"] == "admin_disabled"
        assert "đang tắt" in error["message"] and "TTHC_ADMIN_API_KEY" in error["message"]
    assert stored_files(uploads) == [] and generation(client) == before
    assert not any(
        path.startswith("/api/admin") for path in client.get("/openapi.json").json()["paths"]
    )


def test_without_an_admin_key_the_admin_page_says_administration_is_off(serve):
    page = serve().get("/quan-tri")

    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Chức năng quản trị đang tắt" in page.text and "TTHC_ADMIN_API_KEY" in page.text
    assert "<form" not in page.text and "<script" not in page.text  # nothing to type a key in
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_with_an_admin_key_the_admin_page_is_the_form(admin):
    page = admin.get("/quan-tri")

    assert page.status_code == 200 and 'id="a-key"' in page.text


def test_with_an_admin_key_the_routes_are_documented(admin):
    paths = admin.get("/openapi.json").json()["paths"]

    assert "/api/admin/documents" in paths and {"get", "post"} <= set(paths["/api/admin/documents"])


@pytest.mark.parametrize(
    "call",
    [
        lambda c, h: c.get("/api/admin/documents", headers=h),
        lambda c, h: upload(c, "ke-hoach.md", PUBLIC_PLAN, headers=h),
        lambda c, h: c.post("/api/admin/reindex", headers=h),
        lambda c, h: c.delete("/api/admin/documents/ke-hoach-12345678.md", headers=h),
    ],
    ids=["list", "upload", "reindex", "delete"],
)
def test_admin_routes_answer_401_without_the_key_and_403_with_a_wrong_one(admin, uploads, call):
    assert_error(call(admin, {}), 401)
    assert_error(call(admin, {"X-API-Key": ""}), 401)
    assert_error(call(admin, {"X-API-Key": ADMIN + "x"}), 403)
    assert_error(call(admin, {"X-API-Key": OFFICER}), 403)  # an officer is not an administrator
    assert stored_files(uploads) == []


# --- uploading ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Kế hoạch CCHC Tân Lập (bản cuối).md", "ke_hoach_tan_lap.TXT"])
def test_an_uploaded_plan_is_stored_under_its_own_name_indexed_and_searchable(admin, uploads, name):
    response = upload(admin, name, PUBLIC_PLAN)

    assert response.status_code == 201, response.text
    document = response.json()["document"]
    stored = document["stored_as"]
    assert SAFE_NAME.match(stored) and stored != name
    assert document["visibility"] == "public" and document["status"] == "indexed"
    assert files_under(uploads) == {"cong-khai", f"cong-khai/{stored}"}
    assert (uploads / "cong-khai" / stored).read_text(encoding="utf-8") == PUBLIC_PLAN

    [listed] = admin.get("/api/admin/documents", headers=AS_ADMIN).json()["documents"]
    assert (
        listed["stored_as"] == stored
        and listed["status"] == "indexed"
        and listed["visibility"] == "public"
    )
    assert listed["titles"] == ["Kế hoạch Cải cách hành chính nhà nước năm 2026 xã Tân Lập"]

    top = search(admin, PUBLIC_QUERY)[0]
    assert top["source"] == stored and "căn cước lưu động" in top["text"]
    assert top["doc_id"] in {d["doc_id"] for d in admin.get("/api/documents").json()["documents"]}


def test_an_upload_keeps_the_rest_of_the_index(admin):
    before = {d["doc_id"] for d in admin.get("/api/documents").json()["documents"]}

    assert upload(admin, "tan-lap.md", PUBLIC_PLAN).status_code == 201

    after = {d["doc_id"] for d in admin.get("/api/documents").json()["documents"]}
    assert before == {"dan-hoa-2026", "duc-an-2026"} and before < after
    assert search(admin, "kế hoạch chuyển đổi số năm 2026")[0]["doc_id"] == "dan-hoa-2026"


@pytest.mark.parametrize(
    "record",
    [CORPUS / "procedures" / "1.001193.json", FIXTURES / "portal" / "1.900002.json"],
    ids=["catalogue", "portal"],
)
def test_a_procedure_record_can_be_uploaded(admin, record):
    code = record.stem

    response = upload(admin, "thu-tuc.json", record.read_bytes())

    assert response.status_code == 201, response.text
    found = admin.get(f"/api/procedures/{code}")
    assert found.status_code == 200 and found.json()["code"] == code
    kinds = {
        d["kind"]
        for d in admin.get("/api/documents").json()["documents"]
        if d["source"].endswith(".json")
    }
    assert kinds == {"procedure"}


# --- internal documents -------------------------------------------------------------------


def test_an_internal_upload_is_hidden_from_the_public(admin, uploads):
    response = upload(admin, "kiem-tra-cong-vu.md", INTERNAL_PLAN, visibility="internal")
    assert response.status_code == 201, response.text
    stored = response.json()["document"]["stored_as"]
    assert (uploads / "noi-bo" / stored).is_file()

    assert not any(r["source"] == stored for r in search(admin, INTERNAL_QUESTION))
    # an officer's key opens them on /api/search
    assert any(r["source"] == stored for r in search(admin, INTERNAL_QUESTION, **AS_OFFICER))
    answer = admin.post("/api/ask", json={"question": INTERNAL_QUESTION}).json()
    assert not any(c["source"] == stored for c in answer["citations"])
    assert INTERNAL_WORDS not in answer["answer"]
    public_documents = admin.get("/api/documents").json()["documents"]
    assert all(d["source"] != stored for d in public_documents)
    public_duties = admin.get("/api/duties").json()["duties"]
    assert public_duties and all(INTERNAL_WORDS not in d["task"] for d in public_duties)
    assert admin.get("/api/duties", params={"commune": "Hòa Lạc"}).json()["duties"] == []


@pytest.mark.parametrize("key", [OFFICER, ADMIN], ids=["officer", "admin"])
def test_an_internal_upload_answers_officers(admin, key):
    stored = upload(admin, "kiem-tra-cong-vu.md", INTERNAL_PLAN, visibility="internal").json()[
        "document"
    ]["stored_as"]
    headers = {"X-API-Key": key}

    answer = admin.post("/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers=headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["abstained"] is False and body["citations"][0]["source"] == stored
    assert INTERNAL_WORDS in body["answer"]
    documents = admin.get("/api/documents", headers=headers).json()["documents"]
    assert [d["visibility"] for d in documents if d["source"] == stored] == ["internal"]
    duties = admin.get("/api/duties", params={"commune": "Hòa Lạc"}, headers=headers).json()[
        "duties"
    ]
    assert duties and INTERNAL_WORDS in duties[0]["task"]


def test_the_officer_route_needs_a_key(serve):
    nobody = serve()
    assert_error(
        nobody.post("/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers=AS_OFFICER),
        404,
    )

    officers = serve(officer_api_key=OFFICER)
    assert_error(officers.post("/api/officer/ask", json={"question": INTERNAL_QUESTION}), 401)
    assert_error(
        officers.post(
            "/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers={"X-API-Key": "sai"}
        ),
        403,
    )
    assert (
        officers.post(
            "/api/officer/ask",
            json={"question": "Xã Dân Hòa chuyển đổi số thế nào?"},
            headers=AS_OFFICER,
        ).status_code
        == 200
    )
    # Administration is off without its own key: the officer key does not turn it on.
    refused = assert_error(officers.get("/api/admin/documents", headers=AS_OFFICER), 403)
    assert refused["code"] == "admin_disabled"

    admins_only = serve(admin_api_key=ADMIN)
    assert_error(
        admins_only.post(
            "/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers=AS_OFFICER
        ),
        403,
    )
    assert (
        admins_only.post(
            "/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers=AS_ADMIN
        ).status_code
        == 200
    )


# --- refusals -----------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def zip_without_a_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "không phải tài liệu Word")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, data, status",
    [
        ("x.pdf", PNG, 415),
        ("x.docx", bytes(range(256)) * 8, 415),
        ("x.docx", zip_without_a_document(), 415),
        ("x.exe", b"MZ\x90\x00\x03\x00\x00\x00", 415),
        ("x", b"KE HOACH", 415),
        ("x.txt", "Kế hoạch cải cách hành chính".encode("utf-16"), 415),
        (
            "x.txt",
            "Kế hoạch cải cách hành chính".encode("cp1258", errors="replace") + b"\xff\xfe",
            415,
        ),
        ("x.md", b"# Ke hoach\x00\x00", 415),
        ("x.json", b'{"title": "not a procedure"}', 422),
        ("x.json", b"[1, 2, 3]", 422),
        ("x.json", b"{not json", 415),
        ("x.txt", b"", 422),
        ("x.md", b"  \n\t ", 422),
    ],
    ids=[
        "png-as-pdf",
        "random-as-docx",
        "zip-as-docx",
        "exe",
        "no-suffix",
        "utf16-txt",
        "legacy-txt",
        "nul-in-md",
        "json-not-procedure",
        "json-list",
        "broken-json",
        "empty",
        "blank",
    ],
)
def test_what_is_not_a_document_is_refused_and_nothing_is_kept(admin, uploads, name, data, status):
    before = generation(admin)

    response = upload(admin, name, data)

    assert_error(response, status)
    assert stored_files(uploads) == []
    assert generation(admin) == before


def test_an_oversized_upload_is_refused_413(serve, uploads):
    client = serve(admin_api_key=ADMIN, max_upload_bytes=4096, max_body_bytes=1024)

    assert upload(client, "nho.md", PUBLIC_PLAN).status_code == 201, (
        "a small upload passes the JSON limit"
    )
    response = upload(client, "lon.md", PUBLIC_PLAN + "- Nhiệm vụ thêm.\n" * 400)

    assert_error(response, 413)
    assert len(stored_files(uploads)) == 1


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.txt",
        "..\\x.md",
        "/abs/x.md",
        "a/b.md",
        "../x.md",
        "..",
        ".hidden.md",
        "x" * 250 + ".md",
    ],
)
def test_path_like_names_are_refused_400_and_nothing_is_written(admin, tmp_path, uploads, name):
    before = files_under(tmp_path)

    response = upload(admin, name, PUBLIC_PLAN)

    error = assert_error(response, 400)
    assert error["code"] == "bad_file_name"
    assert files_under(tmp_path) == before
    assert not Path("/abs/x.md").exists() and not Path("/etc/passwd.txt").exists()


@pytest.mark.parametrize(
    "name", [b"a\x01b.md", b"a\tb.md", b"a\x00b.md", b"a\x1bb.md", b"x.md\x00.exe"]
)
def test_names_with_control_characters_are_refused_400(admin, tmp_path, name):
    before = files_under(tmp_path)

    response = upload_raw_name(admin, name, PUBLIC_PLAN.encode())

    assert_error(response, 400)
    assert files_under(tmp_path) == before


@pytest.mark.parametrize(
    "name", ["a\x7fb.md", "a\u0085b.md", "a\u009bb.md"], ids=["DEL", "NEL", "CSI"]
)
def test_names_with_other_control_characters_are_refused_400(admin, uploads, name):
    response = upload_raw_name(admin, name.encode(), PUBLIC_PLAN.encode())

    assert_error(response, 400)
    assert stored_files(uploads) == []


def test_a_stored_name_never_carries_a_control_character(admin, uploads):
    """What holds today even with the bug above: what is written to disk is the service's name."""
    response = upload_raw_name(admin, "Kế\x7fhoạch\u0085.md".encode(), PUBLIC_PLAN.encode())

    if response.status_code == 201:
        [stored] = stored_files(uploads)
        assert (
            SAFE_NAME.match(stored.name) and stored.name == response.json()["document"]["stored_as"]
        )
    else:
        assert_error(response, 400)


def test_a_corrupt_pdf_is_refused_and_the_index_keeps_serving(admin, uploads):
    before, results = generation(admin), search(admin, "kế hoạch chuyển đổi số năm 2026")

    response = upload(
        admin, "ke-hoach.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\ngarbage"
    )

    error = assert_error(response, 415)
    assert "PDF" in error["message"]
    assert generation(admin) == before
    assert search(admin, "kế hoạch chuyển đổi số năm 2026") == results
    assert stored_files(uploads) == []


def test_a_pdf_without_text_is_refused_with_the_reason_and_removed(admin, uploads):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = io.BytesIO()
    writer.write(blank)
    before, results = generation(admin), search(admin, "kế hoạch chuyển đổi số năm 2026")

    response = upload(admin, "ban-scan.pdf", blank.getvalue())

    error = assert_error(response, 422)
    assert error["code"] == "unreadable_document" and "Không đọc được" in error["message"]
    assert generation(admin) == before
    assert search(admin, "kế hoạch chuyển đổi số năm 2026") == results
    assert stored_files(uploads) == []
    assert admin.get("/api/admin/documents", headers=AS_ADMIN).json()["documents"] == []


# --- removing -----------------------------------------------------------------------------


def test_a_removed_upload_is_no_longer_searchable(admin, uploads):
    stored = upload(admin, "tan-lap.md", PUBLIC_PLAN).json()["document"]["stored_as"]
    assert search(admin, PUBLIC_QUERY)[0]["source"] == stored

    response = admin.delete(f"/api/admin/documents/{stored}", headers=AS_ADMIN)

    assert response.status_code == 200 and response.json()["removed"] == stored
    assert not (uploads / "cong-khai" / stored).exists()
    assert all(r["source"] != stored for r in search(admin, PUBLIC_QUERY))
    assert all(d["source"] != stored for d in admin.get("/api/documents").json()["documents"])
    assert admin.get("/api/admin/documents", headers=AS_ADMIN).json()["documents"] == []
    assert search(admin, "kế hoạch chuyển đổi số năm 2026")[0]["doc_id"] == "dan-hoa-2026"


def test_an_internal_upload_can_be_removed(admin, uploads):
    stored = upload(admin, "kiem-tra.md", INTERNAL_PLAN, visibility="internal").json()["document"][
        "stored_as"
    ]

    assert admin.delete(f"/api/admin/documents/{stored}", headers=AS_ADMIN).status_code == 200

    answer = admin.post(
        "/api/officer/ask", json={"question": INTERNAL_QUESTION}, headers=AS_OFFICER
    ).json()
    assert all(c["source"] != stored for c in answer["citations"])
    assert not (uploads / "noi-bo" / stored).exists()


@pytest.mark.parametrize(
    "name",
    [
        "Bad-12345678.md",
        "tai-lieu-1234567.md",
        "tai-lieu-12345678.exe",
        "..tai-lieu-12345678.md",
        "tai lieu-12345678.md",
        "-x-12345678.md",
    ],
)
def test_removing_a_badly_named_document_is_400(admin, name):
    assert (
        assert_error(admin.delete(f"/api/admin/documents/{name}", headers=AS_ADMIN), 400)["code"]
        == "bad_file_name"
    )


def test_removing_an_unknown_document_is_404(admin):
    error = assert_error(
        admin.delete("/api/admin/documents/tai-lieu-12345678.md", headers=AS_ADMIN), 404
    )
    assert error["code"] == "document_not_found"


# --- the internal folder convention at ingestion ------------------------------------------


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("noi-bo/kh.txt", "internal"),
        ("Noi-Bo/kh.txt", "internal"),
        ("noibo/kh.txt", "internal"),
        ("internal/kh.txt", "internal"),
        ("plans/noi-bo/2026/kh.txt", "internal"),
        ("kh.txt", "public"),
        ("cong-khai/kh.txt", "public"),
        ("noi-bo-cu/kh.txt", "public"),
        ("plans/kh-noi-bo.txt", "public"),
    ],
)
def test_visibility_of_a_file_is_set_by_its_folder_under_the_root(tmp_path, relative, expected):
    root = (tmp_path / "corpus").resolve()
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")

    assert visibility_of(path, [root]) == expected


def test_visibility_looks_only_at_or_below_the_ingested_root(tmp_path):
    above = (tmp_path / "noi-bo" / "corpus").resolve()
    (above / "plans").mkdir(parents=True)
    inside = above / "plans" / "kh.txt"
    inside.write_text("x", encoding="utf-8")

    assert visibility_of(inside, [above]) == "public", "a folder above the root says nothing"
    assert visibility_of(inside, [above.parent]) == "internal"
    assert visibility_of(inside, [inside]) == "public", "a single file: its own folder decides"
    own = (tmp_path / "noi-bo" / "kh.txt").resolve()
    own.write_text("x", encoding="utf-8")
    assert visibility_of(own, [own]) == "internal"
    assert visibility_of(tmp_path / "elsewhere.txt", [above]) == "public"
    assert {"noi-bo", "internal"} <= INTERNAL_FOLDERS


def test_ingesting_a_folder_makes_its_noi_bo_files_internal(tmp_path, hash_embedder):
    folder = tmp_path / "tai-lieu"
    (folder / "noi-bo").mkdir(parents=True)
    (folder / "dan-hoa-2026.txt").write_text(TINY["dan-hoa-2026.txt"], encoding="utf-8")
    (folder / "noi-bo" / "kiem-tra.md").write_text(INTERNAL_PLAN, encoding="utf-8")
    engine = build_engine(
        Settings(data_dir=tmp_path / "data", corpus_dir=folder), embedder=hash_embedder
    )

    engine.ingest([folder])

    visibility = {d["doc_id"]: d["visibility"] for d in engine.documents(Scope.ADMIN)}
    assert visibility == {"dan-hoa-2026": "public", "kiem-tra": "internal"}
    assert engine.searcher.internal_ids == frozenset({"kiem-tra"})
    assert all(h.chunk.doc_id != "kiem-tra" for h in engine.search(INTERNAL_QUESTION, k=10))
    assert engine.search(INTERNAL_QUESTION, k=10, scope=Scope.OFFICER)[0].chunk.doc_id == "kiem-tra"
    assert all(c["doc_id"] != "kiem-tra" for c in engine.ask(INTERNAL_QUESTION).citations)
    assert engine.ask(INTERNAL_QUESTION, scope=Scope.OFFICER).citations[0]["doc_id"] == "kiem-tra"


def test_moving_a_file_out_of_noi_bo_and_back_changes_its_visibility(tmp_path, hash_embedder):
    folder = tmp_path / "tai-lieu"
    (folder / "noi-bo").mkdir(parents=True)
    internal = folder / "noi-bo" / "kiem-tra.md"
    internal.write_text(INTERNAL_PLAN, encoding="utf-8")
    engine = build_engine(
        Settings(data_dir=tmp_path / "data", corpus_dir=folder), embedder=hash_embedder
    )
    engine.ingest([folder])
    assert [d["visibility"] for d in engine.documents(Scope.ADMIN)] == ["internal"]

    public = internal.rename(folder / "kiem-tra.md")
    engine.ingest([folder])
    assert [d["visibility"] for d in engine.documents(Scope.ADMIN)] == ["public"]

    public.rename(internal)
    engine.ingest([folder])
    assert [d["visibility"] for d in engine.documents(Scope.ADMIN)] == ["internal"]


# --- regressions from the review: nothing internal reaches the public side -------------------


def test_an_internal_procedure_record_never_answers_the_public(admin):
    """An internal record with the same code as a public one, and a higher-ranked origin, must
    not replace the public one in public answers, listings or records."""
    import json

    public = (FIXTURES / "portal" / "1.001193.json").read_bytes()
    assert upload(admin, "1.001193.json", public).status_code == 201
    secret = json.loads((CORPUS / "procedures" / "1.001193.json").read_text(encoding="utf-8"))
    secret["where"] = "BIMATNOIBO phòng 305 chỉ dành cho cán bộ"
    response = upload(
        admin, "1.001193-noi-bo.json", json.dumps(secret, ensure_ascii=False), visibility="internal"
    )
    assert response.status_code == 201, response.text
    internal_ids = {
        d["doc_id"]
        for d in admin.get("/api/documents", headers=AS_OFFICER).json()["documents"]
        if d.get("visibility") == "internal"
    }
    assert internal_ids

    answer = admin.post("/api/ask", json={"question": "Đăng ký khai sinh nộp ở đâu?"}).json()
    assert "BIMATNOIBO" not in answer["answer"]
    assert not {c["doc_id"] for c in answer["citations"]} & internal_ids
    record = admin.get("/api/procedures/1.001193")
    assert record.status_code == 200 and record.json()["doc_id"] not in internal_ids
    listed = admin.get("/api/procedures", params={"q": "khai sinh"}).json()
    assert listed["total"] >= 1 and not {p["doc_id"] for p in listed["procedures"]} & internal_ids
    officer = admin.post(
        "/api/officer/ask", json={"question": "Đăng ký khai sinh nộp ở đâu?"}, headers=AS_OFFICER
    )
    assert "BIMATNOIBO" in officer.json()["answer"]  # officers do get it


def test_an_officer_conversation_is_not_continued_on_the_public_side(admin):
    assert (
        upload(admin, "kiem-tra-cong-vu.md", INTERNAL_PLAN, visibility="internal").status_code
        == 201
    )
    admin.post(
        "/api/officer/ask",
        json={"question": INTERNAL_QUESTION, "session_id": "shared1"},
        headers=AS_OFFICER,
    )
    public = admin.post(
        "/api/ask", json={"question": "còn thời hạn thì sao?", "session_id": "shared1"}
    ).json()
    assert not public["understood_as"] or INTERNAL_WORDS not in public["understood_as"]
    assert INTERNAL_WORDS not in public["answer"]


def test_a_refusal_names_no_commune_known_only_from_internal_documents(admin):
    assert (
        upload(admin, "kiem-tra-cong-vu.md", INTERNAL_PLAN, visibility="internal").status_code
        == 201
    )
    answer = admin.post(
        "/api/ask", json={"question": "Xã Tây Sơn có kế hoạch cải cách hành chính gì?"}
    ).json()
    assert answer["abstained"] and "Hòa Lạc" not in answer["answer"]


def test_a_link_inside_an_internal_folder_stays_internal(tmp_path):
    root = tmp_path / "corpus"
    (root / "noi-bo").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "mat.txt"
    target.write_text("x", encoding="utf-8")
    (root / "noi-bo" / "mat.txt").symlink_to(target)
    assert visibility_of(root / "noi-bo" / "mat.txt", [root.resolve()]) == "internal"


def test_without_the_key_an_upload_is_refused_before_its_body_is_read(admin):
    broken = b"--x\r\nnot a form"
    response = admin.post(
        "/api/admin/documents",
        content=broken,
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert_error(response, 401)
