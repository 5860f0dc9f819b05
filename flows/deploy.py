"""Deployments with cron schedules from `[[schedules]]` in locflow.toml (`locflow serve`).

```toml
[[schedules]]
name = "nightly"            # deployment name (default: the flow's name)
flow = "localise"           # localise | publish | translate_docs
cron = "0 2 * * *"
timezone = "Europe/Berlin"  # optional, default UTC
parameters = { locales = ["fr", "de"] }
```
`locflow.settings` checks the tables when the config is loaded (`Config.schedules`). The config
file's absolute path is added to every deployment's parameters, so the served process and
any worker find the project.

The CLI imports this module at start-up (`NoPrefectServer`), so Prefect and the flows are
imported inside the functions that need them: `locflow sync` and the other commands that run
no flow never load Prefect (tests/test_cli.py checks).
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from typing import Any

from locflow.settings import Config, ConfigError


class NoPrefectServer(RuntimeError):
    """Scheduling needs a real Prefect server; the temporary one schedules nothing."""


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


def require_prefect_server() -> str:
    from prefect.settings import PREFECT_API_URL  # off the CLI's start-up

    url = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if not url:
        raise NoPrefectServer(
            "locflow serve needs a Prefect server: start one (`prefect server start`) and set "
            "PREFECT_API_URL; Prefect's temporary local API schedules nothing"
        )
    return str(url)


class PrefectUnreachable(NoPrefectServer):
    """PREFECT_API_URL names a server that does not answer."""


def require_reachable_api(timeout: float = 10.0) -> None:
    """A quick health GET before a flow starts, so an unreachable Prefect API is one line
    rather than Prefect's tracebacks. Without PREFECT_API_URL, Prefect starts a temporary
    local API itself: nothing to check."""
    from prefect.settings import PREFECT_API_URL  # off the CLI's start-up

    url = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if not url:
        return
    try:
        with urllib.request.urlopen(f"{str(url).rstrip('/')}/health", timeout=timeout) as r:
            if r.status == 200:
                return
            reason = f"HTTP {r.status}"
    except (OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", None) or exc)
    raise PrefectUnreachable(f"Prefect API at {url} is not reachable ({reason})")


def build_deployments(config: Config) -> list[Any]:
    """One Prefect deployment (RunnerDeployment) per schedule."""
    from prefect.schedules import Cron  # off the CLI's start-up

    known = flows_by_name()
    deployments = []
    for spec in config.schedules:
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
