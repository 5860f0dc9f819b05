"""catalog.checks against an oracle: translate-toolkit's `pofilter`.

A corpus of deliberately broken German translations (tests/fixtures/broken_translations)
goes through `pofilter` (as a user runs it) and through `run_checks`; every entry pofilter
flags must be flagged by ours too. A second file lists what pofilter flags and locflow
accepts on purpose (gettext semantics), each with its reason, and stays exact.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from locflow.catalog.checks import CheckContext, Issue, run_checks
from locflow.catalog.plurals import plural_info
from locflow.connectors.po import read_po
from locflow.connectors.po_model import PoCatalog
from tests.support.env import IN_CI

FIXTURES = Path(__file__).parent / "fixtures" / "broken_translations"
BROKEN = FIXTURES / "broken.po"
DELIBERATE = FIXTURES / "deliberate.po"
POFILTER_TESTS = (
    "variables",
    "printf",
    "pythonbraceformat",
    "xmltags",
    "newlines",
    "endwhitespace",
    "startwhitespace",
    "urls",
)
BEYOND_POFILTER = {"P05 changed ordinal"}
"""Broken entries ours flags and pofilter does not (`%1$s … %2$s` -> `%1$s … %1$s`: the
types still agree, so pofilter misses the lost second argument)."""
_NOTE = re.compile(r"^\(pofilter\) (\w+):", re.MULTILINE)
_EXPECT = re.compile(r"^expect: (.+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def pofilter() -> str:
    exe = Path(sys.executable).parent / "pofilter"
    if exe.exists():
        return str(exe)
    found = shutil.which("pofilter")
    if found is None:
        reason = "translate-toolkit's pofilter is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(f"CI requires it: {reason}")
        pytest.skip(reason)
    return found


def run_pofilter(exe: str, src: Path, tmp: Path) -> dict[str, set[str]]:
    """msgctxt -> the pofilter tests that flag the entry (entries it does not flag are absent)."""
    out = tmp / f"{src.stem}.pofilter.po"
    tests = [arg for name in POFILTER_TESTS for arg in ("-t", name)]
    proc = subprocess.run(
        [exe, "--progress=none", "--language=de", *tests, str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr
    flagged: dict[str, set[str]] = {}
    for entry in read_po(out).entries:
        names = set(_NOTE.findall(entry.segment.translator_comments))
        if names:
            flagged[entry.segment.msgctxt or entry.segment.msgid] = names
    return flagged


def _context(catalog: PoCatalog) -> CheckContext:
    fields = dict(catalog.header_fields())
    locale = fields["Language"]
    return CheckContext(
        source_locale="en", target_locale=locale, plural=plural_info(locale, fields["Plural-Forms"])
    )


def run_ours(src: Path) -> dict[str, tuple[Issue, ...]]:
    """msgctxt -> our issues, for every entry of the file."""
    catalog = read_po(src)
    ctx = _context(catalog)
    return {
        e.segment.msgctxt or e.segment.msgid: run_checks(e.segment, e.forms, ctx)
        for e in catalog.entries
    }


def expectations(src: Path) -> dict[str, set[str]]:
    """msgctxt -> the check ids its `# expect:` comment names (empty for `clean`)."""
    out = {}
    for e in read_po(src).entries:
        m = _EXPECT.search(e.segment.translator_comments)
        assert m is not None, f"{e.segment.msgctxt}: no '# expect:' comment"
        names = {n.strip() for n in m.group(1).split(",")}
        out[e.segment.msgctxt or e.segment.msgid] = set() if names == {"clean"} else names
    return out


def _shown(ours: dict[str, tuple[Issue, ...]], keys: set[str]) -> str:
    return "\n".join(
        f"  {k}: {[f'{i.check}: {i.message}' for i in ours[k]] or 'nothing'}" for k in sorted(keys)
    )


def test_the_corpus_has_every_kind_of_breakage_and_controls() -> None:
    expected = expectations(BROKEN)
    assert len(expected) >= 60
    kinds = {name for names in expected.values() for name in names}
    assert kinds >= {"placeholders", "tags", "newlines", "line_breaks", "whitespace", "urls"}
    assert sum(1 for names in expected.values() if not names) >= 15  # clean controls


def test_pofilter_flags_the_broken_entries_and_spares_the_controls(
    pofilter: str, tmp_path: Path
) -> None:
    """The oracle agrees with the corpus' labels (so the next test means something)."""
    flagged = run_pofilter(pofilter, BROKEN, tmp_path)
    broken = {k for k, names in expectations(BROKEN).items() if names}
    assert set(flagged) == broken - BEYOND_POFILTER
    fired = set().union(*flagged.values())
    # `variables` has no variable syntax in pofilter's standard checker: it never fires
    assert fired == set(POFILTER_TESTS) - {"variables"}


def test_ours_flags_every_entry_pofilter_flags(pofilter: str, tmp_path: Path) -> None:
    flagged = run_pofilter(pofilter, BROKEN, tmp_path)
    ours = run_ours(BROKEN)
    missed = {k for k in flagged if not ours[k]}
    assert not missed, "pofilter flags, locflow misses:\n" + "\n".join(
        f"  {k}: {sorted(flagged[k])}" for k in sorted(missed)
    )


def test_ours_fires_the_expected_checks_and_nothing_on_controls() -> None:
    ours = run_ours(BROKEN)
    wrong = {
        k
        for k, names in expectations(BROKEN).items()
        if not names <= {i.check for i in ours[k]} or (not names and ours[k])
    }
    assert not wrong, "unexpected results:\n" + _shown(ours, wrong)
    for issues in ours.values():
        assert all(i.message and "\n" not in i.message for i in issues)


def test_deliberate_differences_stay_exactly_these(pofilter: str, tmp_path: Path) -> None:
    """What pofilter flags and gettext (and locflow) accept; each entry says why."""
    catalog = read_po(DELIBERATE)
    keys = {e.segment.msgctxt or "" for e in catalog.entries}
    assert all("why:" in e.segment.translator_comments for e in catalog.entries)
    assert set(run_pofilter(pofilter, DELIBERATE, tmp_path)) == keys
    ours = run_ours(DELIBERATE)
    flagged_by_us = {k for k, issues in ours.items() if issues}
    assert not flagged_by_us, "now flagged by locflow:\n" + _shown(ours, flagged_by_us)
