"""What a PO/POT catalogue is made of, shared by the reader (po_parse), the editor (po_edit)
and the writer (po): frozen entries and catalogues, the error for malformed input, charset
names and the quoted string literals of its lines.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from locflow.catalog.segment import Segment

_CHARSET_RE = re.compile(rb'Content-Type:[^"\n]*?charset=([^\s"\\;]+)', re.I)
_STR_RE = re.compile(r'\s*"((?:[^"\\]|\\.)*)"')
_ESC_RE = re.compile(r"\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)", re.S)
_NUMERIC_ESC = re.compile(r"\\(?:x[0-9A-Fa-f]|[0-7])")
_SIMPLE_ESC = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
_UNSUPPORTED_CODECS = ("utf_16", "utf_32", "utf_7", "iso2022", "hz", "punycode", "idna")

# Markers in PoEntry._tmpl for parts rendered at write time (they need the catalogue's width):
# the whole entry, its `#,` flags, its `#|` previous fields, its msgstr lines, its `#.`
# extracted comments and its `#:` references.
PART_ALL, PART_FLAGS, PART_PREV, PART_MSGSTR, PART_EXTRACTED, PART_REFS = 0, 1, 2, 3, 4, 5


class PoError(ValueError):
    """A malformed catalogue; str(e) is `name:line: what is wrong`."""

    def __init__(self, name: str, line: int, message: str) -> None:
        super().__init__(f"{name}:{line}: {message}")
        self.name, self.line, self.message = name, line, message

    def __reduce__(self) -> tuple[type, tuple[str, int, str]]:
        return (PoError, (self.name, self.line, self.message))


@dataclass(frozen=True, slots=True)
class PoEntry:
    """One message: its Segment, its translation and (when unchanged) its original text."""

    segment: Segment
    forms: tuple[str, ...]
    line: int = 0
    raw: str | None = None
    _tmpl: tuple[str | int, ...] | None = field(default=None, repr=False)
    """Lines to render for a new or changed entry: kept lines, or PART_* markers."""
    _sep: str | None = field(default=None, repr=False)
    """The blank lines before the entry as read; None means one blank line."""

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.segment.flags


@dataclass(frozen=True, slots=True)
class PoCatalog:
    """A whole .po/.pot file: header, entries in file order and what it takes to write it
    back exactly (charset, newline style, BOM, text after the last entry)."""

    name: str
    encoding: str = "utf-8"
    header: PoEntry | None = None
    entries: tuple[PoEntry, ...] = ()
    width: int | None = 79
    _charset: str = "UTF-8"
    """The charset as gettext names it (libunistring counts columns per charset)."""
    _newline: str = "\n"
    _bom: bool = False
    _tail: str = ""
    _header_index: int = 0

    def header_fields(self) -> tuple[tuple[str, str], ...]:
        """The ordered `Key: value` pairs of the header's msgstr."""
        if self.header is None or not self.header.forms:
            return ()
        fields = []
        for line in self.header.forms[0].split("\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip():
                fields.append((key.strip(), value.strip()))
        return tuple(fields)

    def plural_forms(self) -> str | None:
        for key, value in self.header_fields():
            if key.lower() == "plural-forms":
                return value
        return None


def python_codec(charset: str) -> str:
    """Python codec name for a PO charset (`CHARSET`, the .pot placeholder, means UTF-8)."""
    if charset.upper() == "CHARSET":
        return "utf-8"
    info = codecs.lookup(charset)
    if any(info.name.startswith(bad) for bad in _UNSUPPORTED_CODECS):
        raise LookupError(charset)
    if not getattr(info, "_is_text_encoding", True):  # uu, base64, rot13…: not a charset
        raise LookupError(charset)
    return info.name


_GNU_NAMES = {
    "utf-8": "UTF-8",
    "euc_jp": "EUC-JP",
    "gb2312": "GB2312",
    "gbk": "GBK",
    "big5": "BIG5",
    "euc_kr": "EUC-KR",
    "cp949": "CP949",
    "johab": "JOHAB",
}


def gnu_charset(codec: str) -> str:
    return _GNU_NAMES.get(codec, codec.upper())


def sniff_charset(data: bytes, name: str) -> tuple[str, str]:
    """The Python codec and gettext charset name a catalogue declares (UTF-8 if none)."""
    end = data.find(b"\nmsgid", data.find(b"msgid") + 5)
    m = _CHARSET_RE.search(data, 0, end if end > 0 else len(data))
    if m is None:
        return "utf-8", "UTF-8"
    charset = m.group(1).decode("ascii", "replace")
    try:
        codec = python_codec(charset)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        line = data.count(b"\n", 0, m.start()) + 1
        raise PoError(name, line, f"unknown or unsupported charset {charset!r}") from None
    return codec, gnu_charset(codec)


def split_strings(text: str, codec: str = "utf-8") -> list[str]:
    """The unescaped string literals in `text` (`"a" "b"`); ValueError if malformed."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if '"' not in inner and "\\" not in inner:
            return [inner]
    out, pos, n = [], 0, len(text)
    while pos < n:
        m = _STR_RE.match(text, pos)
        if m is None:
            rest = text[pos:].lstrip()
            if not rest:
                break
            if rest[0] == '"':
                raise ValueError("unterminated string (missing closing '\"')")
            raise ValueError(f"unexpected text {rest[:20]!r} after string")
        out.append(_unescape(m.group(1), codec) if "\\" in m.group(1) else m.group(1))
        pos = m.end()
    return out


def _simple_escape(m: re.Match[str]) -> str:
    value = _SIMPLE_ESC.get(m.group(1))
    if value is None:
        ch = m.group(1)[:1]
        shown = f"'\\{ch}'" if ch.isprintable() else f"(a backslash before U+{ord(ch):04X})"
        raise ValueError(f"invalid escape sequence {shown}")
    return value


def _unescape(s: str, codec: str) -> str:
    if not _NUMERIC_ESC.search(s):
        return _ESC_RE.sub(_simple_escape, s)
    out, pos = bytearray(), 0
    for m in _ESC_RE.finditer(s):
        out += s[pos : m.start()].encode(codec)
        code = m.group(1)
        if code[0] == "x":
            out.append(int(code[1:], 16) & 0xFF)
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        else:
            out += _simple_escape(m).encode(codec)
        pos = m.end()
    out += s[pos:].encode(codec)
    try:
        return out.decode(codec)
    except UnicodeDecodeError:
        raise ValueError(f"escape sequences give invalid {codec} bytes") from None
