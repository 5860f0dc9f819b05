"""Gettext catalogue I/O: read .po/.pot files, render them byte-identical when unchanged,
write them atomically, compile .mo.

Unchanged entries keep their original lines; new or changed parts (see po_edit) are rendered
the way GNU gettext's write-po.c does at the file's own wrap width (see po_wrap), so an edit
changes only the lines it means to. This is the only module that imports polib (for .mo).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import polib

from locflow.connectors.po_model import (
    PART_ALL,
    PART_FLAGS,
    PART_MSGSTR,
    PART_PREV,
    PoCatalog,
    PoEntry,
    PoError,
)
from locflow.connectors.po_parse import parse_po
from locflow.connectors.po_wrap import (
    comment_lines,
    fields_lines,
    flags_line,
    format_kind,
    msgstr_fields,
    reference_lines,
)


def read_po(path: str | os.PathLike[str]) -> PoCatalog:
    """Read and parse a catalogue; raises PoError for malformed content."""
    return parse_po(Path(path).read_bytes(), os.fspath(path))


# --- rendering ---------------------------------------------------------------------------


def _render_part(entry: PoEntry, part: int, catalog: PoCatalog) -> list[str]:
    seg = entry.segment
    width = None if "no-wrap" in seg.flags else catalog.width
    charset, fmt = catalog._charset, format_kind(seg.flags)
    prefix = "#~ " if seg.obsolete else ""
    if part == PART_FLAGS:
        return flags_line(seg.flags)
    if part == PART_PREV:
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
    if part == PART_MSGSTR:
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
    lines += _render_part(entry, PART_PREV, catalog)
    lines += fields_lines(
        prefix,
        [("msgctxt", seg.msgctxt), ("msgid", seg.msgid), ("msgid_plural", seg.msgid_plural)],
        width,
        charset,
        fmt,
    )
    return lines + _render_part(entry, PART_MSGSTR, catalog)


def _render_entry(entry: PoEntry, catalog: PoCatalog) -> str:
    if entry.raw is not None:
        return entry.raw
    nl = catalog._newline
    out = []
    for item in entry._tmpl or (PART_ALL,):
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
