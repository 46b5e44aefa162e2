"""One segmenter for documents and questions: underthesea word segmentation.

Three views of a text feed three BM25 indexes:
- `words`: underthesea words joined by `_` (`cải_cách`, `hành_chính`) — the main view;
- `syllables`: plain syllables, the baseline the evaluation compares against;
- `folded`: syllables and syllable bigrams without diacritics, so that a question typed
  as `xa Dan Hoa chuyen doi so` meets `xã Dân Hòa … chuyển đổi số`.
All views are lower-cased after `ingest.textnorm.normalize`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
import threading
from dataclasses import dataclass
from functools import cache, lru_cache

from corpus.vocabulary import FOLDED_QUESTION_WORDS, QUESTION_WORDS, SHORT_FORMS
from ingest.textnorm import NORMALIZER_VERSION, fold, normalize

SEGMENTER_VERSION = "underthesea-ws/2"
_TOKEN = re.compile(r"\w+(?:[.,/]\d+)*%?")


def fingerprint() -> str:
    """What the token views depend on besides the text and underthesea: this segmenter's
    version, the normaliser's, and the word lists (question words, short forms). Caches of
    token views are keyed by it, so editing a word list never serves stale tokens."""
    lists = [sorted(QUESTION_WORDS), sorted(FOLDED_QUESTION_WORDS), sorted(SHORT_FORMS.items())]
    digest = hashlib.sha256(json.dumps(lists, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{SEGMENTER_VERSION}|{NORMALIZER_VERSION}|{digest}"


def expansions(text: str) -> str:
    """The long forms of the short forms in `text` (`AI` only in capitals: `ai` is "who")."""
    found = []
    for token in _TOKEN.findall(text):
        if token == "AI":
            found.append("trí tuệ nhân tạo")
        elif (long_form := SHORT_FORMS.get(fold(token))) and long_form not in found:
            found.append(long_form)
    return " ".join(found)


# underthesea's package imports every pipeline it offers when it is imported, optionally:
# translation (with transformers), classification, sentiment, language detection, parsing, an
# agent, addresses. We only segment words; importing the rest cost 4 of a server's 15 s of
# start on the whole crawl. A module marked absent in `sys.modules` is skipped as if not
# installed (an optional import fails); one already imported is left as it is.
_UNUSED_PIPELINES = (
    "underthesea.pipeline.translate",
    "underthesea.pipeline.classification",
    "underthesea.pipeline.sentiment",
    "underthesea.pipeline.lang_detect",
    "underthesea.pipeline.dependency_parse",
    "underthesea.agent",
    "underthesea.address",
)


_LOADING = threading.Lock()


def _word_tokenize():
    """underthesea's word segmenter, loaded once on first use by whichever thread asks first
    (its first use loads its model, and not thread-safely: concurrent first questions to a
    fresh server failed with 500). A server does not load it before it is ready (0.7 s of
    the whole crawl's 3.5 s start, load 2): its first question does (eval/bench_serve.py's
    first search)."""
    with _LOADING:
        return _loaded()


@cache
def _loaded():
    for name in _UNUSED_PIPELINES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    from underthesea import word_tokenize  # heavy import: only when first needed

    word_tokenize("khởi động")  # its model loads now, under the lock
    return word_tokenize


def _with_expansions(view):
    """Apply a view to the text and, separately, to the long forms of its short forms."""

    def apply(text: str) -> list[str]:
        text = normalize(text)
        extra = expansions(text)
        return view(text) + (view(extra) if extra else [])

    apply.__doc__ = view.__doc__
    return apply


def _plain(text: str) -> list[str]:
    """Lower-cased syllables (and numbers) of normalised text."""
    return _TOKEN.findall(text.lower())


@lru_cache(maxsize=1 << 16)
def _fold_token(token: str) -> str:
    return fold(token)


def _syllables_of(plain: list[str]) -> list[str]:
    return [t for t in plain if t not in QUESTION_WORDS]


def _folded_of(plain: list[str]) -> list[str]:
    folded = [_fold_token(t) for t in plain]
    folded = [t for t in folded if t not in FOLDED_QUESTION_WORDS]
    return folded + [f"{a}_{b}" for a, b in itertools.pairwise(folded)]


def _syllables(text: str) -> list[str]:
    """Lower-cased syllables of normalised text, question words removed."""
    return _syllables_of(_plain(text))


def _words(text: str) -> list[str]:
    """underthesea words, lower-cased, multi-syllable words joined by `_`."""
    out = []
    for word in _word_tokenize()(text):
        token = "_".join(_TOKEN.findall(word.lower()))
        if token and token not in QUESTION_WORDS:
            out.append(token)
    return out


def _folded(text: str) -> list[str]:
    """Diacritic-free syllables plus adjacent-syllable bigrams (`dan_hoa`, `chuyen_doi`)."""
    return _folded_of(_plain(text))


syllables = _with_expansions(_syllables)
words = _with_expansions(_words)
folded = _with_expansions(_folded)


@dataclass(frozen=True)
class TokenViews:
    """One text in the three views, as the index keeps them for each chunk.

    >>> TokenViews.from_json({"words": ["xã"], "syllables": ["xã"], "folded": ["xa"]}).folded
    ('xa',)
    """

    words: tuple[str, ...]
    syllables: tuple[str, ...]
    folded: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> TokenViews:
        """All three views in one pass: the text is normalised, expanded and cut into
        syllables once (a question asks for one view at a time: `words`, `syllables`,
        `folded`, which give the same tokens)."""
        text = normalize(text)
        extra = expansions(text)
        views: tuple[list[str], list[str], list[str]] = ([], [], [])
        for part in (text, extra) if extra else (text,):
            plain = _plain(part)
            views[0].extend(_words(part))
            views[1].extend(_syllables_of(plain))
            views[2].extend(_folded_of(plain))
        return cls(*(tuple(view) for view in views))

    def to_json(self) -> dict:
        return {
            "words": list(self.words),
            "syllables": list(self.syllables),
            "folded": list(self.folded),
        }

    @classmethod
    def from_json(cls, data: dict) -> TokenViews:
        return cls(tuple(data["words"]), tuple(data["syllables"]), tuple(data["folded"]))

    def __getitem__(self, view: str) -> tuple[str, ...]:
        """`views["folded"]`: the stored JSON's keys also read the record (the product itself
        reads the attributes)."""
        if view not in ("words", "syllables", "folded"):
            raise KeyError(view)
        return getattr(self, view)


def segmented_text(text: str) -> str:
    """Text as PhoBERT-style models expect it: words joined by `_`, case kept."""
    return " ".join(w.replace(" ", "_") for w in _word_tokenize()(normalize(text)))
