"""Inline syntax of Python-Markdown extensions that MkDocs sites use, for `mask()`.

Masked whole (an engine must not touch it): attr_list (`{: .class #id }`, `{ .md-button }`),
emoji and icon shortcodes (`:material-check:`), keys (`++ctrl+alt+del++`), footnote markers
(`[^1]`), Jinja of mkdocs-macros (`{{ … }}`, `{% … %}`, `{# … #}`), arithmatex math (`$…$`
under the smart-dollar rule, `$$…$$`, `\\(…\\)`), `[TOC]`, and the target of an autorefs
link (`][package.module.Class]`, whose text stays translatable). Critic markup keeps its
markers (`{++`, `++}`, `{~~`, `~>`, `~~}`…) masked and its text translatable.

These are masked in every Markdown segment: outside an MkDocs site the same characters are
rare in prose, and a masked span comes back verbatim. `$` is the exception that needs care:
`$5 and $10` is prose, so a `$…$` span needs a non-space after its opening `$`, a non-space
before its closing `$`, and no digit right after it (pandoc's and arithmatex's rule).
"""

from __future__ import annotations

import re

from locflow.catalog.markup import md_code_spans

Span = tuple[int, int, str]

ATTR_LIST = re.compile(
    r"\{:?[ \t]*(?:(?:[.#](?:[\w-]|\\.)+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s}]+))[ \t]*)+\}"
)
EMOJI = re.compile(r"(?<![\w:/]):(?=[a-z0-9+_-]*[a-z])[a-z0-9+_]+(?:-[a-z0-9+_]+)*:(?![\w/])")
_KEY = r"(?:[\w-]+|\"[^\"\n]*\")"
KEYS = re.compile(r"\+\+" + _KEY + r"(?:\+" + _KEY + r")*\+\+")
FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\](?!:)")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
MATH = re.compile(
    r"(?<![\\$])\$\$(?=\S).+?(?<=\S)\$\$"
    r"|(?<![\\$\w])\$(?=[^\s$])(?:[^$\\\n]|\\.)+?(?<=[^\s\\])\$(?![\d$])"
    r"|\\\(.+?\\\)",
    re.DOTALL,
)
TOC = re.compile(r"\[TOC\]")
AUTOREF = re.compile(r"\]\[`?[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+`?\]")
CRITIC_MARKERS = re.compile(r"\{\+\+|\+\+\}|\{--|--\}|\{~~|~>|~~\}|\{==|==\}|\{>>|<<\}")
_CRITIC = re.compile(
    r"\{\+\+.*?\+\+\}|\{--.*?--\}|\{~~.*?~>.*?~~\}|\{==.*?==\}|\{>>.*?<<\}", re.DOTALL
)


def mkdocs_spans(text: str) -> list[Span]:
    """Spans `(start, end, kind)` of the syntax above; overlaps are left to the caller."""
    spans: list[Span] = []
    for pattern, kind in (
        (JINJA, "jinja"),
        (MATH, "md-math"),
        (ATTR_LIST, "md-attr"),
        (KEYS, "md-keys"),
        (FOOTNOTE_REF, "md-footnote"),
        (TOC, "md-toc"),
        (AUTOREF, "md-link"),
        (EMOJI, "md-emoji"),
    ):
        spans.extend((m.start(), m.end(), kind) for m in pattern.finditer(text))
    for m in _CRITIC.finditer(text):
        for marker in CRITIC_MARKERS.finditer(text, m.start(), m.end()):
            spans.append((marker.start(), marker.end(), "md-critic"))
    return spans


_MARKS = (
    ("==…==", re.compile(r"(?<![=\w\\])==(?=[^\s=])(?:(?!==).)+?(?<=[^\s=])==(?![=\w])")),
    ("^^…^^", re.compile(r"(?<![\^\w\\])\^\^(?=[^\s^])(?:(?!\^\^).)+?(?<=[^\s^])\^\^(?![\^\w])")),
    ("~~…~~", re.compile(r"(?<![~\w\\])~~(?=[^\s~])(?:(?!~~).)+?(?<=[^\s~])~~(?![~\w])")),
    ("^…^", re.compile(r"(?<![\^\w\\])\^(?=[^\s^])[^\s^]+?\^(?![\^\w])")),
    ("~…~", re.compile(r"(?<![~\w\\])~(?=[^\s~])[^\s~]+?~(?![~\w])")),
)


def mkdocs_items(text: str) -> list[str]:
    """What a translation of `text` must keep, for the structure check: every masked span
    above as written, and each inline mark (`==…==`, `^^…^^`, `~~…~~`, `^…^`, `~…~`) by its
    kind (the text inside is translated)."""
    for a, b in reversed(md_code_spans(text)):
        text = text[:a] + " " + text[b:]
    spans = [s for s in mkdocs_spans(text) if s[2] != "md-link"]  # autorefs: link syntax
    items = [text[a:b] for a, b, _ in _first_of_each(spans)]
    rest = text
    for a, b, _ in sorted(spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    for name, pattern in _MARKS:
        found = pattern.findall(rest)
        items.extend(name for _ in found)
        rest = pattern.sub(" ", rest)
    return items


def _first_of_each(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, earliest then longest first (as mask() picks them)."""
    chosen: list[Span] = []
    pos = 0
    for a, b, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if a >= pos:
            chosen.append((a, b, kind))
            pos = b
    return chosen
