"""Merging the live segments of a template into a catalogue, as msgmerge does: keep the
catalogue's order and lines, insert new entries after their template predecessor, move
entries no longer in the template to the end as obsolete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from locflow.catalog.check_msgfmt import msgfmt_problem
from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment
from locflow.connectors.po import render_po
from locflow.connectors.po_edit import (
    as_obsolete,
    new_catalog,
    new_entry,
    with_entries,
    with_header_fields,
    with_notes,
    with_translation,
)
from locflow.connectors.po_model import PoCatalog, PoEntry, PoError
from locflow.connectors.po_parse import parse_po
from locflow.db import segment_repo
from locflow.db.models import SegmentRow, Source

Key = tuple[str | None, str, str | None]


@dataclass(frozen=True)
class Wanted:
    """What goes into the catalogue for one segment, and whether it is fuzzy."""

    forms: tuple[str, ...]
    fuzzy: bool
    previous_msgid: str | None = None


def _entry_for(entry: PoEntry | None, seg: Segment, want: Wanted | None, nforms: int) -> PoEntry:
    forms = _fit_forms(want.forms, seg.is_plural, nforms) if want else ("",) * nforms
    fuzzy = want.fuzzy if want else False
    previous = (
        Segment(msgid=want.previous_msgid, msgctxt=seg.msgctxt)
        if (want and want.fuzzy and want.previous_msgid)
        else None
    )
    if entry is None:
        return new_entry(seg, forms, fuzzy=fuzzy, previous=previous)
    entry = with_notes(entry, seg)  # a moved reference re-renders the `#:` lines only
    if want is None and not any(entry.forms):
        return entry  # nothing to say: keep an untranslated entry as it is
    if entry.forms == forms and entry.fuzzy == fuzzy:
        return entry
    return with_translation(entry, forms, fuzzy=fuzzy, previous=previous)


def _fit_forms(forms: tuple[str, ...], plural: bool, nforms: int) -> tuple[str, ...]:
    """A singular's text carried into a plural entry goes into every form, a plural's first
    form into a singular entry (msgmerge does the same; the entry is fuzzy)."""
    if plural and len(forms) == 1 and nforms > 1:
        return forms * nforms
    if not plural and len(forms) > 1:
        return forms[:1]
    return forms


def build_catalog(
    base: PoCatalog,
    rows: Sequence[SegmentRow],
    wanted: dict[int, Wanted | None],
    plural: PluralInfo,
) -> PoCatalog:
    """Merge the live segments into `base`: keep its order, insert new entries after their
    template predecessor, move entries no longer in the template to the end as obsolete
    (except those whose text a fuzzy entry carries with `#|`: msgmerge drops them too)."""
    live: dict[Key, SegmentRow] = {(r.msgctxt, r.msgid, r.msgid_plural): r for r in rows}
    out: list[PoEntry] = []
    obsolete: list[PoEntry] = []
    present: set[Key] = set()
    carried = {
        (r.msgctxt, w.previous_msgid)
        for r in rows
        if (w := wanted.get(r.id)) is not None and w.fuzzy and w.previous_msgid
    }
    for entry in base.entries:
        key = entry.segment.key
        row = live.get(key)
        if entry.segment.obsolete:
            if row is None:
                obsolete.append(entry)
            continue
        if row is None:
            if (key[0], key[1]) not in carried:
                obsolete.append(as_obsolete(entry))
            continue
        if key in present:
            continue
        present.add(key)
        seg = segment_repo.row_to_segment(row)
        nforms = plural.nplurals if seg.is_plural else 1
        out.append(_entry_for(entry, seg, wanted.get(row.id), nforms))
    merged = _with_new_entries(out, rows, present, wanted, plural)
    return with_entries(base, merged + obsolete)


def _with_new_entries(
    kept: list[PoEntry],
    rows: Sequence[SegmentRow],
    present: set[Key],
    wanted: dict[int, Wanted | None],
    plural: PluralInfo,
) -> list[PoEntry]:
    """`kept` with the live segments it lacks, each inserted after its predecessor in the
    template (msgmerge's order)."""
    followers: dict[Key | None, list[PoEntry]] = {}
    previous: Key | None = None
    for row in rows:
        key = (row.msgctxt, row.msgid, row.msgid_plural)
        if key not in present:
            present.add(key)
            seg = segment_repo.row_to_segment(row)
            nforms = plural.nplurals if seg.is_plural else 1
            followers.setdefault(previous, []).append(
                _entry_for(None, seg, wanted.get(row.id), nforms)
            )
        previous = key
    merged: list[PoEntry] = []

    def emit_after(key: Key | None) -> None:
        """The entries that follow `key`, each followed by its own (depth first). A loop, not
        recursion: in a new catalogue every entry follows the one before it, and a chain of
        a thousand entries exceeded Python's recursion limit (Django's docs' ref.pot)."""
        stack = list(reversed(followers.pop(key, [])))
        while stack:
            e = stack.pop()
            merged.append(e)
            stack.extend(reversed(followers.pop(e.segment.key, [])))

    emit_after(None)
    for entry in kept:
        merged.append(entry)
        emit_after(entry.segment.key)
    for rest in list(followers.values()):
        merged.extend(rest)
    return merged


def new_base(source: Source, locale: str, plural: PluralInfo, name: str) -> PoCatalog:
    template = parse_po(source.content or b"", source.name)
    fields = dict(template.header_fields()) if template.header else {}
    fields.update(
        {
            "Language": locale,
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": plural.header,
        }
    )
    fields.setdefault("MIME-Version", "1.0")
    for key, default in (("Last-Translator", "FULL NAME"), ("Language-Team", "LANGUAGE")):
        if fields.get(key, "").startswith(default):
            fields[key] = "locflow"
    comment = template.header.segment.translator_comments if template.header else ""
    return new_catalog(name, tuple(fields.items()), comment, template.width)


UTF8_CONTENT_TYPE = "text/plain; charset=UTF-8"


def as_utf8(base: PoCatalog) -> PoCatalog:
    """The catalogue converted to UTF-8, header included; its other lines are kept."""
    if base.encoding == "utf-8":
        return base
    return with_header_fields(base, {"Content-Type": UTF8_CONTENT_TYPE})


def render_fitted(catalog: PoCatalog) -> tuple[PoCatalog, bytes, tuple[str, ...]]:
    """The catalogue's bytes. Text its legacy charset cannot hold that no per-entry decision
    covered (a header field) converts it to UTF-8, as msgmerge would, with a note saying so,
    rather than stopping every export; any other error (a duplicate message) still raises."""
    try:
        return catalog, render_po(catalog), ()
    except PoError as exc:
        if catalog.encoding == "utf-8":
            raise
        converted = as_utf8(catalog)
        data = render_po(converted)
        note = f"catalogue converted from {catalog._charset} to UTF-8: {exc.message}"
        return converted, data, (note,)


def template_unfit(
    base: PoCatalog, rows: Sequence[SegmentRow], wanted: dict[int, Wanted | None]
) -> str | None:
    """Why the catalogue's charset cannot hold the template's own text (a msgid, context,
    comment or reference with `’`, or such a previous msgid): no translation to leave out,
    so export converts the catalogue to UTF-8, as msgmerge does. None when it fits."""
    if base.encoding == "utf-8":
        return None
    for row in rows:
        seg = segment_repo.row_to_segment(row)
        want = wanted.get(row.id)
        texts = (
            seg.msgctxt or "",
            seg.msgid,
            seg.msgid_plural or "",
            seg.extracted_comments,
            *(f"{path}:{line}" for path, line in seg.occurrences),
            *seg.flags,
            (want.previous_msgid or "") if want is not None else "",
        )
        bad = _unencodable(texts, base.encoding)
        if bad is not None:
            return f"the template's {row.msgid!r} has {bad!r}"
    return None


def fit_charset(
    base: PoCatalog, rows: Sequence[SegmentRow], wanted: dict[int, Wanted | None]
) -> tuple[dict[int, Wanted | None], tuple[str, ...]]:
    """One decision per entry for text the catalogue's charset cannot hold (a catalogue in
    ISO-8859-15 given `ţ`): the entry keeps its previous text, or is left out when it had
    none, and the decision is reported with its reason. Nothing else is affected, and text
    already in the catalogue (imported human work) is never touched: it fits by definition."""
    previous = {e.segment.key: e for e in base.entries if not e.segment.obsolete}
    fitted = dict(wanted)
    decisions = []
    for row in rows:
        want = wanted.get(row.id)
        bad = _unencodable(want.forms, base.encoding) if want is not None else None
        if bad is None:
            continue
        before = previous.get((row.msgctxt, row.msgid, row.msgid_plural))
        if before is not None and any(before.forms):
            fitted[row.id] = Wanted(tuple(before.forms), before.fuzzy)
            outcome = "kept its previous text"
        else:
            fitted[row.id] = None
            outcome = "omitted"
        decisions.append(f"{row.msgid!r} {outcome}: charset {base._charset} cannot hold {bad!r}")
    return fitted, tuple(decisions)


def _unencodable(forms: Sequence[str], encoding: str) -> str | None:
    """The first character of `forms` that `encoding` cannot hold, if any."""
    for text in forms:
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            return text[exc.start]
    return None


@dataclass(frozen=True)
class MsgfmtDecisions:
    """fit_msgfmt's answer: what goes in, and the lines to report."""

    wanted: dict[int, Wanted | None]
    demoted: tuple[str, ...]
    """Entries locflow meant to write clean: written `#, fuzzy` or kept their previous text."""
    flagged: tuple[str, ...]
    """Entries whose text is the catalogue's own (locflow did not write it): left as they are."""


def fit_msgfmt(
    base: PoCatalog,
    rows: Sequence[SegmentRow],
    wanted: dict[int, Wanted | None],
    plural: PluralInfo,
    *,
    omit: bool = False,
) -> MsgfmtDecisions:
    """One decision per entry msgfmt -c --check-format would reject (a format directive
    lost, a line break dropped, a wrong number of plural forms), overridden ones included:
    msgfmt skips fuzzy entries, so the entry keeps its previous text when that was a clean
    translation msgfmt accepts, and is otherwise written `#, fuzzy` (or, with `omit`, the
    `[export] machine = "omit"` policy, left out). Text already in the catalogue as it
    stands (imported human work) is never rewritten: it is only reported."""
    previous = {e.segment.key: e for e in base.entries if not e.segment.obsolete}
    fitted = dict(wanted)
    demoted: list[str] = []
    flagged: list[str] = []
    for row in rows:
        want = wanted.get(row.id)
        if want is None or want.fuzzy:
            continue
        seg = segment_repo.row_to_segment(row)
        problem = msgfmt_problem(seg, want.forms, plural)
        if problem is None:
            continue
        before = previous.get(seg.key)
        if before is not None and tuple(before.forms) == want.forms and not before.fuzzy:
            flagged.append(
                f"{row.msgid!r} left as it is (text locflow did not write), "
                f"though msgfmt -c would reject it: {problem}"
            )
            continue
        if before is not None and not before.fuzzy and _clean(seg, tuple(before.forms), plural):
            fitted[row.id] = Wanted(tuple(before.forms), False)
            outcome = "kept its previous text"
        elif omit:
            fitted[row.id] = None
            outcome = "omitted"
        else:
            fitted[row.id] = Wanted(want.forms, True, want.previous_msgid)
            outcome = "written as fuzzy"
        demoted.append(f"{row.msgid!r} {outcome}: msgfmt -c would reject it: {problem}")
    return MsgfmtDecisions(fitted, tuple(demoted), tuple(flagged))


def _clean(seg: Segment, forms: tuple[str, ...], plural: PluralInfo) -> bool:
    """A translation msgfmt accepts (an untranslated entry is not one)."""
    return bool(forms and forms[0]) and msgfmt_problem(seg, forms, plural) is None
