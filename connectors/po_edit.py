"""Building and changing PO entries and catalogues without touching what stays the same.

An edited entry keeps its original lines except the parts that changed (msgstr, flags,
`#|` previous fields, `#.` comments, `#:` references): those become PART_* markers in its
template and are rendered fresh, GNU-style, when the catalogue is written (po.render_po).
So a moved reference re-renders its `#:` lines only: the msgid and msgstr lines stay byte
for byte, whatever width they were wrapped at. A new entry is rendered whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from locflow.catalog.segment import Segment
from locflow.connectors.po_model import (
    PART_ALL,
    PART_EXTRACTED,
    PART_FLAGS,
    PART_MSGSTR,
    PART_PREV,
    PART_REFS,
    PoCatalog,
    PoEntry,
    PoError,
    gnu_charset,
    python_codec,
    split_strings,
)
from locflow.connectors.po_wrap import flags_line, wrap_string

# What kind of line a kept template line is, besides the PART_* kinds.
_KEY, _OTHER = 6, 7


def _adjusted(
    seg: Segment, forms: tuple[str, ...], fuzzy: bool, previous: Segment | None
) -> Segment:
    if fuzzy and (not forms or not forms[0]):
        fuzzy = False  # gettext never writes `fuzzy` on an empty msgstr
    flags = seg.flags
    if fuzzy != ("fuzzy" in flags):
        flags = ("fuzzy", *flags) if fuzzy else tuple(f for f in flags if f != "fuzzy")
    if previous is not None:
        prev = (previous.msgctxt, previous.msgid, previous.msgid_plural)
    elif not fuzzy:
        prev = (None, None, None)
    else:
        prev = (seg.previous_msgctxt, seg.previous_msgid, seg.previous_msgid_plural)
    if flags == seg.flags and prev == (
        seg.previous_msgctxt,
        seg.previous_msgid,
        seg.previous_msgid_plural,
    ):
        return seg
    return replace(
        seg,
        flags=flags,
        previous_msgctxt=prev[0],
        previous_msgid=prev[1],
        previous_msgid_plural=prev[2],
    )


def new_entry(
    segment: Segment, forms: tuple[str, ...], *, fuzzy: bool, previous: Segment | None = None
) -> PoEntry:
    """A new entry, rendered fresh (GNU layout) when the catalogue is written."""
    forms = tuple(forms)
    return PoEntry(_adjusted(segment, forms, fuzzy, previous), forms, 0, None, (PART_ALL,), None)


def _kind(line: str) -> int:
    if line.startswith("#,"):
        return PART_FLAGS
    if line.startswith(("#|", "#~|")):
        return PART_PREV
    if line.startswith("#."):
        return PART_EXTRACTED
    if line.startswith("#:"):
        return PART_REFS
    body = line[2:].lstrip() if line.startswith("#~") else line.lstrip()
    if body.startswith("msgstr"):
        return PART_MSGSTR
    if body.startswith(("msgid", "msgctxt")):
        return _KEY
    return _OTHER


def _template(entry: PoEntry) -> list[str | int]:
    if entry._tmpl is not None:
        return list(entry._tmpl)
    raw = entry.raw or ""
    lines = raw.split("\n")
    last = lines.pop()
    items: list[str | int] = [line + "\n" for line in lines]
    if last:
        items.append(last + "\n")
    return items


def _replace_part(items: list[str | int], part: int, before: tuple[int, ...]) -> None:
    """Replace the lines of `part` by its marker, or insert the marker before `before`."""
    kinds = [item if isinstance(item, int) else _kind(item) for item in items]
    where = [i for i, k in enumerate(kinds) if k == part]
    if where:
        for i in reversed(where[1:]):
            del items[i]
        items[where[0]] = part
        return
    for i, k in enumerate(kinds):
        if k in before:
            items.insert(i, part)
            return
    items.append(part)


def with_translation(
    entry: PoEntry, forms: tuple[str, ...], *, fuzzy: bool, previous: Segment | None = None
) -> PoEntry:
    """The entry with new msgstr forms and fuzzy state; only changed parts are re-rendered.

    `previous` sets the `#|` fields (msgmerge style); fuzzy=False removes them.
    Returns `entry` itself when nothing changes.
    """
    forms = tuple(forms)
    seg = _adjusted(entry.segment, forms, fuzzy, previous)
    old = entry.segment
    if seg is old and forms == entry.forms:
        return entry
    if entry._tmpl == (PART_ALL,):
        return PoEntry(seg, forms, entry.line, None, (PART_ALL,), entry._sep)
    items = _template(entry)
    if forms != entry.forms:
        _replace_part(items, PART_MSGSTR, ())
        cut = items.index(PART_MSGSTR)
        del items[cut + 1 :]
    if ("fuzzy" in seg.flags) != ("fuzzy" in old.flags):
        if not flags_line(seg.flags):
            items = [
                i
                for i in items
                if i != PART_FLAGS and not (isinstance(i, str) and _kind(i) == PART_FLAGS)
            ]
        else:
            _replace_part(items, PART_FLAGS, (PART_PREV, _KEY, PART_MSGSTR))
    prev_old = (old.previous_msgctxt, old.previous_msgid, old.previous_msgid_plural)
    prev_new = (seg.previous_msgctxt, seg.previous_msgid, seg.previous_msgid_plural)
    if prev_old != prev_new:
        _replace_part(items, PART_PREV, (_KEY, PART_MSGSTR))
    return PoEntry(seg, forms, entry.line, None, tuple(items), entry._sep)


def with_notes(entry: PoEntry, notes: Segment) -> PoEntry:
    """The entry with the template's `#.` comments, `#:` references and flags (its own fuzzy
    state and translator comments kept), as msgmerge takes them. Only the lines of the notes
    that changed are rendered again; returns `entry` itself when none did."""
    old = entry.segment
    flags = tuple(f for f in notes.flags if f != "fuzzy")
    if sorted(flags) == sorted(f for f in old.flags if f != "fuzzy"):
        flags = old.flags
    elif "fuzzy" in old.flags:
        flags = ("fuzzy", *flags)
    seg = replace(
        old,
        flags=flags,
        extracted_comments=notes.extracted_comments,
        occurrences=tuple(notes.occurrences),
    )
    if seg == old:
        return entry
    if entry._tmpl == (PART_ALL,):
        return PoEntry(seg, entry.forms, entry.line, None, (PART_ALL,), entry._sep)
    items = _template(entry)
    if seg.extracted_comments != old.extracted_comments:
        _replace_part(items, PART_EXTRACTED, (PART_REFS, PART_FLAGS, PART_PREV, _KEY, PART_MSGSTR))
    if seg.occurrences != old.occurrences:
        _replace_part(items, PART_REFS, (PART_FLAGS, PART_PREV, _KEY, PART_MSGSTR))
    if seg.flags != old.flags:
        _replace_part(items, PART_FLAGS, (PART_PREV, _KEY, PART_MSGSTR))
    return PoEntry(seg, entry.forms, entry.line, None, tuple(items), entry._sep)


def as_obsolete(entry: PoEntry) -> PoEntry:
    """The entry as msgmerge writes a vanished message: `#~ ` lines, no `#.`/`#:` notes."""
    if entry.segment.obsolete:
        return entry
    seg = replace(entry.segment, obsolete=True, extracted_comments="", occurrences=())
    return PoEntry(seg, entry.forms, entry.line, None, (PART_ALL,), entry._sep)


# --- catalogues --------------------------------------------------------------------------


def with_entries(catalog: PoCatalog, entries: Sequence[PoEntry]) -> PoCatalog:
    entries = tuple(entries)
    return replace(catalog, entries=entries, _header_index=min(catalog._header_index, len(entries)))


def new_catalog(
    name: str,
    header_fields: Sequence[tuple[str, str]],
    header_comment: str = "",
    width: int | None = 79,
) -> PoCatalog:
    """An empty UTF-8 catalogue with the given header fields and header comment."""
    value = "".join(f"{key}: {val}\n" for key, val in header_fields)
    seg = Segment(msgid="", translator_comments=header_comment.rstrip("\n"))
    header = PoEntry(seg, (value,), 0, None, (PART_ALL,), None)
    return PoCatalog(name=name, encoding="utf-8", header=header, entries=(), width=width)


def _header_value(old: str, updates: Mapping[str, str | None]) -> str:
    lines = old.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lower = {key.lower(): key for key in updates}
    done: set[str] = set()
    out = []
    for line in lines:
        key, colon, _ = line.partition(":")
        match = lower.get(key.strip().lower()) if colon else None
        if match is None or match in done:
            out.append(line)
            continue
        done.add(match)
        if updates[match] is not None:
            out.append(f"{key.strip()}: {updates[match]}")
    out += [f"{key}: {val}" for key, val in updates.items() if key not in done and val is not None]
    return "".join(line + "\n" for line in out)


def _msgstr_groups(lines: list[str], codec: str) -> dict[str, list[list[str]]] | None:
    """A `msgstr ""` header's original continuation lines, keyed by the portion they hold."""
    if not lines or lines[0].strip() != 'msgstr ""':
        return None
    groups: dict[str, list[list[str]]] = {}
    text, block = "", []
    for line in lines[1:]:
        try:
            text += "".join(split_strings(line.strip(), codec))
        except ValueError:
            return None
        block.append(line)
        if text.endswith("\n"):
            groups.setdefault(text, []).append(block)
            text, block = "", []
    if block:
        groups.setdefault(text, []).append(block)
    return groups


def _portions(value: str) -> list[str]:
    parts = value.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _header_msgstr(header: PoEntry, value: str, catalog: PoCatalog) -> list[str] | None:
    """New msgstr lines for a header that keep the original lines of unchanged fields."""
    items = _template(header)
    kinds = [i if isinstance(i, int) else _kind(i) for i in items]
    if PART_MSGSTR not in kinds:
        return None
    old = items[kinds.index(PART_MSGSTR) :]
    if not all(isinstance(i, str) for i in old):
        return None
    groups = _msgstr_groups(old, catalog.encoding)  # type: ignore[arg-type]
    if groups is None:
        return None
    nl = catalog._newline
    out = [old[0]]
    for portion in _portions(value):
        kept = groups.get(portion)
        if kept:
            out += kept.pop(0)
        else:
            out += [
                line + nl
                for line in wrap_string(
                    "", "msgstr", portion, catalog.width, catalog._charset, continuation=True
                )
            ]
    return out  # type: ignore[return-value]


def with_header_fields(
    catalog: PoCatalog, updates: Mapping[str, str | None], *, fuzzy: bool | None = None
) -> PoCatalog:
    """Set, replace or (with None) remove header fields, keeping the order of existing ones;
    new fields go at the end. Header comments and the lines of unchanged fields are kept."""
    header = catalog.header
    old = header.forms[0] if header is not None and header.forms else ""
    value = _header_value(old, updates)
    is_fuzzy = header.fuzzy if header is not None else False
    want_fuzzy = is_fuzzy if fuzzy is None else fuzzy
    if header is not None and value == old and want_fuzzy == is_fuzzy:
        return catalog
    changes: dict[str, str] = {}
    if any(key.lower() == "content-type" for key in updates) and "charset=" in value:
        charset = value.partition("charset=")[2].split()[0]
        try:
            changes["encoding"] = python_codec(charset)
        except (LookupError, ValueError):  # ValueError: a NUL in the name
            line = header.line if header is not None else 0
            raise PoError(catalog.name, line, f"unknown charset {charset!r}") from None
        changes["_charset"] = gnu_charset(changes["encoding"])
    if header is None:
        entry = new_entry(Segment(msgid=""), (value,), fuzzy=want_fuzzy)
        return replace(catalog, header=entry, _header_index=0, **changes)
    entry = with_translation(header, (value,), fuzzy=want_fuzzy)
    tmpl = list(entry._tmpl or ())
    if PART_MSGSTR in tmpl:
        lines = _header_msgstr(header, entry.forms[0], catalog)
        if lines is not None:
            tmpl[tmpl.index(PART_MSGSTR) :] = lines
            entry = PoEntry(entry.segment, entry.forms, entry.line, None, tuple(tmpl), entry._sep)
    return replace(catalog, header=entry, **changes)
