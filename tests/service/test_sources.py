"""The default build's sources: the corpus, and the portal's commune-level records when the
crawl is there (service/sources.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS

from service.engine import build_engine
from service.settings import Settings
from service.sources import Sources


def _record(folder: Path, code: str, level: str) -> Path:
    path = folder / f"{code}.json"
    record = {"ma_thu_tuc": code, "ten_thu_tuc": f"Thủ tục {code}", "cap_thuc_hien": level}
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_default_build_takes_the_communes_records_and_not_the_lists(tmp_path):
    portal = tmp_path / "portal" / "bo-tu-phap"
    portal.mkdir(parents=True)
    commune = _record(portal, "1.000001", "Cấp tỉnh, Cấp xã")
    province = _record(portal, "1.000002", "Cấp tỉnh")
    listed = portal.parent / "danh-sach.xlsx"
    listed.write_bytes(b"PK")
    broken = portal / "hong.json"
    broken.write_text("{", encoding="utf-8")
    sources = Sources.default(
        Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path, portal_dir=portal.parent)
    )
    assert sources.paths == [tmp_path, portal.parent]
    assert sources.select(commune)
    assert not sources.select(province)
    assert not sources.select(listed)
    assert sources.select(broken)  # taken, for the reader to say why it cannot be read
    assert sources.select(tmp_path / "plan.txt")  # outside the crawl: always taken


def test_every_level_when_the_setting_is_empty(tmp_path):
    province = _record(tmp_path, "1.000002", "Cấp tỉnh")
    sources = Sources.default(Settings(portal_dir=tmp_path, portal_level=""))
    assert sources.select(province)


def test_no_crawl_no_portal(tmp_path):
    assert Settings(portal_dir="").portal_dir is None
    sources = Sources.default(Settings(corpus_dir=tmp_path, portal_dir=tmp_path / "missing"))
    assert sources.paths == [tmp_path] and sources.portal is None
    assert "kèm theo" in sources.describe()


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "dvcqg-procedures"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason="the portal's crawl (../shared) is not here")
def test_the_default_build_answers_a_commune_procedure_the_catalogue_lacks(tmp_path, hash_embedder):
    """Two real portal records beside the corpus: the commune's (felling a street tree) is
    imported and answers, the province's is not imported."""
    portal = tmp_path / "portal" / "bo-xay-dung"
    portal.mkdir(parents=True)
    for code in ("1.002693", "1.000028"):  # Cấp xã (tree felling); Cấp tỉnh (oversize lorry)
        shutil.copy(SHARED / "bo-xay-dung" / f"{code}.json", portal)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, portal_dir=portal.parent)
    engine = build_engine(settings, embedder=hash_embedder)
    report = engine.ingest_default()
    assert "1.002693.json" in report.added and "1.000028.json" not in report.added
    count = engine.procedure_count()
    assert (
        count["by_origin"]["portal"] == 1 and count["total"] == count["by_origin"]["catalogue"] + 1
    )
    answer = engine.ask("muốn chặt cây xanh trước cửa nhà thì cần giấy tờ gì")
    codes = [c.get("procedure_code") for c in answer.citations]
    assert not answer.abstained and codes[0] == "1.002693", answer.answer
