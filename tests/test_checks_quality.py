"""The quality checks `length`, `max_length`, `markdown` and `range` (catalog/checks.py), the
`range:` flag in the `placeholders` check, and catalog/inventories.py.

`length` is calibrated on real translations (Sphinx's and Django's catalogues): it must spare
nearly all of them and still catch translations paired with the wrong source. The `range:`
flag is compared with GNU msgfmt, which decides whether a catalogue compiles.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from locflow.catalog.checks import CHECKS, CheckContext, Issue, run_checks
from locflow.catalog.inventories import expansion, markdown_items, tag_key, visible_length
from locflow.catalog.placeholders import mask, unmask
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.connectors.engines.pseudo import pseudo_localise
from locflow.connectors.markdown import read_markdown
from locflow.connectors.po import read_po
from tests.support.check_cases import (
    CASES,
    FILES,
    LONG,
    MD,
    PY,
    ROOT,
    C,
    Entries,
    context,
    issue_of,
    seg,
)


@pytest.mark.parametrize(("check", "segment", "forms", "target", "fires"), CASES)
def test_check(
    check: str, segment: Segment, forms: tuple[str, ...], target: str, fires: bool
) -> None:
    issue = issue_of(check, segment, forms, context(target))
    if not fires:
        assert issue is None, issue
        return
    assert isinstance(issue, Issue)
    assert (issue.check, issue.severity) == (check, CHECKS[check][1])
    assert issue.message and "\n" not in issue.message


def test_every_new_check_has_a_passing_and_a_failing_case() -> None:
    covered = {(check, fires) for check, *_, fires in CASES}
    new = ("length", "max_length", "markdown", "range", "placeholders")
    assert covered == {(check, fires) for check in new for fires in (False, True)}


def test_table_entries() -> None:
    severities = {check: severity for check, (_, severity) in CHECKS.items()}
    assert severities["length"] == "warning"
    assert severities["max_length"] == severities["markdown"] == severities["range"] == "error"
    assert [CHECKS[c][0].__name__ for c in ("length", "markdown")] == [
        "check_length",
        "check_markdown",
    ]


# --- messages ------------------------------------------------------------------------------


def test_length_messages() -> None:
    long_ja = issue_of("length", seg(LONG), ("選択したファイルを削除します。" * 5,), context("ja"))
    assert long_ja is not None
    assert long_ja.message == "msgstr is 1.79× the source length (expected at most 1.5× for ja)"
    short = issue_of("length", seg(LONG), ("Supprimer",), context("fr"))
    assert short is not None
    assert short.message == "msgstr is 0.214× the source length (expected at least 0.33× for fr)"
    plural = issue_of("length", FILES, ("Eine Datei", "%d"), context("de"))
    assert plural is not None and plural.message.startswith("msgstr[1] is 0× the source length")


def test_length_ratio_never_reads_as_the_bound() -> None:
    # 61 visible characters for a source of 20: ×3.05, shown as 3.05×, not 3×
    issue = issue_of("length", seg("a" * 20), ("b" * 61,), context("fr"))
    assert issue is not None and issue.message.startswith("msgstr is 3.05×")
    assert issue_of("length", seg("a" * 20), ("b" * 60,), context("fr")) is None


def test_length_from_a_cjk_source_is_inverted() -> None:
    source = seg("選択したファイルをプロジェクトから削除します")  # 21 characters
    assert issue_of("length", source, (LONG,), context("en", source="ja")) is None
    assert issue_of("length", source, ("Delete",), context("en", source="ja")) is not None
    # the same English from an English source would be far too long
    assert issue_of("length", seg("選択したファイル"), (LONG,), context("fr")) is not None


def test_max_length_message() -> None:
    issue = issue_of(
        "max_length", seg("Save", flags=("max-length:10",)), ("Enregistrer",), context("fr")
    )
    assert issue is not None
    assert issue.message == "msgstr has 11 characters, more than max-length 10"
    bad = issue_of("max_length", seg("Save", flags=("max-length:ten",)), ("Sauver",), context("fr"))
    assert (
        bad is not None and bad.message == "invalid flag 'max-length:ten': expected 'max-length:N'"
    )


def test_markdown_message_lists_missing_and_unexpected() -> None:
    segment = seg("See [the docs](https://x.org) and run `f()` **now**", flags=MD)
    issue = issue_of("markdown", segment, ("Voir la doc et lancez *maintenant*",), context("fr"))
    assert issue is not None
    assert issue.message == (
        "msgstr Markdown: missing code(`f()`) link(https://x.org) strong; unexpected em"
    )


def test_range_message() -> None:
    segment = seg("One file", "%d files", (*C, "range: 5..2"))
    issue = issue_of("range", segment, ("Datei", "%d Dateien"), context("de"))
    assert issue is not None
    assert issue.message == (
        "invalid flag 'range: 5..2': expected 'range: MIN..MAX' with MIN ≤ MAX"
    )


# --- inventories ---------------------------------------------------------------------------


def test_markdown_items() -> None:
    text = '**b** *e* ~~s~~ [l](https://x.org "t") ![i](a.png) `f()` <https://y.org> a\\\nb'
    assert markdown_items(text) == [
        "strong",
        "em",
        "s",
        "link(https://x.org)",
        "image(a.png)",
        "code(`f()`)",
        "link(https://y.org)",
        "hardbreak",
    ]
    assert markdown_items("plain *text* with `` a`b ``") == ["em", "code(`a`b`)"]
    assert markdown_items("not a [link] nor *emphasis") == []


def test_tag_key_moved_unchanged() -> None:
    assert tag_key("<A HREF=\"x\" Title='t' class=c>") == '<a class="c" href="x">'
    assert tag_key("<br/>") == "<br/>"
    assert tag_key("<!-- note -->") == "<!---->"


def test_visible_length_and_expansion() -> None:
    assert visible_length("  Delete %(name)s   now? ", PY) == len("Delete now?")
    assert visible_length("See <b>this</b> at https://x.org", ()) == len("See this at")
    assert visible_length("Run `make test` [here](https://x.org)", MD) == len("Run here")
    assert expansion("ja_JP", "ファイル") == 0.5
    assert expansion("ja", "[Ŝáṽé 🎉]") == 1.0  # Latin (an emoji is wide, not a letter)
    assert expansion("fr", "Fichier") == expansion("th", "ไฟล์") == 1.0


# --- calibration on real translations ---------------------------------------------------------


def corpus() -> list[Path]:
    """The .po files Sphinx and Django ship (test extras), as tests/test_po_corpus.py finds them."""
    files: list[Path] = []
    for name, pattern in (
        ("sphinx", "locale/*/LC_MESSAGES/sphinx.po"),
        ("django", "**/locale/*/LC_MESSAGES/*.po"),
    ):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files += sorted(Path(spec.origin).parent.glob(pattern))
    return files


def real_entries(step: int = 3) -> Entries:
    """Translated, non-fuzzy entries of every `step`-th catalogue of Sphinx and Django."""
    out = []
    for path in corpus()[::step]:
        locale = path.parts[path.parts.index("locale") + 1]
        catalog = read_po(path)
        try:
            plural = plural_info(locale, catalog.plural_forms())
        except ValueError:
            plural = plural_info("en")
        ctx = CheckContext("en", locale, plural)
        for e in catalog.entries:
            s = e.segment
            if not s.obsolete and not s.fuzzy and all(f.strip() for f in e.forms):
                out.append((s, e.forms, ctx))
    return out


@pytest.fixture(scope="module")
def real() -> Entries:
    entries = real_entries()
    if len(entries) < 3000:
        pytest.skip("sphinx and django (test extras) provide the real catalogues")
    return entries


def test_length_spares_real_translations(real: Entries) -> None:
    """Measured on the whole corpus: 31 of 77,724 compared entries (0.04 %) flagged, about
    half of them real defects (a truncated msgstr, `%s` alone for a sentence)."""
    compared = [
        (s, forms, ctx)
        for s, forms, ctx in real
        if any(visible_length(ref, s.flags) >= 5 for ref in (s.msgid, s.msgid_plural or ""))
    ]
    flagged = [(s.msgid, forms) for s, forms, ctx in compared if issue_of("length", s, forms, ctx)]
    rate = len(flagged) / len(compared)
    print(f"\nlength: {len(flagged)} of {len(compared)} real translations flagged ({rate:.3%})")
    assert len(compared) > 20_000
    assert rate < 0.005, flagged[:20]


def test_length_catches_mismatched_translations(real: Entries) -> None:
    """The same translations paired with another entry's source: many are flagged."""
    rnd = random.Random(2026)
    singles = [(s, forms, ctx) for s, forms, ctx in real if not s.is_plural]
    flagged = sum(
        issue_of("length", s, rnd.choice(singles)[1], ctx) is not None for s, _, ctx in singles
    )
    assert flagged / len(singles) > 0.15
    cut = [(s, (f[0][: len(f[0]) // 4],), ctx) for s, f, ctx in singles if len(s.msgid) >= 40]
    caught = sum(issue_of("length", s, forms, ctx) is not None for s, forms, ctx in cut)
    assert caught / len(cut) > 0.6


def test_flag_checks_spare_real_translations(real: Entries) -> None:
    for s, forms, ctx in real:
        assert issue_of("range", s, forms, ctx) is None, s.msgid
        assert issue_of("max_length", s, forms, ctx) is None, s.msgid


# --- pseudo translations of the demo and the Markdown fixtures -----------------------------------


def pseudo(text: str, flags: tuple[str, ...]) -> str:
    masked = mask(text, flags, markdown="markdown" in flags)
    return unmask(masked, pseudo_localise(masked.text)) if masked.text else text


@pytest.mark.parametrize("locale", ["fr", "ru", "ar", "de", "ja", "zh_CN"])
def test_pseudo_translations_pass_the_new_checks(locale: str) -> None:
    docs = [ROOT / "examples" / "demo" / "docs" / "index.md"]
    docs += sorted((ROOT / "tests" / "fixtures" / "markdown").glob("*.md"))
    segments = [b.segment for doc in docs for b in read_markdown(doc).blocks]
    segments += [e.segment for e in read_po(ROOT / "examples/demo/locale/messages.pot").entries]
    assert sum("markdown" in s.flags for s in segments) > 100
    ctx = context(locale)
    found = []
    for s in (s for s in segments if not s.is_plural):
        issues = run_checks(s, (pseudo(s.msgid, s.flags),), ctx)
        found += [(s.msgid, i.message) for i in issues if i.check in ("length", "markdown")]
    assert not found
