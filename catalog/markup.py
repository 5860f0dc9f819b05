"""Where Markdown and reStructuredText inline markup sits in a text, for `mask()`.

Spans are `(start, end, kind)`; overlaps are resolved by the caller (earliest, then
longest). Markdown: code spans and links (links inside a link's text included). reST, as
Sphinx's gettext builder leaves it in msgids: roles, inline literals, hyperlink references
(named and anonymous, bare `name_` or backquoted), footnote, citation and substitution
references. A role's or an embedded URI's visible title stays translatable; its target is
masked, together with the whitespace before it, which reST requires. References that carry
a name (`name_`, `` `a phrase`_ ``, `` `title <alias_>`_ ``) are masked whole: Sphinx
resolves them by that name and warns `inconsistent references` when their text changes.
"""

from __future__ import annotations

import re

Span = tuple[int, int, str]

# Link text may hold code spans and one level of balanced brackets: `[`f([x])`](u)`, the
# badge `[![CI](b.svg)](job)`, `[![A][img]][link]`. The links inside are found separately.
_LINK_TEXT = r"(?:`[^`\n]*`|\\.|[^\[\]\n\\`]|`|\[(?:`[^`\n]*`|\\.|[^\[\]\n\\`]|`)*\])*+"
MD_LINK_NESTED = re.compile(
    r"(?P<open>!?\[)" + _LINK_TEXT + r"(?P<close>\]\((?:<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)"
    r"[^()\s]*)*)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)|\]\[[^\[\]\n]*\])"
)

_ROLE = r":[A-Za-z][\w.+-]*(?::[A-Za-z][\w.+-]*)*:"
RST_INTERPRETED = re.compile(
    r"(?<![\w`\\:])(?P<role>" + _ROLE + r")?"
    r"`(?P<body>(?:[^`\\]|\\.)+?)`"
    r"(?P<suffix>__?|" + _ROLE + r")?(?![\w`])",
    re.DOTALL,
)
RST_LITERAL = re.compile(r"(?<![\w`\\])``(?=\S)(?:[^`]|`(?!`))*?(?<=\S)``(?![\w`])", re.DOTALL)
RST_FOOTNOTE = re.compile(r"(?<![\w\\\]])\[(?:#[\w.-]*|\*|\d+|[A-Za-z][\w.-]*)\]_(?!\w)")
RST_SUBSTITUTION = re.compile(r"(?<![\w|\\])\|(?=\S)[^|\n]*?(?<=\S)\|(?:__?)?(?![\w|])")
# docutils' "simple reference name": alphanumerics joined by single `-._+:`; the reference
# starts a word (after a space, an opening bracket or quote, `/`, `:`, a dash) and ends
# before a space, closing punctuation or the end. `snake_case_words`, `__init__`, `name\_`,
# `a_b_c` and `x_(1)` are no references.
_SIMPLE_NAME = r"[^\W_]+(?:[-._+:][^\W_]+)*"
RST_NAMED = re.compile(
    r"(?<![^\s(\[{<'\"\u2018\u201c\u00ab\u2039/:\-\u2013\u2014])"
    + _SIMPLE_NAME
    + r"__?(?![^\s.,;:!?'\")\]}>/\\*\-\u2013\u2014\u2019\u201d\u00bb\u203a\u2026])"
)
_EXPLICIT_TARGET = re.compile(r"^(?P<title>.*?\S)(?P<target>\s*(?<!\\)<[^<>]+>)$", re.DOTALL)
_WITHOUT_TARGETS = frozenset(
    [
        "abbr",
        "code",
        "command",
        "dfn",
        "emphasis",
        "file",
        "guilabel",
        "kbd",
        "literal",
        "mailheader",
        "math",
        "menuselection",
        "mimetype",
        "newsgroup",
        "program",
        "regexp",
        "samp",
        "strong",
        "sub",
        "sup",
        "subscript",
        "superscript",
        "title-reference",
        "t",
        "title",
    ]
)
"""Roles whose `<…>` is content, not a link target (`:math:`a<b>``): masked whole."""


def md_code_spans(text: str) -> list[tuple[int, int]]:
    """CommonMark code spans: a backtick run closed by the next run of the same length; a
    backslash-escaped backtick outside code opens nothing (as connectors.markdown_tokens)."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] != "`":
            i += 1
            continue
        j = i
        while j < n and text[j] == "`":
            j += 1
        run, k = j - i, j
        while (k := text.find("`" * run, k)) >= 0:
            e = k
            while e < n and text[e] == "`":
                e += 1
            if e - k == run:
                break
            k = e
        if k < 0:
            i = j
            continue
        spans.append((i, k + run))
        i = k + run
    return spans


def md_link_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """The opening bracket and the `](target)`/`][label]` of every link and image in
    text[start:end], links inside a link's text (a linked badge) included."""
    spans: list[Span] = []
    for m in MD_LINK_NESTED.finditer(text, start, len(text) if end is None else end):
        spans.append((m.start("open"), m.end("open"), "md-link"))
        spans.append((m.start("close"), m.end("close"), "md-link"))
        spans.extend(md_link_spans(text, m.end("open"), m.start("close")))
    return spans


def rst_spans(text: str, *, markdown: bool = False) -> list[Span]:
    """reST inline markup an engine must not touch. Interpreted text with neither a role
    nor a reference suffix (`` `x` ``, the default role) is left to the caller: outside
    reST it is just a quote. In Markdown a bare `word__` closes `__strong__` emphasis, so
    bare references are only looked for outside it."""
    spans: list[Span] = []
    literals = [(m.start(), m.end()) for m in RST_LITERAL.finditer(text)]
    spans.extend((a, b, "rst-literal") for a, b in literals)
    spans.extend((m.start(), m.end(), "rst-ref") for m in RST_FOOTNOTE.finditer(text))
    spans.extend((m.start(), m.end(), "rst-ref") for m in RST_SUBSTITUTION.finditer(text))
    if not markdown:
        spans.extend((m.start(), m.end(), "rst-ref") for m in RST_NAMED.finditer(text))
    # a role may follow an inline literal directly (Django's ``formset=``:class:`X`, which
    # Sphinx reads as a literal, then a role): with the literals blanked it follows a space
    for m in RST_INTERPRETED.finditer(_blanked(text, literals)):
        role, suffix = m["role"], m["suffix"]
        if role is None and suffix is None:
            continue
        kind = "rst-role" if role or (suffix and suffix.startswith(":")) else "rst-ref"
        explicit = _EXPLICIT_TARGET.match(m["body"])
        titled = explicit is not None and (
            (role is not None and role.strip(":").rsplit(":", 1)[-1] not in _WITHOUT_TARGETS)
            or (role is None and suffix in ("_", "__") and not _is_alias(explicit["target"]))
        )
        if explicit is None or not titled:
            spans.append((m.start(), m.end(), kind))
            continue
        # `:ref:`Title <label>`` and `` `Title <url>`_ ``: the title is translated
        spans.append((m.start(), m.start("body"), kind))
        spans.append((m.start("body") + explicit.start("target"), m.end(), kind))
    return spans


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span (in order, not overlapping) replaced by as many spaces."""
    out, pos = [], 0
    for a, b in spans:
        out += [text[pos:a], " " * (b - a)]
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _is_alias(target: str) -> bool:
    """`<name_>` names another target (docutils: an embedded URI ending in an unescaped
    `_`); Sphinx compares such a reference's whole text, so its title cannot change."""
    inner = target.strip()[1:-1]
    return inner.endswith("_") and not inner.endswith("\\_")
