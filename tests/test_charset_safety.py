"""Charset safety (issue 13, case 2): a legacy-charset catalogue (WTForms ships ISO-8859-15
ones, written by Babel) and text its charset cannot encode.

- at translate time the `charset` check flags such text (machine output, memory hits and
  reviewer edits alike): the string waits in needs_review, the reason naming the characters
  and the charset;
- at export the entry keeps its previous text or is left out, reported, and nothing else is
  blocked: the catalogue stays in its charset and passes `msgfmt -c`, the other locales'
  UTF-8 catalogues are written, and the next run does the same;
- `[export] charset = "utf-8"` converts legacy catalogues to UTF-8, header included.
The pseudo engine accents letters into `ţ`, `ŕ`, `ļ`, `ɱ`, `ṽ`…, none of them in latin-9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.connectors.po import read_po, render_po
from locflow.connectors.po_edit import with_header_fields
from locflow.connectors.po_model import PoError
from locflow.connectors.po_parse import parse_po
from locflow.db import repo
from locflow.db.models import SegmentRow
from locflow.db.states import State
from locflow.pipeline.export_merge import render_fitted
from locflow.review import actions
from locflow.review.users import add_user, get_user
from locflow.settings import ConfigError, load_config
from tests.support.env import run_cli
from tests.support.helpers import config_for, export, sync, translate
from tests.support.wtforms_latin9 import (
    FR_LATIN9,
    HUMAN_FR,
    MACHINE_FR,
    POT,
    msgfmt_ok,
    po_path,
    use_utf8_export,
    wtforms_project,
)


@pytest.fixture
def wtforms(tmp_path: Path) -> Path:
    return wtforms_project(tmp_path)


@dataclass(frozen=True)
class Version:
    id: int
    state: State
    origin: str
    issues: tuple[dict[str, str], ...]


def versions(Session, locale: str) -> dict[str, Version]:
    """The newest version of each msgid in `locale`."""
    with Session() as s:
        rows = {r.id: r.msgid for r in s.scalars(select(SegmentRow))}
        found = repo.current_versions(s, list(rows), locale)
        return {
            rows[sid]: Version(v.id, State(v.state), v.origin, tuple(v.issues or ()))
            for sid, vs in found.items()
            for v in vs[:1]
        }


def charset_issues(version: Version) -> list[str]:
    return [i["message"] for i in version.issues if i["check"] == "charset"]


def test_machine_text_the_catalogue_charset_cannot_encode_waits_for_review(
    wtforms, Session, db_url
):
    config = config_for(wtforms, db_url)
    sync(Session, config)
    counts, _ = translate(Session, config)
    fr = versions(Session, "fr")
    for msgid in MACHINE_FR:
        assert fr[msgid].state == State.NEEDS_REVIEW, msgid
        (reason,) = charset_issues(fr[msgid])
        assert "charset ISO-8859-15 cannot encode" in reason
        assert "'ţ' (U+0163)" in reason or "'ŕ' (U+0155)" in reason or "'ļ'" in reason
    for msgid in HUMAN_FR:  # imported human text fits by definition: not re-checked
        assert fr[msgid].origin == "human" and not charset_issues(fr[msgid])
    assert counts.issues["charset"] == len(MACHINE_FR)
    for locale in ("ro", "de"):  # UTF-8 (ro's file) or new (UTF-8): nothing flagged
        assert not any(charset_issues(v) for v in versions(Session, locale).values())
        assert any(v.state == State.MACHINE for v in versions(Session, locale).values())


def test_export_writes_everything_else_in_the_legacy_charset_run_after_run(
    wtforms, Session, db_url, msgfmt
):
    config = config_for(wtforms, db_url)
    sync(Session, config)
    translate(Session, config)
    files = {f.locale: f for f in export(Session, config)}
    # every fr change was left out: its bytes stay as they were, so it is not rewritten
    assert {loc for loc, f in files.items() if f.written} == {"ro", "de"}
    data = po_path(wtforms, "fr").read_bytes()
    assert data == FR_LATIN9.encode("iso-8859-15")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # still ISO-8859-15: è, ê, « and € in its own bytes
    assert b"charset=ISO-8859-15" in data and "€".encode("iso-8859-15") in data
    out = read_po(po_path(wtforms, "fr"))
    by_id = {e.segment.msgid: e for e in out.entries}
    for msgid, text in HUMAN_FR.items():
        assert by_id[msgid].forms == (text,)
    for msgid in MACHINE_FR:
        assert not any(by_id[msgid].forms), msgid  # no previous text: left out
        assert any(f"{msgid!r} omitted: charset" in line for line in files["fr"].demoted)
    for locale in ("fr", "ro", "de"):
        msgfmt_ok(msgfmt, po_path(wtforms, locale))
    for locale in ("ro", "de"):
        other = read_po(po_path(wtforms, locale))
        assert other.encoding == "utf-8" and not files[locale].demoted
        pseudo = [e for e in other.entries if e.fuzzy and "ţ" in "".join(e.forms)]
        assert pseudo  # the machine text the latin-9 catalogue could not take
    before = {loc: po_path(wtforms, loc).read_bytes() for loc in ("fr", "ro", "de")}
    sync(Session, config)  # the next run: the same, and nothing rewritten
    counts, sent = translate(Session, config)
    assert sent == 0 and counts.needs_review == 0
    again = {f.locale: f for f in export(Session, config)}
    assert not any(f.written for f in again.values())
    assert before == {loc: po_path(wtforms, loc).read_bytes() for loc in ("fr", "ro", "de")}


def reviewer(s):
    if get_user(s, "rita") is None:
        add_user(s, "rita", "correct horse", role="lead", locales=["fr", "ro", "de"])
    return get_user(s, "rita")


def test_a_reviewer_edit_the_charset_cannot_encode_is_flagged_and_kept_out(
    wtforms, Session, db_url, msgfmt
):
    config = config_for(wtforms, db_url)
    sync(Session, config)
    required = versions(Session, "fr")["This field is required."].id
    ro_required = versions(Session, "ro")["This field is required."].id
    with Session() as s, s.begin():
        done = actions.edit(s, reviewer(s), required, ("Ce champ est requis ’ţ’.",))
    assert done.state == State.NEEDS_REVIEW
    assert "'’' (U+2019), 'ţ' (U+0163)" in done.message and "ISO-8859-15" in done.message
    with Session() as s, s.begin():
        actions.approve(s, reviewer(s), done.version_id, override=True, comment="on purpose")
        fine = actions.edit(s, reviewer(s), ro_required, ("Acest câmp este obligatoriu ţ.",))
    assert fine.state == State.APPROVED  # ro's catalogue is UTF-8
    files = {f.locale: f for f in export(Session, config)}
    by_id = {e.segment.msgid: e for e in read_po(po_path(wtforms, "fr")).entries}
    assert by_id["This field is required."].forms == ("Ce champ est requis.",)
    assert any(
        "'This field is required.' kept its previous text: charset" in line
        for line in files["fr"].demoted
    )
    ro = {e.segment.msgid: e for e in read_po(po_path(wtforms, "ro")).entries}
    assert ro["This field is required."].forms == ("Acest câmp este obligatoriu ţ.",)
    msgfmt_ok(msgfmt, po_path(wtforms, "fr"))


def test_utf8_export_converts_legacy_catalogues_with_their_translations(
    wtforms, Session, db_url, msgfmt
):
    use_utf8_export(wtforms)
    config = config_for(wtforms, db_url)
    assert config.export.charset == "utf-8"
    sync(Session, config)
    translate(Session, config)
    fr = versions(Session, "fr")
    assert not any(charset_issues(v) for v in fr.values())  # the file will be UTF-8
    assert all(fr[m].state == State.MACHINE for m in MACHINE_FR)
    files = {f.locale: f for f in export(Session, config)}
    assert not files["fr"].demoted and files["fr"].written
    data = po_path(wtforms, "fr").read_bytes()
    text = data.decode("utf-8")
    assert "Content-Type: text/plain; charset=UTF-8\\n" in text and "ISO-8859-15" not in text
    assert "Generated-By: Babel 2.8.0\\n" in text  # the rest of the header kept
    by_id = {e.segment.msgid: e for e in read_po(po_path(wtforms, "fr")).entries}
    for msgid, human in HUMAN_FR.items():
        assert by_id[msgid].forms == (human,)
    for msgid in MACHINE_FR:
        assert all(by_id[msgid].forms) and by_id[msgid].fuzzy
        assert any(ch in "".join(by_id[msgid].forms) for ch in "ţŕļɱṽ")
    msgfmt_ok(msgfmt, po_path(wtforms, "fr"))


def test_switching_to_utf8_later_converts_on_the_next_export(wtforms, Session, db_url, msgfmt):
    config = config_for(wtforms, db_url)
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    use_utf8_export(wtforms)
    files = {f.locale: f for f in export(Session, config_for(wtforms, db_url))}
    assert files["fr"].written and not files["ro"].written and not files["fr"].demoted
    out = read_po(po_path(wtforms, "fr"))
    assert out.encoding == "utf-8"
    by_id = {e.segment.msgid: e for e in out.entries}
    assert all(all(by_id[m].forms) for m in MACHINE_FR)  # flagged text now goes out fuzzy
    msgfmt_ok(msgfmt, po_path(wtforms, "fr"))


def test_template_text_the_charset_cannot_hold_converts_that_catalogue(
    wtforms, Session, db_url, msgfmt
):
    """No translation to leave out: the catalogue is converted to UTF-8, as msgmerge does,
    and that is reported; the export goes on."""
    pot = wtforms / "src" / "wtforms" / "locale" / "wtforms.pot"
    pot.write_text(POT + '\n#: src/wtforms/form.py:12\nmsgid "Don’t repeat"\nmsgstr ""\n')
    config = config_for(wtforms, db_url)
    sync(Session, config)
    files = {f.locale: f for f in export(Session, config)}
    assert {loc for loc, f in files.items() if f.written} == {"fr", "ro", "de"}
    assert any("converted from ISO8859-15 to UTF-8" in x for x in files["fr"].notes)
    assert not files["fr"].demoted  # no entry was left undone: no gap, no exit 5
    again = {f.locale: f for f in export(Session, config)}  # already UTF-8: nothing to tell
    assert not again["fr"].written and not again["fr"].notes
    out = read_po(po_path(wtforms, "fr"))
    assert out.encoding == "utf-8"
    by_id = {e.segment.msgid: e for e in out.entries}
    assert by_id["Invalid CSRF Token."].forms == ("Jeton CSRF non valide.",)
    assert "Don’t repeat" in by_id
    msgfmt_ok(msgfmt, po_path(wtforms, "fr"))


@pytest.mark.parametrize("value", ["latin-1", "utf-16", "", "1"])
def test_an_unknown_export_charset_is_a_config_error(wtforms, value):
    toml = wtforms / "locflow.toml"
    toml.write_text(toml.read_text() + f"charset = {value!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match=r'\[export\] charset must be "keep" or "utf-8"'):
        load_config(toml, env={})


def test_cli_refuses_an_unknown_export_charset_with_exit_2(wtforms, tmp_path):
    toml = wtforms / "locflow.toml"
    toml.write_text(toml.read_text() + 'charset = "latin-9"\n')
    env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    done = run_cli("sync", cwd=wtforms, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("locflow: error: ")
    assert 'charset must be "keep" or "utf-8"' in done.stderr


@pytest.mark.slow
def test_cli_run_twice_on_a_legacy_catalogue(wtforms, prefect_server, tmp_path, msgfmt):
    """The measured case: `locflow run` on the WTForms-like project, twice."""
    env = {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    first = run_cli("run", cwd=wtforms, env=env)
    # fr's unencodable machine text is kept out, reported, and the run says partial (exit 5)
    assert first.returncode == 5, first.stderr
    assert "locflow: partial: " in first.stderr and "ISO8859-15" in first.stdout
    assert "locflow: error" not in first.stderr  # no longer a stop for every catalogue
    written = {loc: po_path(wtforms, loc).read_bytes() for loc in ("fr", "ro", "de")}
    assert b"charset=ISO-8859-15" in written["fr"]
    for locale in ("fr", "ro", "de"):
        msgfmt_ok(msgfmt, po_path(wtforms, locale))
    second = run_cli("run", cwd=wtforms, env=env)
    assert second.returncode == 5, second.stderr  # the same decision, told again
    assert written == {loc: po_path(wtforms, loc).read_bytes() for loc in ("fr", "ro", "de")}
    report = run_cli("export", "--dry-run", cwd=wtforms, env=env)
    assert report.returncode == 0, report.stderr


OTHER_POT = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
OTHER_POT += 'msgid "Invalid email address."\nmsgstr ""\n'


def test_a_memory_hit_the_charset_cannot_encode_waits_for_review(wtforms, Session, db_url):
    """An approved translation from another (UTF-8) catalogue is reused without an engine
    call, but not as clean `machine` text where the catalogue's charset cannot hold it."""
    other = wtforms / "other"
    (other / "fr").mkdir(parents=True)
    (other / "other.pot").write_text(OTHER_POT, encoding="utf-8")
    fr = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    fr += 'msgid "Invalid email address."\nmsgstr "Adresse e‑mail « non valide »"\n'
    (other / "fr" / "other.po").write_text(fr, encoding="utf-8")  # U+2011: not in latin-9
    toml = wtforms / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            "[engine]",
            '[[catalogs]]\ntemplate = "other/other.pot"\npath = "other/{locale}/other.po"\n\n'
            "[engine]",
        )
    )
    config = config_for(wtforms, db_url)
    sync(Session, config)
    counts, _ = translate(Session, config)
    assert counts.reused >= 1
    with Session() as s:
        rows = s.scalars(select(SegmentRow).where(SegmentRow.msgid == "Invalid email address."))
        ids = [r.id for r in rows]
        found = repo.current_versions(s, ids, "fr")
        reused = [v for vs in found.values() for v in vs[:1] if v.origin == "tm"]
        assert len(reused) == 1 and reused[0].state == State.NEEDS_REVIEW
        assert "'‑' (U+2011)" in reused[0].issues[0]["message"]


def test_a_header_field_the_charset_cannot_hold_converts_instead_of_stopping() -> None:
    """The safety net under the per-entry decisions: text no decision covered (a header
    field) converts the catalogue to UTF-8, with a note, instead of failing the export."""
    latin9 = parse_po(FR_LATIN9.encode("iso-8859-15"), "wtforms.po")
    with pytest.raises(PoError, match="cannot be written in charset"):
        render_po(with_header_fields(latin9, {"Last-Translator": "Ţepeş <t@example.org>"}))
    catalog, data, notes = render_fitted(
        with_header_fields(latin9, {"Last-Translator": "Ţepeş <t@example.org>"})
    )
    assert catalog.encoding == "utf-8" and "charset=UTF-8" in data.decode("utf-8")
    assert "Last-Translator: Ţepeş" in data.decode("utf-8")
    assert notes and "converted from ISO8859-15 to UTF-8" in notes[0]
    assert render_fitted(latin9) == (latin9, FR_LATIN9.encode("iso-8859-15"), ())
