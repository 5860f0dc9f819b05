"""The `range:` and `max-length` flags as they arrive from a .po file, and agreement with
GNU msgfmt on `range:` (split from test_checks_quality.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from locflow.catalog.checks import CheckContext
from locflow.catalog.plurals import plural_info
from locflow.connectors.po_parse import parse_po
from tests.support.check_cases import C, context, issue_of, seg
from tests.support.msgfmt_cases import MSGFMT_RANGE_CASES, po_text

# --- flags as they arrive from a .po file ----------------------------------------------------


def test_range_flag_arrives_as_one_flag_with_or_without_the_space() -> None:
    for flags, expected in [
        ("c-format, range: 0..10", ("c-format", "range: 0..10")),
        ("c-format, range:0..10", ("c-format", "range:0..10")),
        ("range: 2..5, c-format, max-length:20", ("range: 2..5", "c-format", "max-length:20")),
    ]:
        data = po_text("de", flags, ("Datei", "%d Dateien")).encode()
        (entry,) = parse_po(data, "t.po").entries
        assert entry.segment.flags == expected


def test_a_huge_range_is_scanned_in_bounded_time() -> None:
    segment = seg("One file", "%d files", (*C, "range: 0..1000000000000"))
    ctx = context("de")
    # too long to settle: no form is let off by the range (the n=1 form still is, as ever)
    assert issue_of("placeholders", segment, ("Datei", "%d Dateien"), ctx) is None
    assert issue_of("placeholders", segment, ("Datei", "Dateien"), ctx) is not None
    assert issue_of("range", segment, ("Datei", "%d Dateien"), ctx) is None


# --- agreement with GNU msgfmt on `range:` ---------------------------------------------------

needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU msgfmt missing")


def msgfmt_accepts(text: str, tmp_path: Path) -> bool:
    path = tmp_path / "range.po"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode == 0


def ours_accepts(text: str) -> bool:
    catalog = parse_po(text.encode(), "range.po")
    fields = dict(catalog.header_fields())
    ctx = CheckContext(
        "en", fields["Language"], plural_info(fields["Language"], fields["Plural-Forms"])
    )
    (entry,) = catalog.entries
    return issue_of("placeholders", entry.segment, entry.forms, ctx) is None


@needs_msgfmt
@pytest.mark.parametrize(("locale", "flags", "forms"), MSGFMT_RANGE_CASES)
def test_range_agrees_with_msgfmt(
    locale: str, flags: str, forms: tuple[str, ...], tmp_path: Path
) -> None:
    text = po_text(locale, flags, forms)
    assert ours_accepts(text) == msgfmt_accepts(text, tmp_path)


@needs_msgfmt
def test_msgfmt_cases_accept_and_reject(tmp_path: Path) -> None:
    verdicts = [msgfmt_accepts(po_text(*case), tmp_path) for case in MSGFMT_RANGE_CASES]
    assert 7 <= sum(verdicts) <= len(verdicts) - 7  # both answers well represented


@needs_msgfmt
def test_range_without_a_space_is_honoured_though_msgfmt_ignores_it(tmp_path: Path) -> None:
    """A deliberate difference: `range:1..1` reads as `range: 1..1` here (polib and Weblate
    keep it as one flag), while msgfmt 0.21 only knows the spaced form and is strict."""
    text = po_text("de", "c-format, range:1..1", ("Eine Datei", "Dateien"))
    assert ours_accepts(text)
    assert not msgfmt_accepts(text, tmp_path)
