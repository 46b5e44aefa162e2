"""The one segmentation pass (`TokenViews.of`) gives, token for token, what the three views
gave when each was computed on its own (the index built before it must read the same)."""

import itertools
import re

import pytest
from conftest import CORPUS, SHARED

import ingest
from corpus.vocabulary import FOLDED_QUESTION_WORDS, QUESTION_WORDS
from ingest.textnorm import fold, normalize
from retriever.segment import TokenViews, expansions

# The three views as they were computed before the single pass, one full pass each: the
# oracle. (`normalize` has its own oracle in tests/ingest/test_textnorm.py.)
_TOKEN = re.compile(r"\w+(?:[.,/]\d+)*%?")


def _with_expansions(view):
    def apply(text: str) -> list[str]:
        text = normalize(text)
        extra = expansions(text)
        return view(text) + (view(extra) if extra else [])

    return apply


def _syllables(text: str) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    return [t for t in tokens if t not in QUESTION_WORDS]


def _words(text: str) -> list[str]:
    from underthesea import word_tokenize

    out = []
    for word in word_tokenize(text):
        token = "_".join(_TOKEN.findall(word.lower()))
        if token and token not in QUESTION_WORDS:
            out.append(token)
    return out


def _folded(text: str) -> list[str]:
    plain = [fold(t) for t in _TOKEN.findall(text.lower())]
    plain = [t for t in plain if t not in FOLDED_QUESTION_WORDS]
    return plain + [f"{a}_{b}" for a, b in itertools.pairwise(plain)]


def _three_passes(text: str) -> TokenViews:
    views = (_with_expansions(v)(text) for v in (_words, _syllables, _folded))
    return TokenViews(*(tuple(v) for v in views))


def _chunk_texts(every: int, portal_records: int) -> list[str]:
    """What the build segments: the index text of the seeds' chunks (one in `every`), and of
    the chunks of a few portal records when the crawl is beside the checkout."""
    files = sorted((CORPUS / "plans").glob("*")) + sorted((CORPUS / "procedures").glob("*"))
    portal = SHARED / "data" / "dvcqg-procedures"
    if portal.is_dir():
        records = sorted(portal.glob("*/*.json"))
        files += records[:: max(1, len(records) // portal_records)][:portal_records]
    texts = [
        c.index_text() for f in files for doc in ingest.read(f) for c in ingest.records(doc).chunks
    ]
    return texts[::every]


def _check(texts: list[str]) -> None:
    assert texts
    for text in texts:
        assert TokenViews.of(text) == _three_passes(text), text[:200]


def test_one_pass_gives_the_three_views_on_short_forms_and_question_words():
    _check(
        [
            "Trung tâm PVHCC xã Dân Hoà chủ trì; HĐND và UBND phối hợp; ứng dụng AI khi nào?",
            "Ai chủ trì? Bao nhiêu % hồ sơ (98,5%) đúng hạn, quý I/2026",
            "",
            "TTHC CĐS",
        ]
    )


def test_one_pass_gives_the_three_views_on_a_sample_of_real_chunks():
    _check(_chunk_texts(every=15, portal_records=3))


@pytest.mark.slow
def test_one_pass_gives_the_three_views_on_every_seed_chunk_and_portal_records():
    _check(_chunk_texts(every=1, portal_records=25))
