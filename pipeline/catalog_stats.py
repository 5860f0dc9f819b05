"""Per-catalogue statistics, as `msgfmt --statistics` and `sphinx-intl stat` give them, from
the database: what the next export would write into each catalogue.

Each live entry of a template counts once per locale, by export's own choice
(`pipeline.export_choose.choose` under the project's `[export] machine` policy):
- translated: written without `#, fuzzy` (approved for the current source text; an approved
  text whose source changed only in its notes; an approved text flagged by a glossary change);
- fuzzy: written with `#, fuzzy` (a stale approved or human text after a reworded msgid,
  unreviewed human text, and unreviewed machine output when machine = "fuzzy");
- untranslated: written empty (nothing usable, needs-review machine output under "omit", or
  machine output under "omit").
So after an export, the counts are those `msgfmt --statistics` reports on the file (header
and obsolete `#~` entries are not counted by either), except for an entry the catalogue's
charset cannot hold, which export may leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from locflow.db import catalog_repo, repo
from locflow.db.states import State
from locflow.pipeline.export_choose import choose
from locflow.settings import Config


@dataclass(frozen=True)
class CatalogueStats:
    template: str
    locale: str
    path: str
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    def percent(self, count: int) -> float:
        return round(100.0 * count / self.total, 1) if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        counts = {k: getattr(self, k) for k in ("translated", "fuzzy", "untranslated")}
        return {
            "template": self.template,
            "locale": self.locale,
            "path": self.path,
            **counts,
            "total": self.total,
            "percent": {k: self.percent(v) for k, v in counts.items()},
        }


def catalogue_stats(
    s: Session, project_id: int, config: Config, locales: list[str]
) -> list[CatalogueStats]:
    """One row per synced catalogue template of the configuration and locale, in the
    configuration's order."""
    segments, current = catalog_repo.catalogue_versions(s, project_id, locales)
    pending = [
        v.id for vs in current.values() for v in vs if v.state in (State.STALE, State.NEEDS_REVIEW)
    ]
    approved = repo.ever_approved(s, pending)
    out = []
    for src in config.catalog_sources():
        rows = segments.get(src.name)
        if rows is None:
            continue  # not synced yet
        for locale in locales:
            chosen = [
                choose(current.get((r.id, locale), ()), r, approved, config.export.machine)
                for r in rows
            ]
            fuzzy = sum(1 for w in chosen if w is not None and w.fuzzy)
            translated = sum(1 for w in chosen if w is not None and not w.fuzzy)
            out.append(
                CatalogueStats(
                    src.name,
                    locale,
                    src.relative_catalog_path(locale),
                    translated,
                    fuzzy,
                    len(rows) - translated - fuzzy,
                )
            )
    return out
