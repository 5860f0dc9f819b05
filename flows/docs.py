"""The `translate_docs` Prefect flow: sync the `[[docs]]`, translate what changed, write the
translated documents. Tasks are thin wrappers over flows/steps/docs*.py.

With `changed_since` (a git ref) only the blocks of documents changed since that ref reach
the engine; every document is still synced (cheap) and exported, so the outputs stay
complete. Unchanged paragraphs keep their versions: only new or changed blocks are sent.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

from locflow.connectors.engines.base import Engine, Fatal
from locflow.connectors.engines.registry import create_engine
from locflow.db import repo, run_repo
from locflow.flows.localise import (
    Budget,
    LocaleSummary,
    send_batches,
    store_reused_task,
)
from locflow.pipeline.docs import (
    DocsSyncReport,
    changed_since,
    discover_docs,
    plan_docs,
    sync_docs,
)
from locflow.pipeline.docs_export import DocResult, export_docs, run_counts
from locflow.pipeline.plan import LocalePlan, apply_glossary_changes
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.translate import (
    jobs_of,
)
from locflow.pipeline.units import sessions, translate_scope, work_lock
from locflow.settings import Config, load_config


@task(name="discover-docs", cache_policy=NO_CACHE)
def discover_task(config: Config, changed: str | None) -> tuple[list[str], list[str] | None]:
    """All doc names, and those changed since the ref (None: no ref given)."""
    docs = discover_docs(config)
    names = [d.name for d in docs]
    return names, (sorted(changed_since(config, changed, docs)) if changed else None)


@task(name="sync-docs", cache_policy=NO_CACHE)
def sync_docs_task(config: Config) -> DocsSyncReport:
    lock = work_lock(config, "catalogues", _log_wait)
    with lock, sessions(config.database_url)() as s, s.begin():
        return sync_docs(s, config)


@task(name="plan-docs", cache_policy=NO_CACHE)
def plan_docs_task(config: Config, locale: str, names: list[str] | None) -> LocalePlan:
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        plan = plan_docs(s, project, locale, names)
        if plan.stale_by_glossary or plan.flagged_by_glossary:
            apply_glossary_changes(s, plan)
        return plan


@task(name="export-docs", cache_policy=NO_CACHE)
def export_docs_task(config: Config, locales: list[str]) -> list[DocResult]:
    lock = work_lock(config, "catalogues", _log_wait)
    with lock, sessions(config.database_url)() as s, s.begin():
        return export_docs(s, config, locales=locales)


def _translate_locale(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summary: LocaleSummary,
    names: list[str] | None,
    run_id: int,
) -> None:
    with work_lock(config, translate_scope(summary.locale), _log_wait):
        plan = plan_docs_task(config, summary.locale, names)
        summary.queued, summary.up_to_date = plan.queued_items, plan.up_to_date
        if plan.reused:
            summary.counts.add(store_reused_task(config, plan, run_id))
        label = f"docs {summary.locale}"
        send_batches(config, engine, runner, summary, jobs_of(plan), run_id, Budget(None), label)


def _log_wait(message: str) -> None:
    get_run_logger().warning("another run holds %s", message)


def _flow_run_id() -> str:
    try:
        ctx = get_run_context()
    except Exception:  # outside a flow run
        return ""
    run = getattr(ctx, "flow_run", None)
    return str(run.id) if run is not None else ""


@flow(name="translate_docs", log_prints=True)
def translate_docs(
    config_path: str | None = None,
    locales: list[str] | None = None,
    changed_since: str | None = None,
) -> dict[str, Any]:
    """Sync the docs, translate the blocks of the docs changed since `changed_since` (all
    docs when None), and write every translated document that passes its structure check."""
    config = load_config(config_path)
    chosen = list(locales or config.locales)
    names, selected = discover_task(config, changed_since)
    Session = sessions(config.database_url)
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        run_id = run_repo.start_run(s, project, "translate_docs", _flow_run_id()).id
    result: dict[str, Any] = {
        "run_id": run_id,
        "flow_run_id": _flow_run_id(),
        "status": "completed",
        "changed_since": changed_since,
        "selected": selected if selected is not None else names,
        "locales": {},
        "docs": [],
    }
    summaries: list[LocaleSummary] = []
    docs: list[DocResult] = []
    try:
        try:
            result["sync"] = sync_docs_task(config).as_dict()
            if selected is None or selected:
                engine = create_engine(config.engine)
                with LoopRunner() as runner:
                    for locale in chosen:
                        summaries.append(LocaleSummary(locale))
                        _translate_locale(config, engine, runner, summaries[-1], selected, run_id)
        except Fatal as exc:  # stop cleanly: what is stored is written below
            result["status"], result["message"] = "stopped", str(exc)
            get_run_logger().error("run stopped: %s", exc)
        finally:
            result["locales"] = {x.locale: _locale_dict(x) for x in summaries}
        docs = export_docs_task(config, chosen)
    except BaseException as exc:
        result["status"], result["message"] = "failed", str(exc).split("\n")[0]
        raise
    finally:
        with Session() as s, s.begin():
            per_doc = run_counts(s, run_id)
            result["docs"] = [_doc_dict(d, per_doc.get((d.doc, d.locale), {})) for d in docs]
            result["failed"] = failures(result)
            counts = {
                "requests": sum(v["requests"] for v in result["locales"].values()),
                "locales": result["locales"],
                "docs_written": sum(1 for d in result["docs"] if d["written"]),
                "docs_failed": sum(1 for d in result["docs"] if d["failed"]),
            }
            run_repo.finish_run(s, run_id, result["status"], counts, result.get("message", ""))
    _publish(result)
    return result


def _locale_dict(x: LocaleSummary) -> dict[str, Any]:
    c = x.counts
    return {
        "queued": x.queued,
        "up_to_date": x.up_to_date,
        "reused": c.reused,
        "machine": c.machine,
        "needs_review": c.needs_review,
        "deferred": c.deferred,
        "engine_errors": c.issues.get("engine", 0),
        "issues": dict(c.issues),
        "requests": x.requests,
        "tokens_in": x.tokens_in,
        "tokens_out": x.tokens_out,
        "cost": round(x.cost, 6),
    }


def _doc_dict(d: DocResult, ran: dict[str, int]) -> dict[str, Any]:
    translated = ran.get("translated", 0)
    return {
        **d.as_dict(),
        "translated": translated,
        "reused": max(0, d.localised - translated),
        "engine_errors": ran.get("errors", 0),
    }


def failures(result: dict[str, Any]) -> list[str]:
    """One line per reason the run should fail CI: structure problems, engine errors."""
    out = list(result.get("sync", {}).get("problems", []))  # a doc that cannot be read
    out += [f"{p} [{d['locale']}]" for d in result.get("docs", []) for p in d["problems"]]
    for locale, v in result.get("locales", {}).items():
        if v["engine_errors"]:
            out.append(f"{locale}: the engine refused {v['engine_errors']} block(s)")
    if result.get("status") == "stopped":
        out.append(f"stopped: {result.get('message', '')}")
    return out


def markdown_summary(result: dict[str, Any]) -> str:
    since = f" (changed since {result['changed_since']})" if result.get("changed_since") else ""
    lines = [f"## locflow docs run {result.get('run_id', '')}: {result['status']}{since}", ""]
    lines += [
        "| doc | locale | blocks | translated | reused | untranslated | written | problems |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in result.get("docs", []):
        lines.append(
            f"| {d['doc']} | {d['locale']} | {d['blocks']} | {d['translated']} | {d['reused']} "
            f"| {d['source_text']} | {'yes' if d['written'] else 'no'} | {len(d['problems'])} |"
        )
    if result.get("failed"):
        lines += ["", "Failures:"] + [f"- {p}" for p in result["failed"]]
    return "\n".join(lines)


def _publish(result: dict[str, Any]) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(markdown_summary(result), key="locflow-docs-summary")
    except Exception:  # an artifact is a courtesy; a run never fails for it
        pass
