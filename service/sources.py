"""What the default build takes: the bundled corpus, and the national portal's records of
procedures done at the commune when the crawl is there (`Settings.portal_dir`).

The crawl is never committed; an operator with their own crawl points `TTHC_PORTAL_DIR` at
it, and `TTHC_PORTAL_LEVEL` says which executing level to take ("" for every record). Only
the portal's records are taken from it, not the ministries' XLSX lists: a list row carries a
title and a code but none of the fields a citizen asks about.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import ingest
from ingest.textnorm import fold
from service.settings import Settings


@functools.lru_cache(maxsize=8)
def _resolved(path: Path) -> Path:
    return path.resolve()


@dataclass(frozen=True)
class Sources:
    paths: list[Path]
    portal: Path | None
    level: str

    @classmethod
    def default(cls, settings: Settings) -> Sources:
        portal = settings.portal_dir
        portal = portal if portal and portal.is_dir() else None
        paths = [settings.corpus_dir] + ([portal] if portal else [])
        return cls(paths, portal, settings.portal_level)

    def select(self, path: Path) -> bool:
        """Every file outside the portal's folder; inside it, the records of the level, and
        any JSON that is not a readable record, for the reader to report why."""
        if self.portal is None or not path.resolve().is_relative_to(self._portal_resolved()):
            return True
        if path.suffix.lower() != ".json":
            return False
        if not self.level.strip():  # every level: no need to open the record to know
            return True
        level = ingest.level(path)
        return level is None or fold(self.level).lower() in fold(level).lower()

    def _portal_resolved(self) -> Path:
        """The portal's folder, resolved once (`select` is asked for each of 2,700 files)."""
        assert self.portal is not None
        return _resolved(self.portal)

    def describe(self) -> str:
        if self.portal is None:
            return "kho tài liệu kèm theo"
        return f"kho tài liệu kèm theo và các thủ tục {self.level or 'mọi cấp'} từ {self.portal}"
