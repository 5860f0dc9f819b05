"""The `[[schedules]]` tables of locflow.toml: which flow each Prefect deployment runs, and
when (settings.py calls this and passes its ConfigError in, as for settings_review). Stdlib
only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from locflow.settings_types import ScheduleSpec

SCHEDULE_FLOWS = ("localise", "publish", "translate_docs")
"""`[[schedules]] flow` values: the flows flows/deploy.py serves (a test keeps them equal)."""


def parse_schedules(
    tables: Iterator[tuple[str, Mapping[str, Any]]], bad: type[Exception]
) -> tuple[ScheduleSpec, ...]:
    """The `[[schedules]]` tables; `bad` is the ConfigError to raise (see settings_review)."""
    out: list[ScheduleSpec] = []
    for where, table in tables:
        spec = _schedule(where, table, bad)
        if any(s.name == spec.name for s in out):
            raise bad(f"{where}: duplicate schedule name {spec.name!r}")
        out.append(spec)
    return tuple(out)


def _schedule(where: str, table: Mapping[str, Any], bad: type[Exception]) -> ScheduleSpec:
    flow = table.get("flow", "localise")
    if flow not in SCHEDULE_FLOWS:
        raise bad(f"{where}: unknown flow {flow!r}; use one of {sorted(SCHEDULE_FLOWS)}")
    cron = table.get("cron")
    if not isinstance(cron, str) or len(cron.split()) not in (5, 6):
        raise bad(f"{where}: cron must be a 5-field cron expression, got {cron!r}")
    parameters = table.get("parameters", {})
    if not isinstance(parameters, dict):
        raise bad(f"{where}: parameters must be a table")
    return ScheduleSpec(
        name=str(table.get("name") or flow),
        flow=str(flow),
        cron=cron,
        timezone=str(table.get("timezone", "UTC")),
        parameters=parameters,
        description=str(table.get("description", "")),
    )
