"""`tthc ingest` on many files: one short line per phase, no line of thousands of
characters, and `--json` for the whole summary."""

import json

import pytest
from conftest import TINY

from service import cli


@pytest.fixture
def many_files(tmp_path):
    """Sixty small plans with long names: their names alone make a line of 3,000 characters."""
    folder = tmp_path / "nhieu-tep"
    folder.mkdir()
    text = TINY["dan-hoa-2026.txt"]
    for n in range(60):
        name = f"ke-hoach-cai-cach-hanh-chinh-xa-so-{n:03d}.txt"
        (folder / name).write_text(text.replace("Dân Hòa", f"Số {n}"), encoding="utf-8")
    return folder


def test_ingest_prints_one_line_per_phase_and_no_endless_line(
    engine, many_files, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["ingest", str(many_files)]) == 0
    out, err = capsys.readouterr()
    names = ("read", "segment", "embed", "write")
    assert [line.split(":")[0] for line in err.splitlines() if line.startswith(names)] == [*names]
    assert "Thêm mới (60)" in out and "… và 52 tệp khác" in out
    assert max(len(line) for line in (out + err).splitlines()) < 400
    assert "\r" not in err  # no progress bar when stderr is not a terminal

    assert cli.main(["ingest", str(many_files)]) == 0  # nothing changed
    out, err = capsys.readouterr()
    assert "Không đổi, bỏ qua (60)" in out
    assert max(len(line) for line in (out + err).splitlines()) < 400


def test_ingest_json_prints_the_whole_summary(engine, many_files, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["ingest", "--json", str(many_files)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["added"] == 60 and len(summary["added"]) == 60
    assert summary["changed"] and summary["generation"] and summary["chunks"] > 60
    assert [p["phase"] for p in summary["phases"]] == ["read", "segment", "embed", "write"]
    read = summary["phases"][0]
    assert read["total"] >= 60 and read["computed"] == 60 and read["seconds"] >= 0
