"""Masking: placeholders and markup become opaque tokens an engine must hand back unchanged.

`mask()` replaces everything an engine must not touch (format directives per the entry's
flags, HTML tags and entities, URLs, e-mail addresses, inner newlines, optionally Markdown
code and link targets) by `[X0X]`, `[X1X]`… and sets leading/trailing whitespace apart;
`unmask()` puts it all back and refuses a translation whose tokens do not add up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from locflow.catalog.markup import md_code_spans, md_link_spans, rst_spans
from locflow.catalog.markup_mkdocs import mkdocs_spans

FORMAT_KINDS = ("c-format", "python-format", "python-brace-format")

# gettext's printf grammar (format-c.c): %[argnum$][flags][width][.precision][size]conv
C_FORMAT = re.compile(
    r"%%"
    r"|%(?:(?P<num>[1-9]\d*)\$)?"
    r"(?P<flags>[-+ #0'I]*)"
    r"(?P<width>\d+|\*(?:[1-9]\d*\$)?)?"
    r"(?:\.(?P<prec>\d+|\*(?:[1-9]\d*\$)?)?)?"
    r"(?P<size>hh|h|ll|l|L|q|j|z|Z|t)?"
    r"(?P<conv>[diouxXeEfFgGaAcspnCSm]|<PRI[A-Za-z0-9_]+>)"
)
# Python %-formatting (format-python.c)
PYTHON_FORMAT = re.compile(
    r"%%"
    r"|%(?:\((?P<name>[^()]*)\))?"
    r"(?P<flags>[#0\- +]*)"
    r"(?P<width>\d+|\*)?"
    r"(?:\.(?P<prec>\d+|\*))?"
    r"[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
# str.format fields: {name}, {0}, {}, {obj.attr}, {a[0]!r}, {x:.2f}, {x:{width}}
BRACE_FORMAT = re.compile(
    r"\{\{|\}\}"
    r"|\{(?P<field>(?:[^\W\d]\w*|\d+)?(?:\.[^\W\d]\w*|\[[^\[\]{}]+\])*)"
    r"(?P<conv>![rsa])?"
    r"(?::(?P<spec>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}"
)
FORMAT_PATTERNS = {
    "c-format": C_FORMAT,
    "python-format": PYTHON_FORMAT,
    "python-brace-format": BRACE_FORMAT,
}

TAG = re.compile(
    r"<!--.*?-->"
    r"|</?[A-Za-z][\w:.-]*(?:\s+(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>",
    re.DOTALL,
)
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});")
URL = re.compile(r"(?:\b(?:https?|ftp)://|\bmailto:|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
MD_AUTOLINK = re.compile(
    r"<(?:(?:https?|ftp|mailto):[^\s<>]*|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>",
    re.IGNORECASE,
)
MD_LINK = re.compile(
    r"(?P<open>!?\[)[^\[\]\n]*"
    r"(?P<close>\]\((?:<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
    r"|\]\[[^\[\]\n]*\])"
)
# What an engine may turn `[X12X]` into: other case, inner spaces, fullwidth or escaped
# brackets, Cyrillic/Greek/fullwidth look-alikes of X, fullwidth digits.
TOKEN_LIKE = re.compile(
    r"(?P<esc>\\)?[\[［]\s*[XxХхΧχＸｘ]\s*(?P<n>\d+)\s*[XxХхΧχＸｘ]\s*\\?[\]］]"
)
_TOKEN = re.compile(r"\[X(?P<n>\d+)X\]")
_URL_TAIL = ".,;:!?'\""


@dataclass(frozen=True)
class Token:
    token: str
    """What the engine sees, e.g. `[X0X]`."""
    original: str
    kind: str
    """c-format, python-format, python-brace-format, tag, entity, url, email, newline,
    token (literal text that already looked like a token), md-code, md-link, md-autolink,
    rst-literal, rst-role, rst-ref; for the mkdocs dialect's inline syntax md-attr,
    md-emoji, md-keys, md-footnote, md-math, md-toc, md-critic and jinja."""


@dataclass(frozen=True)
class Masked:
    text: str
    tokens: tuple[Token, ...] = ()
    leading: str = ""
    trailing: str = ""

    @property
    def token_strings(self) -> tuple[str, ...]:
        return tuple(t.token for t in self.tokens)


class PlaceholderMismatch(ValueError):
    """A translation lost, duplicated or invented masking tokens."""

    def __init__(
        self,
        missing: tuple[str, ...] = (),
        unexpected: tuple[str, ...] = (),
        originals: dict[str, str] | None = None,
    ) -> None:
        self.missing = missing
        self.unexpected = unexpected
        shown = originals or {}
        parts = []
        if missing:
            parts.append("missing " + ", ".join(_label(t, shown) for t in missing))
        if unexpected:
            parts.append("unexpected " + ", ".join(_label(t, shown) for t in unexpected))
        super().__init__("placeholder mismatch: " + "; ".join(parts))


def _label(token: str, originals: dict[str, str]) -> str:
    original = originals.get(token)
    return f"{token}={original!r}" if original is not None else token


def active_formats(flags: Iterable[str], *, possible: bool = False) -> tuple[str, ...]:
    """The format kinds a flag set turns on; `no-…` wins; `possible-…` counts if asked."""
    flags = set(flags)
    return tuple(
        kind
        for kind in FORMAT_KINDS
        if f"no-{kind}" not in flags
        and (kind in flags or (possible and f"possible-{kind}" in flags))
    )


def mask(text: str, flags: Iterable[str], *, markdown: bool = False) -> Masked:
    """Replace placeholders and markup in `text` by tokens `[X0X]`, `[X1X]`… in order."""
    core = text.strip()
    if not core:
        return Masked(text="", leading=text)
    start = len(text) - len(text.lstrip())
    leading, trailing = text[:start], text[start + len(core) :]

    spans = _spans(core, active_formats(flags, possible=True), markdown)
    out: list[str] = []
    tokens: list[Token] = []
    pos = 0
    for begin, end, kind in spans:
        if begin > pos and core[begin - 1] == "\\":
            begin -= 1  # the backslash before a span travels with it, so none is lost
        token = f"[X{len(tokens)}X]"
        tokens.append(Token(token=token, original=core[begin:end], kind=kind))
        out.append(core[pos:begin])
        out.append(token)
        pos = end
    out.append(core[pos:])
    return Masked(text="".join(out), tokens=tuple(tokens), leading=leading, trailing=trailing)


def unmask(masked: Masked, translated: str) -> str:
    """Restore every token of `masked` in an engine's `translated` text.

    Token variants an engine produces (`[x0x]`, `[X 0 X]`, `［X0X］`) are accepted; tokens
    may move. Raises PlaceholderMismatch when one is missing, repeated or unknown.
    """
    known = {t.token: t for t in masked.tokens}
    found = Counter(f"[X{int(m['n'])}X]" for m in TOKEN_LIKE.finditer(translated))
    missing = tuple(t for t in known if found[t] == 0)
    unexpected = tuple(
        sorted(
            [t for t in found if t not in known]
            + [t for t, count in found.items() if t in known and count > 1]
        )
    )
    if missing or unexpected:
        raise PlaceholderMismatch(missing, unexpected, {t.token: t.original for t in masked.tokens})

    # a backslash right before a token is the engine escaping the bracket, unless the
    # source had one there too (`\\<array>`, `C:\\%s`): that one is text and stays
    escaped = {t for t in known if "\\" + t in masked.text}

    def normalise(m: re.Match[str]) -> str:
        token = f"[X{int(m['n'])}X]"
        return ("\\" if m["esc"] and token in escaped else "") + token

    body = TOKEN_LIKE.sub(normalise, translated.strip())
    for t in masked.tokens:
        if t.kind == "newline":  # an engine pads a line break with spaces the source lacks
            body = _unpad(body, masked.text, t.token)
    body = _TOKEN.sub(lambda m: known[m.group()].original, body)
    return masked.leading + body + masked.trailing


def _unpad(body: str, source: str, token: str) -> str:
    at = source.find(token)
    before = at > 0 and source[at - 1] in " \t"
    after = source[at + len(token) : at + len(token) + 1] in (" ", "\t")
    pattern = ("" if before else r"[ \t]*") + re.escape(token) + ("" if after else r"[ \t]*")
    return re.sub(pattern, token, body)


def placeholders_in(text: str, flags: Iterable[str]) -> list[str]:
    """The format directives of `text` (escapes `%%`, `{{`, `}}` included), in order."""
    spans: list[tuple[int, int, str]] = []
    for kind in active_formats(flags):
        spans.extend((m.start(), m.end(), kind) for m in FORMAT_PATTERNS[kind].finditer(text))
    return [text[b:e] for b, e, _ in _non_overlapping(spans)]


def format_signature(text: str, kind: str) -> tuple[list[tuple[tuple[str, str], str]], list[str]]:
    """Parse `text` as one format kind into ((argument, type), raw) pairs and stray fragments.

    Arguments are keyed the way gettext compares them: unnumbered C/Python directives are
    numbered in order (so `%s %d` equals `%2$d %1$s`), `*` widths take an int argument,
    types are compared by class (`%5d` and `%i` agree). Escapes and `%m` take no argument.
    A stray fragment is a `%`, `{` or `}` that starts no valid directive.
    """
    pattern = FORMAT_PATTERNS[kind]
    starts = "{}" if kind == "python-brace-format" else "%"
    args: list[tuple[tuple[str, str], str]] = []
    stray: list[str] = []
    auto = 0
    pos = 0
    while (i := _next_of(text, starts, pos)) >= 0:
        m = pattern.match(text, i)
        if m is None:
            stray.append(text[i : i + 2])
            pos = i + 1
            continue
        pos = m.end()
        raw = m.group()
        if raw in ("%%", "{{", "}}"):
            continue
        if kind == "python-brace-format":
            field = m["field"]
            if not field:
                field, auto = str(auto), auto + 1
            args.append(((field, (m["conv"] or "") + ":" + (m["spec"] or "")), raw))
            continue
        for star in (m["width"], m["prec"]):
            if star and star.startswith("*"):
                if len(star) > 1:
                    key = star[1:-1]
                else:
                    auto += 1
                    key = str(auto)
                args.append(((key, "int"), raw))
        conv = _type_class(kind, m)
        if conv == "none":  # %m: glibc's strerror(errno), no argument
            continue
        if kind == "python-format" and m["name"] is not None:
            args.append(((m["name"], conv), raw))
        elif kind == "c-format" and m["num"]:
            args.append(((m["num"], conv), raw))
        else:
            auto += 1
            args.append(((str(auto), conv), raw))
    return args, stray


def _next_of(text: str, chars: str, pos: int) -> int:
    hits = [i for i in (text.find(c, pos) for c in chars) if i >= 0]
    return min(hits) if hits else -1


_C_CLASSES = {
    **dict.fromkeys("di", "int"),
    **dict.fromkeys("ouxX", "uint"),
    **dict.fromkeys("eEfFgGaA", "float"),
    "c": "char",
    "C": "wchar",
    "s": "str",
    "S": "wstr",
    "p": "pointer",
    "n": "count",
    "m": "none",
}
_PY_CLASSES = {
    **dict.fromkeys("diuoxX", "int"),
    **dict.fromkeys("eEfFgG", "float"),
    "c": "char",
    **dict.fromkeys("sra", "str"),
    "%": "none",
}


def _type_class(kind: str, m: re.Match[str]) -> str:
    conv = m["conv"]
    if kind == "python-format":
        return _PY_CLASSES[conv]
    if conv.startswith("<"):  # <PRIu64>: the macro names size and signedness
        return "int" + conv[5:-1] if conv[4] in "di" else "uint" + conv[5:-1]
    return (m["size"] or "") + _C_CLASSES[conv]


def tags_in(text: str) -> list[str]:
    return [m.group() for m in TAG.finditer(text)]


def urls_in(text: str) -> list[str]:
    """URLs and e-mail addresses, trailing sentence punctuation excluded."""
    spans = [(b, e, k) for b, e, k in _url_spans(text)]
    return [text[b:e] for b, e, _ in _non_overlapping(spans)]


def _spans(text: str, formats: tuple[str, ...], markdown: bool) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    spans.extend((m.start(), m.end(), "token") for m in TOKEN_LIKE.finditer(text))
    if markdown:
        spans.extend((a, b, "md-code") for a, b in md_code_spans(text))
        spans.extend((m.start(), m.end(), "md-autolink") for m in MD_AUTOLINK.finditer(text))
        spans.extend(md_link_spans(text))
        spans.extend(mkdocs_spans(text))
    spans.extend(rst_spans(text, markdown=markdown))
    for kind in formats:
        spans.extend((m.start(), m.end(), kind) for m in FORMAT_PATTERNS[kind].finditer(text))
    spans.extend((m.start(), m.end(), "tag") for m in TAG.finditer(text))
    spans.extend((m.start(), m.end(), "entity") for m in ENTITY.finditer(text))
    spans.extend(_url_spans(text))
    spans.extend((m.start(), m.end(), "newline") for m in re.finditer("\n", text))
    return _non_overlapping(spans)


def _url_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    pos = 0
    while (m := URL.search(text, pos)) is not None:
        # a URL ends where a Markdown link's target begins: `b.svg)](https://ci/job)`
        url = m.group().split("](", 1)[0]
        end = m.start() + len(_trim_url(url))
        if end > m.start():
            spans.append((m.start(), end, "url"))
        pos = max(end, m.start() + 1)
    for m in EMAIL.finditer(text):
        spans.append((m.start(), m.start() + len(m.group().rstrip(".")), "email"))
    return spans


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets after a URL."""
    while url:
        last = url[-1]
        if last in _URL_TAIL or (
            last in ")]" and url.count(last) > url.count("(" if last == ")" else "[")
        ):
            url = url[:-1]
        else:
            break
    return url


def _non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Earliest start wins, then the longest; the list comes back sorted."""
    chosen: list[tuple[int, int, str]] = []
    pos = 0
    for begin, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if begin >= pos and end > begin:
            chosen.append((begin, end, kind))
            pos = end
    return chosen
