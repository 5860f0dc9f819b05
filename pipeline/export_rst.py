"""Wrapped reST references as the .rst source wraps them, for catalogues Sphinx made.

Sphinx's gettext builder joins a paragraph's lines, and Sphinx 9 compares each reference of a
translation with the source's raw text, line break included, so a reference the source
wraps is warned about as inconsistent however it is translated (catalog.rst_breaks). The
source is found by each entry's `#:` line, relative to the template's folder as Sphinx
writes it; an entry whose source is not a readable file inside the project goes out as it
is. Only references that hold whitespace are looked for, so other catalogues are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from locflow.catalog.rst_breaks import rewrap_like_source
from locflow.db.models import SegmentRow
from locflow.pipeline.export_merge import Wanted

WINDOW = 60
"""Lines read from the message's `#:` line on (a paragraph or list item is shorter)."""
_SPACED_REFERENCE = re.compile(r"`[^`]*\s[^`]*`")


def with_source_breaks(
    wanted: dict[int, Wanted | None], rows: Sequence[SegmentRow], template_dir: Path, root: Path
) -> dict[int, Wanted | None]:
    out = dict(wanted)
    files: dict[Path, list[str] | None] = {}
    for row in rows:
        want = wanted.get(row.id)
        if want is None or not _SPACED_REFERENCE.search(row.msgid):
            continue
        source = _around(row.occurrences, template_dir, root, files)
        if not source:
            continue
        forms = tuple(rewrap_like_source(f, row.msgid, source) for f in want.forms)
        if forms != want.forms:
            out[row.id] = replace(want, forms=forms)
    return out


def _around(
    occurrences: Sequence[Sequence[str]],
    template_dir: Path,
    root: Path,
    files: dict[Path, list[str] | None],
) -> str:
    """The source text from the first `#:` line that names a readable file and a line."""
    for path, line in (o for o in occurrences if len(o) == 2):
        if not line.isdigit():
            continue
        lines = _lines(template_dir / path, root, files)
        if lines:
            start = max(int(line) - 1, 0)
            return "\n".join(lines[start : start + WINDOW])
    return ""


def _lines(path: Path, root: Path, files: dict[Path, list[str] | None]) -> list[str] | None:
    path = path.resolve()
    if path not in files:
        inside = path.is_relative_to(root.resolve())
        try:
            text = path.read_text(encoding="utf-8") if inside and path.is_file() else None
        except (OSError, UnicodeDecodeError):
            text = None
        files[path] = text.splitlines() if text is not None else None
    return files[path]
