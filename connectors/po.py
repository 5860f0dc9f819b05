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
from dataclasses import dataclass, field
from pathlib import Path

import polib

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
    if part == PART_EXTRACTED:
        return comment_lines("#.", seg.extracted_comments) if seg.extracted_comments else []
    if part == PART_REFS:
        return reference_lines(seg.occurrences, catalog.width)
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
    writes = StagedWrites()
    if not writes.add(path, data):
        return False
    writes.commit()
    return True


@dataclass
class _Staged:
    target: Path
    tmp: str
    previous: bytes | None
    mode: int


@dataclass
class StagedWrites:
    """Several files written all or nothing: each is prepared as a temporary file beside its
    target (`add`), then all are renamed into place (`commit`). If anything fails, the
    temporary files are removed and renames already made are undone (the previous contents
    are kept for that), and the OSError raised names the real target, never a temp file."""

    _staged: list[_Staged] = field(default_factory=list)
    _done: list[_Staged] = field(default_factory=list)

    def add(self, path: str | os.PathLike[str], data: bytes) -> bool:
        """Prepare `data` for `path`; False (nothing to do) when the file already holds it."""
        target = Path(os.path.realpath(path))  # through a symlink, not over it
        try:
            try:
                previous: bytes | None = target.read_bytes()
                mode = target.stat().st_mode & 0o7777
            except FileNotFoundError:
                previous, mode = None, 0o666 & ~_umask()
            if previous == data:
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            self._staged.append(_Staged(target, tmp, previous, mode))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        except OSError as exc:
            self.rollback()
            raise _naming(exc, target) from None
        except BaseException:
            self.rollback()
            raise
        return True

    def commit(self) -> None:
        """Rename every prepared file into place; all or none (see the class)."""
        try:
            for item in self._staged:
                os.replace(item.tmp, item.target)
                self._done.append(item)
        except OSError as exc:
            self.rollback()
            raise _naming(exc, item.target) from None
        except BaseException:
            self.rollback()
            raise
        for parent in {item.target.parent for item in self._done}:
            _fsync_dir(parent)
        self._staged = []

    def rollback(self) -> None:
        """Remove the temporary files and put back what the renames replaced."""
        for item in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(item.tmp)
        for item in reversed(self._done):
            if item.previous is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(item.target)
            else:
                restore = StagedWrites()
                restore.add(item.target, item.previous)
                restore.commit()
        self._staged, self._done = [], []


def _naming(exc: OSError, target: Path) -> OSError:
    """The same error about the real target (a temp file's name means nothing to a user)."""
    return OSError(exc.errno, exc.strerror or str(exc), str(target))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


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
