"""Deployments with cron schedules from `[[schedules]]` in locflow.toml (`locflow serve`).

```toml
[[schedules]]
name = "nightly"            # deployment name (default: the flow's name)
flow = "localise"           # localise | publish | translate_docs
cron = "0 2 * * *"
timezone = "Europe/Berlin"  # optional, default UTC
parameters = { locales = ["fr", "de"] }
```
The config file's absolute path is added to every deployment's parameters, so the served
process and any worker find the project.

The CLI imports this module at start-up (`NoPrefectServer`, `schedule_specs`), so Prefect and
the flows are imported inside the functions that need them: `locflow sync` and the other
commands that run no flow never load Prefect (tests/test_cli.py checks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from locflow.settings import Config, ConfigError

SCHEDULE_KEYS = {"name", "flow", "cron", "timezone", "parameters", "description"}


class NoPrefectServer(RuntimeError):
    """Scheduling needs a real Prefect server; the temporary one schedules nothing."""


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    flow: str
    cron: str
    timezone: str = "UTC"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


def flows_by_name() -> dict[str, Callable[..., Any]]:
    from locflow.flows.localise import localise, publish  # Prefect: off the CLI's start-up

    found: dict[str, Callable[..., Any]] = {"localise": localise, "publish": publish}
    try:
        from locflow.flows.docs import translate_docs
    except ImportError:  # the docs flow arrives with the docs pipeline
        pass
    else:
        found["translate_docs"] = translate_docs
    return found


def schedule_specs(config: Config) -> list[ScheduleSpec]:
    known = flows_by_name()
    out, names = [], set()
    for i, raw in enumerate(config.schedules, start=1):
        where = f"{config.file_label}: [[schedules]] #{i}"
        unknown = set(raw) - SCHEDULE_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        flow_name = raw.get("flow", "localise")
        if flow_name not in known:
            raise ConfigError(f"{where}: unknown flow {flow_name!r}; use one of {sorted(known)}")
        cron = raw.get("cron")
        if not isinstance(cron, str) or len(cron.split()) not in (5, 6):
            raise ConfigError(f"{where}: cron must be a 5-field cron expression, got {cron!r}")
        params = raw.get("parameters", {})
        if not isinstance(params, dict):
            raise ConfigError(f"{where}: parameters must be a table")
        name = str(raw.get("name") or flow_name)
        if name in names:
            raise ConfigError(f"{where}: duplicate schedule name {name!r}")
        names.add(name)
        out.append(
            ScheduleSpec(
                name,
                flow_name,
                cron,
                str(raw.get("timezone", "UTC")),
                params,
                str(raw.get("description", "")),
            )
        )
    return out


def require_prefect_server() -> str:
    from prefect.settings import PREFECT_API_URL  # off the CLI's start-up

    url = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if not url:
        raise NoPrefectServer(
            "locflow serve needs a Prefect server: start one (`prefect server start`) and set "
            "PREFECT_API_URL; Prefect's temporary local API schedules nothing"
        )
    return str(url)


def build_deployments(config: Config) -> list[Any]:
    """One Prefect deployment (RunnerDeployment) per schedule."""
    from prefect.schedules import Cron  # off the CLI's start-up

    known = flows_by_name()
    deployments = []
    for spec in schedule_specs(config):
        params = {"config_path": str(config.file), **spec.parameters}
        deployments.append(
            known[spec.flow].to_deployment(
                name=spec.name,
                schedule=Cron(spec.cron, timezone=spec.timezone),
                parameters=params,
                description=spec.description or f"locflow {spec.flow} ({spec.cron})",
                tags=["locflow", config.project],
            )
        )
    return deployments


def serve(config: Config) -> None:
    """Register the deployments and run their flow runs in this process until stopped."""
    from prefect import serve as prefect_serve  # off the CLI's start-up

    require_prefect_server()
    deployments = build_deployments(config)
    if not deployments:
        raise ConfigError(f"{config.file_label}: no [[schedules]] to serve")
    prefect_serve(*deployments, print_starting_message=True)
