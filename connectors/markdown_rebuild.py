"""Writing translations back into a Markdown document, and checking the result.

`rebuild` replaces only the spans of translated blocks; every other character of the
source comes back as it was. `verify_structure` parses the result and compares it with the
source: block tree, code, HTML, links, images, inline code and front matter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from markdown_it.token import Token

from locflow.catalog.markup_mkdocs import mkdocs_items
from locflow.connectors.markdown_mkdocs import BLOCK, VERBATIM
from locflow.connectors.markdown_parse import DocBlock, Document
from locflow.connectors.markdown_source import EOL, MarkdownError, decode, encode_value
from locflow.connectors.markdown_tokens import (
    Parsed,
    code_spans,
    markdown_it,
    parse_tokens,
    table_cells,
    walk,
)
from locflow.connectors.markdown_wrap import hard_break, layout, source_shape

_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t\r\n]*")
_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*")
_SINGLE_LINE = (
    "table_cell",
    "image_alt",
    "link_title",
    "html_alt",
    "front_matter",
    "admonition_title",
    "details_title",
    "tab_label",
    "block_title",
    "abbreviation",
    "definition_term",
)
_ALT_VALUE = re.compile(r"(\salt\s*=\s*)(\"[^\"\n]*\"|'[^'\n]*')", re.IGNORECASE)
_CODE_KINDS = ("fence", "code_block", "math_block")
_DEFINITION = re.compile(r"\[(?:[^\[\]\\]|\\.)+\]:")
_UNDERLINE = re.compile(r"(?:=+|-+)[ \t]*")
_TABLE_DELIMITER = re.compile(r"[ \t]{0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")


# --- rebuild -----------------------------------------------------------------------------


def rebuild(doc: Document, translations: Mapping[str, str]) -> str:
    """The document with every block whose msgid has a (non-blank) translation replaced.

    Blocks without one keep their source text, so `rebuild(doc, {}) == doc.text`.
    """
    out: list[str] = []
    pos = 0
    for block, inner in _outermost(doc.blocks):
        source = doc.text[block.start : block.end]
        text = _translation(block, translations)
        if text is not None:
            new = _render(doc, block, text)
            for child in inner:
                child_text = _translation(child, translations)
                if child_text is not None and child.anchor is not None:
                    before, after = child.anchor
                    old = before + doc.text[child.start : child.end] + after
                    new = _replace_outside_code(
                        new, old, before + _render(doc, child, child_text) + after
                    )
        else:
            parts, at = [], block.start
            for child in inner:
                child_text = _translation(child, translations)
                if child_text is not None:
                    parts += [doc.text[at : child.start], _render(doc, child, child_text)]
                    at = child.end
            new = "".join(parts) + doc.text[at : block.end] if parts else source
        out += [doc.text[pos : block.start], new]
        pos = block.end
    out.append(doc.text[pos:])
    return "".join(out)


def _replace_outside_code(text: str, old: str, new: str) -> str:
    """`text` with each `old` that is not inside a code span replaced by `new`."""
    code = code_spans(text)
    out, pos = [], 0
    while (at := text.find(old, pos)) >= 0:
        if not any(a <= at < b for a, b in code):
            out += [text[pos:at], new]
            pos = at + len(old)
        else:
            out.append(text[pos : at + 1])
            pos = at + 1
    return "".join(out) + text[pos:]


def _outermost(blocks: Sequence[DocBlock]) -> list[tuple[DocBlock, list[DocBlock]]]:
    """Blocks not inside another one, each with the blocks inside it, in document order."""
    tops: list[tuple[DocBlock, list[DocBlock]]] = []
    for block in sorted(blocks, key=lambda b: (b.start, -b.end)):
        if tops and block.end <= tops[-1][0].end:
            tops[-1][1].append(block)
        else:
            tops.append((block, []))
    return tops


def _translation(block: DocBlock, translations: Mapping[str, str]) -> str | None:
    """The block's translation without surrounding blank space (spaces, tabs, line breaks
    only: a leading vertical tab or no-break space is text, and it may be what keeps a `#`
    or `>` after it from starting a heading or a quote)."""
    text = translations.get(block.segment.msgid)
    text = text.strip(" \t\r\n") if text is not None else None
    return text or None


def _render(doc: Document, block: DocBlock, text: str) -> str:
    src = doc.text
    opener = src[block.start - 1] if block.start else ""
    if block.kind == "front_matter":
        fmt = doc.front_matter_format or "yaml"
        written = src[block.start : block.end]
        quote = written[:1]
        if fmt == "toml":
            style = "literal" if quote == "'" else "basic"
        else:
            style = {"'": "single", '"': "double"}.get(quote, "plain")
        return encode_value(fmt, style, text)
    line_start = _line_start(src, block.start)
    atx = block.kind == "heading" and "#" in src[line_start : block.start]
    if block.kind in _SINGLE_LINE or atx:
        text = _BREAKS.sub(" ", text)
        if block.kind == "table_cell":
            return re.sub(r"(?<!\\)\|", r"\\|", text)
        if block.kind == "link_title":
            closer = {"(": "()"}.get(opener, opener)
            return re.sub(f"(?<!\\\\)([{re.escape(closer)}])", r"\\\1", text)
        if block.kind == "html_alt":
            return text.replace(opener, "&quot;" if opener == '"' else "&#39;")
        if atx:  # a trailing ` ##` would be read as the closing sequence
            return re.sub(r"([ \t])(#+)$", r"\1\\\2", text)
        return text
    # paragraph-like: each line break of the translation is a hard break
    prefix = "".join(c if c in "> \t" else " " for c in src[line_start : block.start])
    eol_match = EOL.search(src, block.start) or EOL.search(src)
    eol = eol_match.group() if eol_match else "\n"
    span = src[block.start : block.end]
    marker = "  " if re.search(r"  (?:\r\n|\r|\n)", span) and "\\" + eol not in span else "\\"
    lines = _LINE_BREAK.split(text)
    # a `===`/`---` line after a break would turn the block into a setext heading
    lines[1:] = ["\\" + ln if _UNDERLINE.fullmatch(ln) else ln for ln in lines[1:]]
    if _DEFINITION.match(lines[0]):
        lines[0] = "\\" + lines[0]  # `[x]: y` joined onto one line reads as a definition
    # soft breaks as the source had them: re-wrapped, one sentence per line, or none
    shape = source_shape(
        src[line_start : _line_end(src, block.end)], block.segment.msgid.count("\n")
    )
    if block.kind == "heading":
        shape = replace(shape, wrapped=False)
    runs = [layout(ln, shape, len(prefix)) for ln in lines]
    following = _next_line(src, block.end)
    last = runs[-1][-1]
    if "|" in last and _TABLE_DELIMITER.fullmatch(following) and _starts_table(last, following):
        # the last line and the next one would read as a table's header and delimiter row
        # (the source's soft breaks, now spaces, kept it from matching the column count):
        # escaped pipes change the count; `&#124;` leaves no pipe at all (both show `|`)
        for fixed in (_escape_pipes(last, False), _escape_pipes(last, True)):
            if not _starts_table(fixed, following):
                runs[-1][-1] = fixed
                break
    sep = eol + prefix
    ended = [sep.join([*run[:-1], hard_break(run[-1], marker)]) for run in runs[:-1]]
    return sep.join([*ended, sep.join(runs[-1])])


def _next_line(text: str, offset: int) -> str:
    """The line after the one `offset` is on (without its line break), or ''."""
    m = EOL.search(text, offset)
    if m is None:
        return ""
    end = EOL.search(text, m.end())
    return text[m.end() : end.start() if end else len(text)]


def _starts_table(line: str, following: str) -> bool:
    tokens = markdown_it().parse(f"{line}\n{following}\n")
    return bool(tokens) and tokens[0].type == "table_open"


def _escape_pipes(line: str, entity: bool) -> str:
    """`|` outside code spans as `\\|`, or (`entity`) every `|` and `\\|` as `&#124;`."""
    pattern, repl = (r"\\?\|", "&#124;") if entity else (r"(?<!\\)\|", r"\\|")
    out, pos = [], 0
    for a, b in [*code_spans(line), (len(line), len(line))]:
        out += [re.sub(pattern, repl, line[pos:a]), line[a:b]]
        pos = b
    return "".join(out)


def _line_end(text: str, offset: int) -> int:
    m = EOL.search(text, offset)
    return m.start() if m else len(text)


def _line_start(text: str, offset: int) -> int:
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


# --- verify ------------------------------------------------------------------------------


@dataclass
class _Profile:
    """What a translation must not change, each item with its 1-based line."""

    blocks: list[tuple[str, int]] = field(default_factory=list)
    code: list[tuple[str, int]] = field(default_factory=list)
    html: list[tuple[str, int]] = field(default_factory=list)
    rows: list[tuple[str, int]] = field(default_factory=list)
    inventory: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def add(self, what: str, item: str, line: int) -> None:
        self.inventory.setdefault(what, []).append((item, line))


def _profile(parsed: Parsed, mkdocs: bool) -> _Profile:
    prof = _Profile()
    line = 1
    row = False
    for tok in parsed.tokens:
        if tok.map:
            line = tok.map[0] + 1
        if tok.type == "inline":
            if row and tok.meta.get("lines"):  # the cells a row has, not the ones it gets
                a, b = tok.meta["lines"][0]
                cells = table_cells(parsed.text, parsed.offset(a), parsed.offset(b))
                prof.rows.append((f"{len(cells)} cells", line))
                row = False
            for child in walk(tok.children or ()):
                _inline_item(prof, child, line)
            for item in mkdocs_items(tok.content) if mkdocs else ():
                prof.add("MkDocs syntax", item, line)
            continue
        row = row or tok.type == "tr_open"
        prof.blocks.append((_signature(tok, parsed), line))
        if (tok.type in _CODE_KINDS or tok.type == VERBATIM) and tok.map:
            prof.code.append((parsed.raw(*tok.map), line))
        elif tok.type == BLOCK + "_open" and tok.content:
            prof.code.append((tok.content, line))
        elif tok.type == "html_block" and tok.map:
            prof.html.append((_ALT_VALUE.sub(r'\1""', parsed.raw(*tok.map)), line))
    return prof


def _signature(tok: Token, parsed: Parsed) -> str:
    """A block token as the structure check compares it: its type, a heading's level, and
    for the mkdocs dialect's marker lines their marker, keywords, indentation and whether a
    title is there (the title's text is translated; its presence is structure)."""
    if tok.type.startswith("heading"):
        return f"{tok.type} {tok.tag}"
    if tok.type.startswith("mk_") and tok.map:
        row = parsed.raw(tok.map[0], tok.map[0] + 1)
        indent = len(row) - len(row.lstrip(" \t"))
        titled = " with a title" if tok.meta.get("title") else ""
        what = tok.info or row.strip()
        return f"marker line `{what}`{titled} at column {indent + 1}"
    return tok.type


def _inline_item(prof: _Profile, tok: Token, line: int) -> None:
    if tok.type == "link_open":
        prof.add("link target", str(tok.attrGet("href")), line)
    elif tok.type == "image":
        prof.add("image", str(tok.attrGet("src")), line)
    elif tok.type == "code_inline":
        prof.add("inline code", " ".join(tok.content.split()), line)
    elif tok.type == "html_inline":
        html = " ".join(tok.content.split())  # a tag wrapped over lines is the same tag
        prof.add("inline HTML", _ALT_VALUE.sub(r'\1""', html), line)
    elif tok.type == "hardbreak":
        prof.add("hard line break", "", line)


def verify_structure(source: Document, translated_text: str) -> list[str]:
    """One-line problems (`path:line: …`) where `translated_text` does not keep the
    structure of `source`; [] when it does. Lines are those of the translated text, except
    for things missing from it, which name the source line."""
    path = source.path
    try:
        ours = parse_tokens(source.text, path, source.dialect)
        theirs = parse_tokens(decode(translated_text, path), path, source.dialect)
    except MarkdownError as exc:
        return [str(exc)]
    problems = _front_matter_problems(source, ours, theirs)
    mkdocs = source.dialect == "mkdocs"
    a, b = _profile(ours, mkdocs), _profile(theirs, mkdocs)
    for i, ((want, _), (got, line)) in enumerate(zip(a.blocks, b.blocks, strict=False)):
        if want != got:
            problems.append(f"{path}:{line}: block {i + 1} is {_pretty(got)}, not {_pretty(want)}")
            break
    else:
        if len(a.blocks) != len(b.blocks):
            where = b.blocks[-1][1] if b.blocks else 1
            problems.append(
                f"{path}:{where}: {len(b.blocks)} block tokens instead of {len(a.blocks)}"
            )
    pairs = (("code block", a.code, b.code), ("HTML block", a.html, b.html))
    for what, mine, yours in pairs:
        if len(mine) != len(yours):
            where = yours[-1][1] if yours else 1
            problems.append(f"{path}:{where}: {len(yours)} {what}s instead of {len(mine)}")
        for (want, _), (got, line) in zip(mine, yours, strict=False):
            if want != got:
                problems.append(f"{path}:{line}: {what} changed")
    for (want, _), (got, line) in zip(a.rows, b.rows, strict=False):
        if want != got:
            problems.append(f"{path}:{line}: table row has {got}, not {want}")
    for what in sorted(set(a.inventory) | set(b.inventory)):
        problems.extend(
            _inventory(path, what, a.inventory.get(what, []), b.inventory.get(what, []))
        )
    return problems


def _pretty(sig: str) -> str:
    if sig.startswith("marker line"):
        return sig
    name = sig.replace("_open", "").replace("_close", " end").replace("_", " ")
    return name.replace("heading h", "heading level ")


def _inventory(
    path: str, what: str, mine: list[tuple[str, int]], yours: list[tuple[str, int]]
) -> list[str]:
    have, want = Counter(i for i, _ in yours), Counter(i for i, _ in mine)
    problems = []
    for item, n in (want - have).items():
        line = next(ln for i, ln in mine if i == item)
        shown = f" {item!r}" if item else ""
        problems.append(f"{path}:{line}: {what}{shown} missing ({n}x; source line)")
    for item, n in (have - want).items():
        line = next(ln for i, ln in yours if i == item)
        shown = f" {item!r}" if item else ""
        problems.append(f"{path}:{line}: unexpected {what}{shown} ({n}x)")
    return problems


def _front_matter_problems(source: Document, ours: Parsed, theirs: Parsed) -> list[str]:
    path = source.path
    fm_a, fm_b = ours.front_matter, theirs.front_matter
    if fm_a is None and fm_b is None:
        return []
    if fm_a is None or fm_b is None or fm_a.format != fm_b.format:
        fmt = (fm_b.format if fm_b else "no").upper()
        return [f"{path}:1: front matter is {fmt}, not {(fm_a.format if fm_a else 'none').upper()}"]
    data_a, data_b = fm_a.data, fm_b.data
    if not isinstance(data_a, dict) or not isinstance(data_b, dict):
        same = data_a == data_b or ours.raw(1, fm_a.last) == theirs.raw(1, fm_b.last)
        return [] if same else [f"{path}:2: front matter changed"]
    translated = {
        dict(b.segment.meta).get("key") for b in source.blocks if b.kind == "front_matter"
    }
    problems = []
    if list(data_a) != list(data_b):
        problems.append(f"{path}:2: front matter keys are {list(data_b)}, not {list(data_a)}")
    for key, value in data_a.items():
        if key in data_b and key not in translated and data_b[key] != value:
            line = _key_line(theirs, fm_b.last, str(key))
            problems.append(f"{path}:{line}: front matter value of {key!r} changed")
    return problems


def _key_line(parsed: Parsed, last: int, key: str) -> int:
    """1-based line where top-level `key` is set in the front matter (2 if not found)."""
    for n in range(1, last):
        row = parsed.raw(n, n + 1)
        if row.startswith(key) and row[len(key) :].lstrip(" \t")[:1] in (":", "="):
            return n + 1
    return 2
