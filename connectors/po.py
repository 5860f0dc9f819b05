"""Gettext catalogue I/O: .po/.pot <-> frozen Segments, byte-identical when unchanged.

Unchanged entries keep their original lines; new or changed parts are rendered the way
GNU gettext's write-po.c does at the file's own wrap width (see po_wrap), so an edit
changes only the lines it means to. This is the only module that imports polib (for .mo).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import polib

from locflow.catalog.segment import Segment
from locflow.connectors.po_model import (
    PoCatalog,
    PoEntry,
    PoError,
    gnu_charset,
    python_codec,
    split_strings,
)
from locflow.connectors.po_parse import parse_header_fields, parse_po
from locflow.connectors.po_wrap import (
    comment_lines,
    fields_lines,
    flags_line,
    format_kind,
    msgstr_fields,
    reference_lines,
    wrap_string,
)

__all__ = [
    "PoCatalog",
    "PoEntry",
    "PoError",
    "as_obsolete",
    "new_catalog",
    "new_entry",
    "parse_header_fields",
    "parse_po",
    "read_po",
    "render_po",
    "with_entries",
    "with_header_fields",
    "with_translation",
    "write_mo",
    "write_po_atomic",
]

# Markers in PoEntry._tmpl for parts rendered at write time (they need the catalogue's width).
_ALL, _FLAGS, _PREV, _MSGSTR = 0, 1, 2, 3
_KEY, _OTHER = 4, 5


def read_po(path: str | os.PathLike[str]) -> PoCatalog:
    """Read and parse a catalogue; raises PoError for malformed content."""
    return parse_po(Path(path).read_bytes(), os.fspath(path))


# --- rendering ---------------------------------------------------------------------------


def _render_part(entry: PoEntry, part: int, catalog: PoCatalog) -> list[str]:
    seg = entry.segment
    width = None if "no-wrap" in seg.flags else catalog.width
    charset, fmt = catalog._charset, format_kind(seg.flags)
    prefix = "#~ " if seg.obsolete else ""
    if part == _FLAGS:
        return flags_line(seg.flags)
    if part == _PREV:
        return fields_lines(
            "#~| " if seg.obsolete else "#| ",
            [
                ("msgctxt", seg.previous_msgctxt),
                ("msgid", seg.previous_msgid),
                ("msgid_plural", seg.previous_msgid_plural),
            ],
            width,
            charset,
            fmt,
        )
    if part == _MSGSTR:
        return fields_lines(
            prefix, msgstr_fields(entry.forms, seg.msgid_plural is not None), width, charset, fmt
        )
    if seg.obsolete and (not entry.forms or not entry.forms[0]):
        return []  # gettext drops untranslated obsolete entries
    lines = comment_lines("#", seg.translator_comments) if seg.translator_comments else []
    if seg.extracted_comments:
        lines += comment_lines("#.", seg.extracted_comments)
    lines += reference_lines(seg.occurrences, catalog.width)
    lines += flags_line(seg.flags)
    lines += _render_part(entry, _PREV, catalog)
    lines += fields_lines(
        prefix,
        [("msgctxt", seg.msgctxt), ("msgid", seg.msgid), ("msgid_plural", seg.msgid_plural)],
        width,
        charset,
        fmt,
    )
    return lines + _render_part(entry, _MSGSTR, catalog)


def _render_entry(entry: PoEntry, catalog: PoCatalog) -> str:
    if entry.raw is not None:
        return entry.raw
    nl = catalog._newline
    out = []
    for item in entry._tmpl or (_ALL,):
        if isinstance(item, str):
            out.append(item)
        else:
            out.extend(line + nl for line in _render_part(entry, item, catalog))
    return "".join(out)


def render_po(catalog: PoCatalog) -> bytes:
    """The catalogue's bytes; an unchanged parsed catalogue gives back its input exactly.

    Raises PoError (nothing to write) for a duplicate message or a character the
    catalogue's charset cannot hold.
    """
    items = list(catalog.entries)
    if catalog.header is not None:
        items.insert(min(catalog._header_index, len(items)), catalog.header)
    nl = catalog._newline
    parts: list[str] = []
    seen: set[tuple[str | None, str]] = set()
    for entry in items:
        seg = entry.segment
        if not seg.obsolete:
            if seg.key[:2] in seen:
                raise PoError(
                    catalog.name,
                    entry.line,
                    f"duplicate message definition {seg.msgctxt!r} {seg.msgid!r}",
                )
            seen.add(seg.key[:2])
        text = _render_entry(entry, catalog)
        if text:
            if parts and not parts[-1].endswith("\n"):
                parts.append(nl)
            parts += (entry._sep if entry._sep is not None else nl if parts else "", text)
    if catalog._tail and parts and not parts[-1].endswith("\n"):
        parts.append(nl)
    parts.append(catalog._tail)
    text = "".join(parts)
    try:
        data = text.encode(catalog.encoding)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise PoError(
            catalog.name,
            line,
            f"{text[exc.start]!r} cannot be written in charset {catalog._charset}",
        ) from None
    return b"\xef\xbb\xbf" + data if catalog._bom else data


def write_po_atomic(path: str | os.PathLike[str], data: bytes) -> bool:
    """Write via a temp file in the same directory + fsync + rename.

    Returns False (and leaves the file and its mtime alone) when it already holds `data`.
    """
    target = Path(os.path.realpath(path))  # through a symlink, not over it
    try:
        if target.read_bytes() == data:
            return False
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- building and changing entries -------------------------------------------------------


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
    return PoEntry(_adjusted(segment, forms, fuzzy, previous), forms, 0, None, (_ALL,), None)


def _kind(line: str) -> int:
    if line.startswith("#,"):
        return _FLAGS
    if line.startswith(("#|", "#~|")):
        return _PREV
    body = line[2:].lstrip() if line.startswith("#~") else line.lstrip()
    if body.startswith("msgstr"):
        return _MSGSTR
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
    if entry._tmpl == (_ALL,):
        return PoEntry(seg, forms, entry.line, None, (_ALL,), entry._sep)
    items = _template(entry)
    if forms != entry.forms:
        _replace_part(items, _MSGSTR, ())
        cut = items.index(_MSGSTR)
        del items[cut + 1 :]
    if ("fuzzy" in seg.flags) != ("fuzzy" in old.flags):
        if not flags_line(seg.flags):
            items = [
                i for i in items if i != _FLAGS and not (isinstance(i, str) and _kind(i) == _FLAGS)
            ]
        else:
            _replace_part(items, _FLAGS, (_PREV, _KEY, _MSGSTR))
    prev_old = (old.previous_msgctxt, old.previous_msgid, old.previous_msgid_plural)
    prev_new = (seg.previous_msgctxt, seg.previous_msgid, seg.previous_msgid_plural)
    if prev_old != prev_new:
        _replace_part(items, _PREV, (_KEY, _MSGSTR))
    return PoEntry(seg, forms, entry.line, None, tuple(items), entry._sep)


def as_obsolete(entry: PoEntry) -> PoEntry:
    """The entry as msgmerge writes a vanished message: `#~ ` lines, no `#.`/`#:` notes."""
    if entry.segment.obsolete:
        return entry
    seg = replace(entry.segment, obsolete=True, extracted_comments="", occurrences=())
    return PoEntry(seg, entry.forms, entry.line, None, (_ALL,), entry._sep)


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
    header = PoEntry(seg, (value,), 0, None, (_ALL,), None)
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
    if _MSGSTR not in kinds:
        return None
    old = items[kinds.index(_MSGSTR) :]
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
    if _MSGSTR in tmpl:
        lines = _header_msgstr(header, entry.forms[0], catalog)
        if lines is not None:
            tmpl[tmpl.index(_MSGSTR) :] = lines
            entry = PoEntry(entry.segment, entry.forms, entry.line, None, tuple(tmpl), entry._sep)
    return replace(catalog, header=entry, **changes)


# --- .mo ---------------------------------------------------------------------------------


def write_mo(catalog: PoCatalog) -> bytes:
    """Compiled catalogue: translated, non-fuzzy, non-obsolete entries plus the header."""
    mo = polib.POFile(encoding=catalog.encoding, check_for_duplicates=False)
    header = catalog.header.forms[0] if catalog.header and catalog.header.forms else ""
    mo.metadata_as_entry = lambda: polib.POEntry(msgid="", msgstr=header)  # type: ignore[method-assign]
    for entry in catalog.entries:
        seg = entry.segment
        if seg.obsolete or entry.fuzzy or not entry.forms or not all(entry.forms):
            continue
        if seg.msgid_plural is None:
            mo.append(polib.POEntry(msgid=seg.msgid, msgctxt=seg.msgctxt, msgstr=entry.forms[0]))
        else:
            mo.append(
                polib.POEntry(
                    msgid=seg.msgid,
                    msgctxt=seg.msgctxt,
                    msgid_plural=seg.msgid_plural,
                    msgstr_plural=dict(enumerate(entry.forms)),
                )
            )
    return mo.to_binary()
