"""What a run tells people: progress on a terminal, a Prefect table/markdown artifact, and
the dicts the CLI prints (`--json`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_progress_hook: Callable[[str, int, int], None] | None = None


def set_progress_hook(hook: Callable[[str, int, int], None] | None) -> None:
    global _progress_hook
    _progress_hook = hook


def progress(label: str, done: int, total: int) -> None:
    if _progress_hook is not None:
        _progress_hook(label, done, total)


def locale_dict(summary: Any) -> dict[str, Any]:
    c = summary.counts
    return {
        "queued": summary.queued,
        "up_to_date": summary.up_to_date,
        "reused": c.reused,
        "machine": c.machine,
        "needs_review": c.needs_review,
        "issues": dict(c.issues),
        "deferred": c.deferred,
        "superseded": c.superseded,
        "glossary_retried": c.retried,
        "glossary_stale": summary.glossary_stale,
        "glossary_flagged": summary.glossary_flagged,
        "glossary_compliance": summary.glossary_compliance,
        "requests": summary.requests,
        "tokens_in": summary.tokens_in,
        "tokens_out": summary.tokens_out,
        "cost": round(summary.cost, 6),
    }


def run_counts(result: dict[str, Any]) -> dict[str, Any]:
    locales = result.get("locales", {})
    return {
        "requests": sum(v["requests"] for v in locales.values()),
        "locales": locales,
        "engine": result.get("engine", {}),
        "files_changed": sum(1 for f in result.get("files", []) if f["changed"]),
    }


def markdown_summary(result: dict[str, Any]) -> str:
    lines = [f"## locflow run {result.get('run_id', '')}: {result.get('status', '')}", ""]
    if result.get("message"):
        lines += [f"Stopped: {result['message']}", ""]
    lines += [
        "| locale | queued | from memory | machine | needs review | requests | tokens in "
        "| tokens out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for locale, v in result.get("locales", {}).items():
        lines.append(
            f"| {locale} | {v['queued']} | {v['reused']} | {v['machine']} | {v['needs_review']} "
            f"| {v['requests']} | {v['tokens_in']} | {v['tokens_out']} |"
        )
    compliance = {k: v.get("glossary_compliance") for k, v in result.get("locales", {}).items()}
    if any(c is not None for c in compliance.values()):
        lines += [
            "",
            "Glossary compliance: "
            + ", ".join(f"{k} {c}%" for k, c in compliance.items() if c is not None),
        ]
    issues: dict[str, int] = {}
    for v in result.get("locales", {}).values():
        for k, n in v["issues"].items():
            issues[k] = issues.get(k, 0) + n
    if issues:
        lines += ["", "QA issues: " + ", ".join(f"{k} {n}" for k, n in sorted(issues.items()))]
    changed = [f["path"] for f in result.get("files", []) if f["changed"]]
    lines += ["", f"Files changed: {len(changed)}"] + [f"- {p}" for p in changed]
    return "\n".join(lines)


def locale_rows(locale: str, d: dict[str, Any]) -> list[dict[str, Any]]:
    """One table per locale: what happened to its strings, and what it cost."""
    rows = [
        {"metric": "new (queued for the engine)", "value": d["queued"]},
        {"metric": "reused from memory", "value": d["reused"]},
        {"metric": "machine (clean)", "value": d["machine"]},
        {"metric": "needs review", "value": d["needs_review"]},
    ]
    rows += [{"metric": f"needs review: {k}", "value": n} for k, n in sorted(d["issues"].items())]
    rows += [
        {"metric": "deferred (transient errors)", "value": d.get("deferred", 0)},
        {"metric": "glossary retries", "value": d.get("glossary_retried", 0)},
        {"metric": "glossary compliance %", "value": d.get("glossary_compliance")},
        {"metric": "requests", "value": d["requests"]},
        {"metric": "tokens in", "value": d["tokens_in"]},
        {"metric": "tokens out", "value": d["tokens_out"]},
        {"metric": "cost (USD)", "value": d.get("cost", 0.0)},
    ]
    return rows


def publish_artifacts(result: dict[str, Any]) -> None:
    """A table artifact per locale and a markdown summary, in Prefect's UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    try:
        for locale, d in result.get("locales", {}).items():
            key = "locflow-" + "".join(c if c.isalnum() else "-" for c in locale.lower())
            create_table_artifact(
                locale_rows(locale, d), key=key, description=f"locflow run: {locale}"
            )
        create_markdown_artifact(markdown_summary(result), key="locflow-summary")
    except Exception:
        pass
