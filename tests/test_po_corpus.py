"""Real-world catalogues: the .po files shipped by Sphinx and Django (test dependencies).

Every catalogue must round-trip byte for byte, agree with polib field by field, change only
the edited entry's lines, and render fresh entries exactly as GNU msgcat does.
"""

from __future__ import annotations

import difflib
import importlib.util
import random
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import polib
import pytest

from locflow.connectors.po import read_po, render_po
from locflow.connectors.po_edit import new_entry, with_entries, with_translation
from locflow.connectors.po_model import PoCatalog, PoEntry
from locflow.connectors.po_parse import parse_po

needs_gettext = pytest.mark.skipif(
    shutil.which("msgcat") is None or shutil.which("msgfmt") is None,
    reason="GNU gettext tools not installed",
)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def corpus() -> list[Path]:
    files: list[Path] = []
    sphinx, django = _package_dir("sphinx"), _package_dir("django")
    if sphinx is not None:
        files += sorted(sphinx.glob("locale/*/LC_MESSAGES/sphinx.po"))
    if django is not None:
        files += sorted(django.glob("**/locale/*/LC_MESSAGES/*.po"))
    return files


CORPUS = corpus()
SAMPLE = CORPUS[::10]


def test_corpus_round_trips_byte_identical() -> None:
    assert len(CORPUS) >= 200, "sphinx and django (test extras) must be installed"
    assert any("sphinx" in p.parts for p in CORPUS) and any("django" in p.parts for p in CORPUS)
    entries = 0
    started = time.perf_counter()
    for path in CORPUS:
        data = path.read_bytes()
        cat = parse_po(data, str(path))
        entries += len(cat.entries) + (cat.header is not None)
        assert render_po(cat) == data, path
    elapsed = time.perf_counter() - started
    print(f"\n{len(CORPUS)} catalogues, {entries} entries round-tripped in {elapsed:.1f}s")
    assert entries > 100_000


def _polib_view(e: polib.POEntry) -> tuple[object, ...]:
    forms = (
        (e.msgstr,)
        if not e.msgid_plural
        else tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural))
    )
    return (
        e.msgid,
        e.msgctxt,
        e.msgid_plural or None,
        forms,
        tuple(e.flags),
        e.obsolete,
        tuple(tuple(o) for o in e.occurrences),
        e.tcomment,
        e.comment,
        e.previous_msgid,
        e.previous_msgctxt,
    )


def _our_view(e: PoEntry) -> tuple[object, ...]:
    s = e.segment
    return (
        s.msgid,
        s.msgctxt,
        s.msgid_plural,
        e.forms,
        s.flags,
        s.obsolete,
        s.occurrences,
        s.translator_comments,
        s.extracted_comments,
        s.previous_msgid,
        s.previous_msgctxt,
    )


def test_fields_agree_with_polib() -> None:
    for path in CORPUS:
        ours = read_po(path)
        theirs = polib.pofile(str(path))
        assert [_our_view(e) for e in ours.entries] == [_polib_view(e) for e in theirs], path
        assert ours.plural_forms() == theirs.metadata.get("Plural-Forms"), path
        assert dict(ours.header_fields()) == {k: v.strip() for k, v in theirs.metadata.items()}


def _msgfmt_ok(data: bytes, tmp_path: Path) -> bool:
    path = tmp_path / "check.po"
    path.write_bytes(data)
    done = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", "/dev/null", str(path)], capture_output=True
    )
    return done.returncode == 0


def _changed_lines(old: bytes, new: bytes) -> tuple[int, int]:
    a, b = old.decode().splitlines(), new.decode().splitlines()
    ops = [
        op
        for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    return min(op[1] for op in ops), max(op[2] for op in ops)


@needs_gettext
def test_one_changed_translation_changes_only_its_lines(tmp_path: Path) -> None:
    rnd = random.Random(2026)
    checked = accepted = 0
    for path in rnd.sample(CORPUS, 80):
        cat = read_po(path)
        candidates = [i for i, e in enumerate(cat.entries) if not e.segment.obsolete]
        if not candidates:
            continue
        i = rnd.choice(candidates)
        old_entry = cat.entries[i]
        forms = tuple(
            f"{form} (revised, now long enough that it has to be wrapped again by the "
            f"writer at the width of this file)"
            if form
            else "new"
            for form in old_entry.forms
        )
        fuzzy = rnd.random() < 0.5
        new = with_translation(
            old_entry, forms, fuzzy=fuzzy, previous=old_entry.segment if fuzzy else None
        )
        old, data = path.read_bytes(), render_po(replace_entry(cat, i, new))
        first, last = _changed_lines(old, data)
        start = old_entry.line - 1
        assert start <= first and last <= start + (old_entry.raw or "").count("\n"), path
        again = parse_po(data, str(path)).entries[i]
        assert again.forms == forms and again.fuzzy == fuzzy
        assert again.segment.msgid == old_entry.segment.msgid
        checked += 1
        if any(not form for form in old_entry.forms) or not _msgfmt_ok(old, tmp_path):
            continue  # msgfmt already refuses it, or "new" drops placeholders on purpose
        assert _msgfmt_ok(data, tmp_path), path
        accepted += 1
    assert checked >= 70 and accepted >= 30


def replace_entry(cat: PoCatalog, index: int, entry: PoEntry) -> PoCatalog:
    return with_entries(cat, (*cat.entries[:index], entry, *cat.entries[index + 1 :]))


def _fresh_matches_msgcat(paths: list[Path], width: int | None) -> int:
    args = ["--no-wrap"] if width is None else ["-w", str(width)]
    count = 0
    for path in paths:
        theirs = subprocess.run(
            ["msgcat", *args, str(path)], capture_output=True, check=True
        ).stdout
        cat = replace(parse_po(theirs, str(path)), width=width)
        fresh = with_entries(
            cat, [new_entry(e.segment, e.forms, fuzzy=e.fuzzy) for e in cat.entries]
        )
        ours = render_po(fresh)
        assert ours.split(b"\n\n")[1:] == theirs.split(b"\n\n")[1:], path
        count += len(cat.entries)
    return count


@needs_gettext
@pytest.mark.parametrize("width", [79, 60, None])
def test_fresh_entries_are_wrapped_like_msgcat(width: int | None) -> None:
    assert _fresh_matches_msgcat(SAMPLE, width) > 10_000


@needs_gettext
@pytest.mark.slow
@pytest.mark.parametrize("width", [79, 60, None])
def test_fresh_entries_are_wrapped_like_msgcat_whole_corpus(width: int | None) -> None:
    assert _fresh_matches_msgcat(CORPUS, width) > 100_000
