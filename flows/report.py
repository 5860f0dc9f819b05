"""What a run tells people: progress on a terminal, and Prefect table/markdown artifacts (the
markdown summaries are what the CLI prints too). The dicts of `--json` are made in
pipeline/results.py."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from locflow.pipeline.progress import RunProgress
from locflow.pipeline.results import DocsRunResult, RunResult, docs_spend_line
from locflow.pipeline.summary import PARTIAL, LocaleSummary

ProgressHook = Callable[[RunProgress], None]
_progress_hook: ProgressHook | None = None


def set_progress_hook(hook: ProgressHook | None) -> None:
    global _progress_hook
    _progress_hook = hook


def wants_progress() -> bool:
    """Whether anyone listens (the run-so-far numbers cost a query)."""
    return _progress_hook is not None


def progress(step: RunProgress) -> None:
    if _progress_hook is not None:
        _progress_hook(step)


def markdown_summary(result: RunResult) -> str:
    lines = [f"## locflow run {result.run_id}: {result.status}", ""]
    if result.message and result.status != PARTIAL:
        lines += [f"Stopped: {result.message}", ""]
    lines += [
        "| locale | queued | from memory | machine | needs review | requests | paid requests "
        "| tokens in | tokens out |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for locale, x in result.locales.items():
        c = x.counts
        lines.append(
            f"| {locale} | {x.queued} | {c.reused} | {c.machine} | {c.needs_review} "
            f"| {x.requests} | {x.paid_requests} | {x.tokens_in} | {x.tokens_out} |"
        )
    lines += spend_lines(result)
    compliance = {k: x.glossary_compliance for k, x in result.locales.items()}
    if any(c is not None for c in compliance.values()):
        lines += [
            "",
            "Glossary compliance: "
            + ", ".join(f"{k} {c}%" for k, c in compliance.items() if c is not None),
        ]
    issues: dict[str, int] = {}
    for x in result.locales.values():
        for k, n in x.counts.issues.items():
            issues[k] = issues.get(k, 0) + n
    if issues:
        lines += ["", "QA issues: " + ", ".join(f"{k} {n}" for k, n in sorted(issues.items()))]
    changed = result.files_changed
    lines += ["", f"Files changed: {len(changed)}"] + [f"- {p}" for p in changed]
    gaps = result.gaps()
    if gaps:  # why the run is partial
        lines += ["", "Not done:"] + [f"- {g.line()}" for g in gaps]
    return "\n".join(lines)


def spend_lines(result: RunResult) -> list[str]:
    """The run's requests, tokens and cost (from the usage ledger), and what of the cost
    was charged for requests whose outcome is unknown."""
    xs = result.locales.values()
    requests, paid = sum(x.requests for x in xs), sum(x.paid_requests for x in xs)
    tokens = sum(x.tokens_in + x.tokens_out for x in xs)
    cost, unanswered = sum(x.cost for x in xs), sum(x.unanswered_cost for x in xs)
    line = f"Spent: {requests} requests ({paid} paid), {tokens:,} tokens, ${cost:.4f}"
    if unanswered:
        line += f" (of which ${unanswered:.4f} for requests that got no answer)"
    return ["", line]


def locale_rows(x: LocaleSummary) -> list[dict[str, Any]]:
    """One table per locale: what happened to its strings, and what it cost."""
    c = x.counts
    rows: list[dict[str, Any]] = [
        {"metric": "new (queued for the engine)", "value": x.queued},
        {"metric": "reused from memory", "value": c.reused},
        {"metric": "machine (clean)", "value": c.machine},
        {"metric": "needs review", "value": c.needs_review},
    ]
    rows += [{"metric": f"needs review: {k}", "value": n} for k, n in sorted(c.issues.items())]
    rows += [
        {"metric": "deferred (transient errors)", "value": c.deferred},
        {"metric": "left to translators (engine = false)", "value": x.left_to_translators},
        {"metric": "glossary retries", "value": c.retried},
        {"metric": "glossary compliance %", "value": x.glossary_compliance},
        {"metric": "requests", "value": x.requests},
        {"metric": "paid requests", "value": x.paid_requests},
        {"metric": "tokens in", "value": x.tokens_in},
        {"metric": "tokens out", "value": x.tokens_out},
        {"metric": "cost (USD)", "value": round(x.cost, 6)},
        {
            "metric": "of which: requests without an answer (USD)",
            "value": round(x.unanswered_cost, 6),
        },
    ]
    return rows


def publish_artifacts(result: RunResult) -> None:
    """A table artifact per locale and a markdown summary, in Prefect's UI."""
    try:
        for locale, x in result.locales.items():
            key = "locflow-" + "".join(c if c.isalnum() else "-" for c in locale.lower())
            create_table_artifact(locale_rows(x), key=key, description=f"locflow run: {locale}")
        create_markdown_artifact(markdown_summary(result), key="locflow-summary")
    except Exception:  # an artifact is a courtesy; a run never fails for it
        pass


def docs_markdown_summary(result: DocsRunResult) -> str:
    since = f" (changed since {result.changed_since})" if result.changed_since else ""
    lines = [f"## locflow docs run {result.run_id}: {result.status}{since}", ""]
    lines += [
        "| doc | locale | blocks | translated | reused | untranslated | written | problems |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for x in result.docs:
        d = x.doc
        lines.append(
            f"| {d.doc} | {d.locale} | {d.blocks} | {x.translated} | {x.reused} "
            f"| {d.source_text} | {'yes' if d.written else 'no'} "
            f"| {len(d.problems) + len(d.demoted)} |"
        )
    lines += ["", docs_spend_line(result.totals())]
    failed = result.failures()
    if failed:
        lines += ["", "Failures:"] + [f"- {p}" for p in failed]
    return "\n".join(lines)


def publish_docs_summary(result: DocsRunResult) -> None:
    """The docs run's markdown summary, in Prefect's UI."""
    with suppress(Exception):  # an artifact is a courtesy; a run never fails for it
        create_markdown_artifact(docs_markdown_summary(result), key="locflow-docs-summary")
