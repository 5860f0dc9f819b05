"""Reading PO/POT files into frozen entries that keep their original text.

A line-based state machine: every entry remembers its own lines (`raw`) and the blank
lines before it (`_sep`), so an unchanged catalogue renders back byte for byte.
"""

from __future__ import annotations

import codecs

from locflow.catalog.segment import Segment
from locflow.connectors.po_linebreak import display_width
from locflow.connectors.po_model import (
    PoCatalog,
    PoEntry,
    PoError,
    sniff_charset,
    split_strings,
)

_BOM = codecs.BOM_UTF8
_MAX_SAMPLES = 2000


class _Entry:
    """Mutable state of the entry being read."""

    __slots__ = (
        "comments",
        "ctxt",
        "cur",
        "hdr",
        "msgid",
        "msgid_line",
        "obsolete",
        "phase",
        "plural",
        "prev",
        "prev_cur",
        "start",
        "start_off",
        "strs",
    )

    def __init__(self) -> None:
        self.start = self.start_off = -1
        self.phase = 0  # 0 comments, 1 msgctxt, 2 msgid, 3 msgid_plural, 4 msgstr
        self.comments: list[str] = []
        self.prev: dict[str, list[str]] = {}
        self.prev_cur: list[str] | None = None
        self.ctxt: list[str] | None = None
        self.msgid: list[str] = []
        self.plural: list[str] | None = None
        self.strs: list[list[str]] = []
        self.cur: list[str] | None = None
        self.obsolete = False
        self.msgid_line = 0
        self.hdr = False


class _Parser:
    def __init__(self, text: str, name: str, codec: str) -> None:
        self.name, self.codec = name, codec
        self.text = text
        self.pos = 0  # offset of the current line in text
        self.entries: list[PoEntry] = []
        self.header: PoEntry | None = None
        self.header_index = 0
        self.seen: dict[tuple[str | None, str], int] = {}
        self.prev_end = 0
        self.samples: list[tuple[int, int]] = []
        self.long_lines = 0
        self.sampling = True
        self.paths: dict[str, str] = {}  # one string object per referenced file
        self.bare = -1  # line of a keyword still waiting for its string
        self.e = _Entry()

    def error(self, idx: int, message: str) -> PoError:
        return PoError(self.name, idx + 1, message)

    def strings(self, text: str, idx: int) -> list[str]:
        try:
            return split_strings(text, self.codec)
        except ValueError as exc:
            raise self.error(idx, str(exc)) from None

    # -- main loop --
    def run(self) -> None:
        e = self.e
        last_wrapped: str | None = None  # the previous string line, when it may have wrapped
        text = self.text
        find, size = text.find, len(text)
        pos, idx = 0, -1
        while pos < size:
            idx += 1
            self.pos = pos
            end = find("\n", pos) + 1 or size
            content = text[pos:end].rstrip("\r\n")
            pos = end
            c = content[:1]
            if c in (" ", "\t", "\f", "\v", "\r"):
                content = content.strip()
                c = content[:1]
            if c == '"':
                if e.cur is None or e.obsolete:
                    raise self.error(idx, "string continuation without a keyword before it")
                e.cur += self.strings(content, idx)
                self.bare = -1
                if self.sampling and not e.hdr:
                    last_wrapped = self.sample(content, last_wrapped)
                continue
            last_wrapped = None
            if self.bare >= 0 and not (c == "#" and content.startswith('#~ "')):
                raise self.error(self.bare, "keyword without a string")
            if c == "m":
                self.keyword(content, idx, False)
                if self.sampling and not e.hdr:
                    last_wrapped = self.sample(content, None)
            elif c == "#":
                c2 = content[1:2]
                if c2 == "~":
                    self.obsolete_line(content, idx)
                    continue
                self.comment_starts(idx)
                if c2 == "|":
                    self.previous(content[2:].lstrip(), idx)
                else:
                    e.comments.append(content)
            elif not c:
                if e.phase == 4:
                    self.finish(self.pos)
            elif content.startswith("domain"):
                raise self.error(idx, "'domain' directives are not supported")
            else:
                raise self.error(idx, f"syntax error: unexpected {content[:30]!r}")
        if self.bare >= 0:
            raise self.error(self.bare, "keyword without a string")
        if e.phase == 4:
            self.finish(len(self.text))
        elif e.phase:
            raise self.error(e.msgid_line if e.phase >= 2 else idx, self.missing(e))

    def sample(self, content: str, last: str | None) -> str | None:
        """Collect evidence for the wrap width; returns this line if it may have been wrapped
        (no `\\n` at its end, a space inside), else None. `last`, the line before this
        continuation, is measured only now: most string lines are never continued."""
        if last is not None:
            width = display_width(last)
            body = content[1:]
            cut = body.find(" ")
            piece = len(body) if cut < 0 else len(body) - len(body[cut:].lstrip(" "))
            self.samples.append((width, width + piece))
            if len(self.samples) >= _MAX_SAMPLES:
                self.sampling = False
        quote = content.find('"') + 1
        if content.endswith('\\n"') or content.endswith('""'):
            if len(content) > 79 and not self.samples and " " in content[quote:-3].strip(" "):
                self.long_lines += 1
            return None
        if " " not in content[quote:-1].strip(" "):
            return None
        # a character takes at most 2 columns: shorter lines cannot be wider than 79
        if not self.samples and len(content) * (1 if content.isascii() else 2) > 79:
            self.long_lines += display_width(content) > 79
        return content

    @staticmethod
    def missing(e: _Entry) -> str:
        return "msgid without msgstr" if e.phase >= 2 else "msgctxt without msgid"

    def comment_starts(self, idx: int) -> None:
        """A comment line: it ends a complete entry and begins (or continues) the next."""
        e = self.e
        if e.phase == 4:
            self.finish(self.pos)
        elif e.phase:
            raise self.error(e.msgid_line if e.phase >= 2 else idx, self.missing(e))
        if e.start < 0:
            e.start, e.start_off = idx, self.pos

    def obsolete_line(self, content: str, idx: int) -> None:
        e = self.e
        rest = content[2:]
        if rest.startswith("|"):
            self.comment_starts(idx)
            self.previous(rest[1:].lstrip(), idx)
            return
        rest = rest.strip()
        if not rest:
            if e.phase == 4:
                self.finish(self.pos)
            return
        if rest[0] == '"':
            if e.cur is None or not e.obsolete:
                raise self.error(idx, "string continuation without a keyword before it")
            e.cur += self.strings(rest, idx)
            self.bare = -1
        elif rest.startswith("msg"):
            self.keyword(rest, idx, True)
        else:
            raise self.error(idx, f"syntax error in obsolete entry: {rest[:30]!r}")

    def previous(self, rest: str, idx: int) -> None:
        e = self.e
        if rest.startswith('"'):
            if e.prev_cur is None:
                raise self.error(idx, "'#|' string without a keyword before it")
            e.prev_cur += self.strings(rest, idx)
            return
        for kw in ("msgctxt", "msgid_plural", "msgid"):
            if rest.startswith(kw) and rest[len(kw) : len(kw) + 1] in (" ", "\t", '"'):
                e.prev_cur = e.prev[kw] = self.strings(rest[len(kw) :].strip(), idx)
                return
        raise self.error(idx, f"syntax error in '#|' line: {rest[:30]!r}")

    def split_keyword(self, content: str, idx: int) -> tuple[str, int, str]:
        """`msgstr[1] "x"` -> ("msgstr", 1, ' "x"'); the index is -1 without brackets."""
        if content.startswith("msgid_plural"):
            kw, rest = "msgid_plural", content[12:]
        elif content.startswith("msgid"):
            kw, rest = "msgid", content[5:]
        elif content.startswith("msgstr"):
            kw, rest = "msgstr", content[6:]
        elif content.startswith("msgctxt"):
            kw, rest = "msgctxt", content[7:]
        else:
            raise self.error(idx, f"syntax error: unknown keyword {content.split()[0][:30]!r}")
        index = -1
        if kw == "msgstr" and rest.startswith("["):
            close = rest.find("]")
            if close < 0 or not rest[1:close].isdigit():
                raise self.error(idx, "malformed msgstr[N] index")
            index, rest = int(rest[1:close]), rest[close + 1 :]
        if rest and rest[0] not in ' \t"':
            raise self.error(idx, f"syntax error: unknown keyword {content.split()[0][:30]!r}")
        return kw, index, rest

    def keyword(self, content: str, idx: int, obsolete: bool) -> None:
        e = self.e
        kw, index, rest = self.split_keyword(content, idx)
        parts = self.strings(rest.strip(), idx) if rest.strip() else []
        self.bare = -1 if parts else idx
        phase = e.phase
        if kw in ("msgctxt", "msgid") and phase == 4:
            self.finish(self.pos)
            phase = 0
        if phase and obsolete != e.obsolete:
            raise self.error(idx, "obsolete ('#~') and active lines mixed in one entry")
        if kw == "msgctxt":
            if phase:
                raise self.error(idx, "msgctxt must come first in an entry")
            e.ctxt, e.phase = parts, 1
        elif kw == "msgid":
            if phase > 1:
                raise self.error(e.msgid_line, "msgid without msgstr")
            e.msgid, e.phase, e.msgid_line = parts, 2, idx
        elif kw == "msgid_plural":
            if phase != 2:
                raise self.error(idx, "msgid_plural without msgid")
            e.plural, e.phase = parts, 3
        else:
            if phase < 2:
                raise self.error(idx, "msgstr without msgid")
            if index < 0:
                if phase == 3 or e.plural is not None:
                    raise self.error(idx, "msgid_plural needs msgstr[0], msgstr[1], ...")
                if phase == 4:
                    raise self.error(idx, "duplicate msgstr")
            else:
                if e.plural is None:
                    raise self.error(idx, f"msgstr[{index}] without msgid_plural")
                if index != len(e.strs):
                    raise self.error(
                        idx, f"msgstr[{index}] out of order (expected msgstr[{len(e.strs)}])"
                    )
            e.strs.append(parts)
            e.phase = 4
            e.hdr = e.ctxt is None and not obsolete and not "".join(e.msgid)
        if e.start < 0:
            e.start, e.start_off = idx, self.pos
        e.obsolete = obsolete
        e.cur = parts

    def finish(self, end: int) -> None:
        """Close the current entry at text offset `end` (exclusive)."""
        e, text = self.e, self.text
        start = e.start
        sep = text[self.prev_end : e.start_off] if e.start_off else None  # None: first in file
        raw = text[e.start_off : end]
        self.prev_end = end
        tcomments, ecomments, refs, flags = [], [], [], []
        for com in e.comments:
            kind = com[1:2]
            if kind == ",":
                flags += [f for f in (x.strip() for x in com[2:].split(",")) if f]
            elif kind == ":":
                for tok in com[2:].split():
                    path, colon, num = tok.rpartition(":")
                    if not (colon and num.isdigit()):
                        path, num = tok, ""
                    refs.append((self.paths.setdefault(path, path), num))
            elif kind == ".":
                ecomments.append(com[3:] if com.startswith("#. ") else com[2:])
            else:
                tcomments.append(com[2:] if com.startswith("# ") else com[1:])
        prev = e.prev
        seg = Segment(
            msgid="".join(e.msgid),
            msgctxt="".join(e.ctxt) if e.ctxt is not None else None,
            msgid_plural="".join(e.plural) if e.plural is not None else None,
            flags=tuple(flags),
            extracted_comments="\n".join(ecomments),
            translator_comments="\n".join(tcomments),
            occurrences=tuple(refs),
            previous_msgctxt="".join(prev["msgctxt"]) if "msgctxt" in prev else None,
            previous_msgid="".join(prev["msgid"]) if "msgid" in prev else None,
            previous_msgid_plural="".join(prev["msgid_plural"]) if "msgid_plural" in prev else None,
            obsolete=e.obsolete,
        )
        entry = PoEntry(seg, tuple("".join(p) for p in e.strs), start + 1, raw, None, sep)
        if not e.obsolete:
            key = (seg.msgctxt, seg.msgid)
            first = self.seen.get(key)
            if first is not None:
                raise self.error(
                    e.msgid_line, f"duplicate message definition (first defined at line {first})"
                )
            self.seen[key] = e.msgid_line + 1
        if e.hdr and self.header is None:
            self.header, self.header_index = entry, len(self.entries)
        else:
            self.entries.append(entry)
        e.__init__()  # reset in place: callers hold a reference to it

    def width(self) -> int | None:
        """The page width the file was wrapped at: 79 (gettext's default) unless its wrapped
        lines say otherwise; None when long lines were left unwrapped (--no-wrap)."""
        if not self.samples:
            return None if self.long_lines else 79
        lo = max(w for w, _ in self.samples)
        hi = min(h for _, h in self.samples) - 1
        if lo > 79:
            return lo
        if lo <= 79 <= hi or len(self.samples) < 3 or hi < lo:
            return 79
        return hi


def parse_po(data: bytes, name: str) -> PoCatalog:
    """Parse PO/POT bytes; raises PoError (`name:line: message`) for malformed input."""
    bom = data.startswith(_BOM)
    body = data[3:] if bom else data
    codec, charset = sniff_charset(body, name)
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise PoError(name, line, f"invalid byte sequence for charset {charset}") from None
    if codec != "utf-8" and text.encode(codec) != body:
        raise PoError(name, 1, f"bytes do not round-trip through charset {charset}")
    parser = _Parser(text, name, codec)
    parser.run()
    tail = text[parser.prev_end :]
    first_nl = text.find("\n")
    newline = "\r\n" if first_nl > 0 and text[first_nl - 1] == "\r" else "\n"
    return PoCatalog(
        name=name,
        encoding=codec,
        header=parser.header,
        entries=tuple(parser.entries),
        width=parser.width(),
        _charset=charset,
        _newline=newline,
        _bom=bom,
        _tail=tail,
        _header_index=parser.header_index,
    )


def parse_header_fields(data: bytes, name: str) -> tuple[tuple[str, str], ...]:
    """The header's `Key: value` fields, reading only as far as the header when it comes
    first (as gettext writes it); else the whole catalogue. Raises PoError when malformed."""
    start = data.find(b"msgstr")
    ends = [i for i in (data.find(b"\n\n", start), data.find(b"\n\r\n", start)) if i >= 0]
    if start >= 0 and ends:
        try:
            head = parse_po(data[: min(ends) + 1], name)
        except PoError:
            head = None
        if head is not None and head.header is not None:
            return head.header_fields()
    return parse_po(data, name).header_fields()
