"""Glossaries as CSV: one row per term, one column per target locale.

The file is UTF-8 (a byte-order mark is fine). The separator is sniffed from the header
row: comma, semicolon or tab. Cells may be quoted as usual (`"a, b"`); blank rows are skipped.
Column names are case-insensitive:

- `source` (or `term`): the source term. Required.
- a locale code (`fr`, `pt_BR`, `zh-Hant`…): the accepted translations, preferred first, several
  separated by `|` (`carnet|bloc-notes`). An empty cell means no translation for that locale.
- `forbidden:<locale>` (`forbidden:fr`): translations that must not be used, `|`-separated.
- `case_sensitive`: `yes`/`no`, `true`/`false`, `1`/`0`; empty means no.
- `dnt` (or `do_not_translate`): `yes` keeps the term as it is in every locale; a list of
  locales (`de fr` or `de,fr`) keeps it in those only.
- `pos` (or `part_of_speech`): noun, verb…, which tells homonyms apart.
- `note` (or `notes`, `definition`): the sense, shown to translators and given to engines.

A source may appear twice only with a different `pos` or `note` (two senses). Errors name the
file and line: an unknown column, an empty source, a duplicate, a bad yes/no, a row with more
cells than the header, a file that is not UTF-8, a do-not-translate term that also has a
translation for that locale, a form both accepted and forbidden.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.glossaries.model import Glossary, GlossaryError, Term

_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0", ""})
_ALIASES = {
    "source": "source",
    "term": "source",
    "case_sensitive": "case_sensitive",
    "dnt": "dnt",
    "do_not_translate": "dnt",
    "pos": "pos",
    "part_of_speech": "pos",
    "note": "note",
    "notes": "note",
    "definition": "note",
}
_KNOWN = "source, case_sensitive, dnt, pos, note, forbidden:<locale> or a locale code"


def load_csv(path: str | Path, *, name: str | None = None) -> Glossary:
    """Read a CSV glossary file; raises GlossaryError (`file:line: …`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise GlossaryError(str(path), 0, f"cannot read: {e.strerror or e}") from None
    return parse_csv(data, origin=str(path), name=name or path.stem)


def parse_csv(data: bytes | str, *, origin: str = "<csv>", name: str = "glossary") -> Glossary:
    """Parse CSV glossary content (bytes are decoded as UTF-8, BOM or not)."""
    text = _decode(data, origin) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    rows = _rows(text, origin)
    header_line, header = next(rows, (1, []))
    columns = _columns(header, header_line, origin)
    if "source" not in {kind for kind, _ in columns}:
        raise GlossaryError(origin, header_line, "no `source` (or `term`) column")
    terms = tuple(_term(row, line, columns, origin) for line, row in rows)
    return Glossary(name=name, terms=terms)


def _decode(data: bytes, origin: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GlossaryError(origin, 1, "file is UTF-16; save it as UTF-8")
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as e:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        line = data[: e.start + bom].count(b"\n") + 1
        byte = data[e.start + bom : e.start + bom + 1].hex()
        raise GlossaryError(
            origin, line, f"not UTF-8 (byte 0x{byte}); save the file as UTF-8"
        ) from None


def _sniff(text: str) -> str:
    """The separator of the header row: the most frequent of `,` `;` tab outside quotes."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {sep: unquoted.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])  # ties keep the first: comma
    return best if counts[best] else ","


def _rows(text: str, origin: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text), strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise GlossaryError(origin, reader.line_num, f"bad CSV: {e}") from None
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in row):
            yield line, row


def _columns(header: list[str], line: int, origin: str) -> list[tuple[str, str]]:
    """(kind, locale) per column: kind is source/case_sensitive/dnt/pos/note/target/forbidden,
    or "" for an unnamed column."""
    columns: list[tuple[str, str]] = []
    for raw in header:
        name = raw.strip()
        key = re.sub(r"[\s-]+", "_", name.lower())
        if not name:
            columns.append(("", ""))
        elif key in _ALIASES:
            columns.append((_ALIASES[key], ""))
        elif key.startswith("forbidden:"):
            columns.append(("forbidden", _locale(name.partition(":")[2], line, origin, name)))
        else:
            columns.append(("target", _locale(name, line, origin, name)))
    seen: set[tuple[str, str]] = set()
    for column, raw in zip(columns, header, strict=True):
        if column[0] and column in seen:
            raise GlossaryError(origin, line, f"column {raw.strip()!r} appears twice")
        seen.add(column)
    return columns


def _locale(code: str, line: int, origin: str, column: str) -> str:
    try:
        return normalise_locale(code)
    except UnknownLocale:
        raise GlossaryError(origin, line, f"unknown column {column!r} (use {_KNOWN})") from None


def _bool(value: str, what: str, line: int, origin: str) -> bool:
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise GlossaryError(origin, line, f"{what}: {value.strip()!r} is not yes/no/true/false/1/0")


def _dnt(value: str, line: int, origin: str) -> bool | tuple[str, ...]:
    folded = value.strip().lower()
    if folded in _TRUE or folded in _FALSE:
        return folded in _TRUE
    locales = []
    for code in re.split(r"[\s,]+", value.strip()):
        try:
            locales.append(normalise_locale(code))
        except UnknownLocale:
            raise GlossaryError(
                origin, line, f"dnt: {code!r} is neither yes/no nor a locale code"
            ) from None
    return tuple(locales)


def _forms(cell: str) -> list[str]:
    return [form.strip() for form in cell.split("|") if form.strip()]


def _term(row: list[str], line: int, columns: list[tuple[str, str]], origin: str) -> Term:
    if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
        raise GlossaryError(
            origin,
            line,
            f"row has {len(row)} cells but the header has {len(columns)} columns "
            "(quote cells that contain the separator)",
        )
    fields: dict[str, str] = {}
    targets: dict[str, list[str]] = {}
    forbidden: dict[str, list[str]] = {}
    for (kind, locale), cell in zip(columns, row, strict=False):
        if kind == "target":
            targets[locale] = _forms(cell)
        elif kind == "forbidden":
            forbidden[locale] = _forms(cell)
        elif kind:
            fields[kind] = cell
        elif cell.strip():
            raise GlossaryError(origin, line, f"value {cell.strip()!r} in a column with no name")
    source = " ".join(fields.get("source", "").split())
    if not source:
        raise GlossaryError(origin, line, "empty source term")
    return Term.create(
        source,
        targets,
        forbidden=forbidden,
        case_sensitive=_bool(fields.get("case_sensitive", ""), "case_sensitive", line, origin),
        do_not_translate=_dnt(fields.get("dnt", ""), line, origin),
        part_of_speech=fields.get("pos", ""),
        note=fields.get("note", ""),
        line=line,
        origin=origin,
    )
