"""What a finished run left undone, one reason a line, with counts: the gaps that make its
status `partial` and `locflow` exit 5 (`--allow-partial` accepts them).

A gap is work that was asked for and not done: strings deferred after transient errors,
strings the engine refused or returned nothing for, documents not written because they
failed their structure check (or could not be read), entries export could not write as
they are. A locale left to translators (`[locales.X] engine = false`) is no gap. The typed
results (pipeline/results.py) list their gaps with these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.export import FileResult
from locflow.pipeline.translate import StoreCounts

DEFERRED, TRANSIENT, REFUSED, UNTRANSLATED = "deferred", "transient", "refused", "untranslated"
STRUCTURE, UNREADABLE, DEMOTED = "structure", "unreadable", "demoted"


@dataclass(frozen=True)
class Gap:
    """One reason a run is partial: its kind, how many, where (a locale, a document, a
    catalogue, "engine") and the one line that says it."""

    kind: str
    count: int
    where: str
    text: str

    def line(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "where": self.where, "text": self.text}


def _n(count: int, what: str) -> str:
    return f"{count} {what}" + ("" if count == 1 else "s")


class Asked(Protocol):
    """What a locale's summary (results.LocaleSummary) says the engine was asked and did."""

    locale: str
    queued: int
    counts: StoreCounts
    error: str


def locale_gaps(summary: Asked, what: str = "string") -> list[Gap]:
    """A locale's strings (or doc blocks) the engine was asked for and did not deliver."""
    locale, queued, counts = summary.locale, summary.queued, summary.counts
    out = []
    if counts.deferred:
        text = (
            f"{locale}: {_n(counts.deferred, what)} deferred after transient engine errors "
            "(the next run tries again)"
        )
        out.append(Gap(DEFERRED, counts.deferred, locale, text))
    refused = counts.issues.get("engine", 0)
    if refused:
        text = f"{locale}: the engine refused {_n(refused, what)} (in needs review, with why)"
        out.append(Gap(REFUSED, refused, locale, text))
    accounted = counts.machine + counts.needs_review + counts.deferred + counts.superseded
    if queued > accounted:
        missing = queued - accounted
        why = summary.error or "the engine returned no result"
        text = f"{locale}: {_n(missing, what)} not translated ({why})"
        out.append(Gap(UNTRANSLATED, missing, locale, text))
    return out


def transient_gap(engine: Mapping[str, Any] | None, deferred: int) -> list[Gap]:
    """The engine's failed attempts, when some strings stayed deferred because of them."""
    if not deferred or not engine:
        return []
    failed = int(engine.get("transient", 0) or 0)
    throttled = int(engine.get("rate_limited", 0) or 0)
    if not failed and not throttled:
        return []
    text = (
        f"engine: {_n(failed, 'request')} failed with transient errors (unreachable, "
        f"timeouts, 5xx) and {throttled} were throttled"
    )
    return [Gap(TRANSIENT, failed + throttled, "engine", text)]


def demoted_gaps(files: Iterable[FileResult]) -> list[Gap]:
    """Entries export could not write as they are (each kept its previous text or was
    left out, with its reason)."""
    return [Gap(DEMOTED, 1, f.path, f"{f.path}: {line}") for f in files for line in f.demoted]


def document_gaps(docs: Sequence[DocResult], unreadable: Sequence[str]) -> list[Gap]:
    """Documents that could not be read, those not written because they failed their
    structure check (one gap per problem), and blocks left in the source language because
    their translation broke it (pipeline.docs_fit)."""
    out = [Gap(UNREADABLE, 1, "docs", f"{p}: not read") for p in unreadable]
    for d in docs:
        text = "{} [{}]: document not written"
        out += [Gap(STRUCTURE, 1, d.doc, text.format(p, d.locale)) for p in d.problems]
        out += [Gap(DEMOTED, 1, d.doc, f"{line} [{d.locale}]") for line in d.demoted]
    return out


def gaps_message(gaps: Sequence[Gap], most: int = 5) -> str:
    """The reasons in one line, for the `runs` row's message."""
    more = len(gaps) - most
    return "; ".join(g.line() for g in gaps[:most]) + (f"; and {more} more" if more > 0 else "")
