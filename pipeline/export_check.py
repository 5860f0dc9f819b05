"""Why a catalogue would change at the next export (what `export --check` reports): template
drift (the template on disk differs from the one last synced), a catalogue edited on disk
since the last sync, and what the database adds (new translations, template changes synced
since the last export), each with the entries concerned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from locflow.connectors.po_model import PoCatalog, PoError
from locflow.connectors.po_parse import parse_po
from locflow.db.models import Source
from locflow.pipeline.sync import template_hash, template_segments
from locflow.settings import CatalogSource

EDITED_ON_DISK = "edited on disk since the last sync"
NEW_TRANSLATIONS = "new translations"
TEMPLATE_CHANGES = "template changes synced since the last export"
NEW_CATALOGUE = "new catalogue"


class TemplateDrift(RuntimeError):
    """The template on disk changed since the last sync: exporting now would publish stale
    catalogues (`locflow sync` or `locflow run` first)."""


@dataclass(frozen=True)
class Why:
    """Why a catalogue would change, and the entries concerned (one line each)."""

    reasons: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()

    def __add__(self, other: Why) -> Why:
        return Why(self.reasons + other.reasons, self.entries + other.entries)


def template_drift(source: Source, src: CatalogSource, root: Path) -> Why:
    """How the template on disk differs from the one last synced (nothing when it does not,
    by sync's own hash: a new POT-Creation-Date alone is no change)."""
    if not src.template.exists():
        return Why()
    data = src.template.read_bytes()
    if template_hash(data) == template_hash(source.content or b""):
        return Why()
    name = _shown(src.template, root)
    try:
        now = {seg.key: seg for seg in template_segments(parse_po(data, name))}
        then = {
            seg.key: seg for seg in template_segments(parse_po(source.content or b"", source.name))
        }
    except PoError:
        now, then = {}, {}
    entries = [f"new in the template: {k[1]!r}" for k in now if k not in then]
    entries += [f"gone from the template: {k[1]!r}" for k in then if k not in now]
    entries += [
        f"changed in the template: {k[1]!r}" for k in now if k in then and now[k] != then[k]
    ]
    return Why((f"template drift: {name} changed since the last sync",), tuple(entries))


def drift_error(source: Source, src: CatalogSource, root: Path) -> TemplateDrift:
    name = _shown(src.template, root)
    return TemplateDrift(
        f"{name}: the template changed since the last sync; run `locflow sync` first"
    )


def edited_on_disk(stored: bytes | None, on_disk: bytes, name: str) -> Why:
    return Why((EDITED_ON_DISK,), _entry_lines(_parsed(stored, name), _parsed(on_disk, name)))


def database_changes(before: PoCatalog | None, after: PoCatalog) -> Why:
    """What an export adds to the catalogue last synced or exported (`before`)."""
    if before is None:
        return Why((NEW_CATALOGUE,))
    entries = _entry_lines(before, after)
    reasons = []
    if any(not line.startswith(("new entry", "now obsolete")) for line in entries):
        reasons.append(NEW_TRANSLATIONS)
    if any(line.startswith(("new entry", "now obsolete")) for line in entries):
        reasons.append(TEMPLATE_CHANGES)
    return Why(tuple(reasons or ["header"]), tuple(entries))


def _parsed(data: bytes | None, name: str) -> PoCatalog | None:
    if data is None:
        return None
    try:
        return parse_po(data, name)
    except PoError:
        return None


def _entry_lines(before: PoCatalog | None, after: PoCatalog | None) -> tuple[str, ...]:
    old = _live(before)
    new = _live(after)
    lines = [f"new entry {k[1]!r}" for k in new if k not in old]
    lines += [f"now obsolete {k[1]!r}" for k in old if k not in new]
    for key, (forms, fuzzy) in new.items():
        if key in old and old[key] != (forms, fuzzy):
            label = "fuzzy" if fuzzy else ("translated" if any(forms) else "emptied")
            lines.append(f"{label} {key[1]!r}: {' | '.join(forms)!r}")
    return tuple(lines)


def _live(catalog: PoCatalog | None) -> dict[tuple, tuple[tuple[str, ...], bool]]:
    if catalog is None:
        return {}
    return {
        e.segment.key: (tuple(e.forms), e.fuzzy) for e in catalog.entries if not e.segment.obsolete
    }


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
