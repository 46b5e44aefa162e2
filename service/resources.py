"""Where the product's bundled files are: the words it says (`prompts/`), the pages it serves
(`service/static/`) and the corpus it ships (`corpus/`, with `corpus/lexicon.tsv`).

They sit beside the `service` package both in the checkout and in an installed wheel
(pyproject.toml installs `prompts` and `corpus` as data packages next to `service`), so
they are found from this file's location, never from the working directory.
"""

from __future__ import annotations

from pathlib import Path

_SERVICE = Path(__file__).resolve().parent
_ROOT = _SERVICE.parent

PROMPTS = _ROOT / "prompts"
STATIC = _SERVICE / "static"
CORPUS = _ROOT / "corpus"
