"""What the checks share: the Issue they report, the CheckContext they read, how to name a
form in a message, how to quote a piece of text, and which source texts a form may mirror.

The check modules (check_*, terms) import these from here and `checks` builds the table from
them, so the table imports its rules and no rule imports the table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment

Severity = Literal["error", "warning"]
Forms = tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    check: str
    severity: Severity
    message: str
    """One line, shown to reviewers."""


@dataclass(frozen=True)
class CheckContext:
    source_locale: str
    target_locale: str
    plural: PluralInfo
    terms: tuple[object, ...] = ()
    """Glossary terms matched in the segment (for the term-compliance check)."""
    charset: str = "UTF-8"
    """The target catalogue's charset, as its header names it (for the charset check): a
    new catalogue, or one export converts, is UTF-8."""


def short_repr(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def form_label(segment: Segment, i: int) -> str:
    return f"msgstr[{i}]" if segment.is_plural else "msgstr"


def references(segment: Segment) -> tuple[str, ...]:
    """Source texts a form may mirror: msgid for a singular, msgid_plural (or msgid) otherwise."""
    if not segment.is_plural:
        return (segment.msgid,)
    return (segment.msgid_plural or "", segment.msgid)
