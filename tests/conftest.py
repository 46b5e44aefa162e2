"""Shared fixtures: a deterministic embedder double, a tiny corpus, and (slow) the real index."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


class HashEmbedder:
    """Deterministic stand-in for a sentence-transformers model: a unit vector seeded from a
    hash of each text's words (bag of words), so equal texts get equal vectors and texts that
    share words are close."""

    name = "test:hash-embedder"
    dim = 32

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[row] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")
# What an error body must never show: the server's insides.
_LEAKS = ("Traceback", 'File "', "pydantic", "ValidationError", "Exception", "errors.pydantic.dev")


def vietnamese(text: str) -> bool:
    """The text is written in Vietnamese (it has at least one Vietnamese letter)."""
    return bool(_VIETNAMESE.search(text.lower()))


def assert_error(response, status: int) -> dict:
    """The contract's error shape, a Vietnamese message, and nothing of the server's insides."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and vietnamese(error["message"]), body
    for leak in _LEAKS:
        assert leak not in response.text, response.text
    return error


TINY = {
    "dan-hoa-2026.txt": """KẾ HOẠCH
Cải cách hành chính nhà nước năm 2026 trên địa bàn xã Dân Hòa

I. MỤC TIÊU
1. Chuyển đổi số
- Ban hành Kế hoạch chuyển đổi số xã năm 2026 trong tháng 02/2026.
- 100% hồ sơ thủ tục hành chính được số hoá.
2. Cải cách thủ tục hành chính
- Tối thiểu 98% hồ sơ được giải quyết trước và đúng hạn.
""",
    "duc-an-2026.md": """**KẾ HOẠCH
Cải cách hành chính nhà nước năm 2026 xã Đức An**

## **I. NHIỆM VỤ**
- Trung tâm Phục vụ hành chính công xã triển khai ứng dụng <b>AI</b> hỗ trợ tra cứu thủ tục.
- Văn phòng HĐND và UBND xã tham mưu công tác pháp chế.
""",
}


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory):
    """The real product: bundled model, real segmenter, index built from corpus/ (slow)."""
    from service.engine import build_engine
    from service.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=CORPUS)
    engine = build_engine(settings)
    engine.ingest([CORPUS])
    return engine


def tiny_settings(tmp_path: Path, corpus: Path, **overrides):
    """Settings over the tiny corpus, with a rate limit generous enough for one TestClient
    (one client) unless a test sets its own."""
    from service.settings import Settings

    values = {
        "data_dir": tmp_path / "data",
        "corpus_dir": corpus,
        "rate_limit_burst": 1000,
        "rate_limit_per_minute": 6000,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def engine(tmp_path: Path, hash_embedder, tiny_corpus):
    """An engine over the tiny corpus with the hash embedder (fast)."""
    from service.engine import build_engine

    built = build_engine(tiny_settings(tmp_path, tiny_corpus), embedder=hash_embedder)
    built.ingest([tiny_corpus])
    return built


@pytest.fixture
def serve(tmp_path: Path, tiny_corpus, engine):
    """`serve(**settings)`: an in-process TestClient over the tiny engine with those settings."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    clients: list = []

    def start(**overrides):
        client = TestClient(
            create_app(tiny_settings(tmp_path, tiny_corpus, **overrides), engine),
            raise_server_exceptions=False,
        )
        clients.append(client.__enter__())
        return client

    yield start
    for client in reversed(clients):
        client.__exit__(None, None, None)
