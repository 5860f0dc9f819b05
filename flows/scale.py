"""Scale-out: `localise` fanned out over a Prefect work pool, under the account's rate limits.

Fan-out. `localise(fan_out=True)` syncs once in its own process, then starts one deployment
run of the same `localise` deployment per locale (translate only: no sync, no export) with
`run_deployment(..., timeout=0)`, so the runs spread over the pool's workers; it polls their
states until all are final, reads what each did from its `runs` row in the database, and
exports once. A child that fails, crashes or is cancelled makes the parent's run fail with
its locale named (after the export of everything that was stored).

The parent trusts no worker's environment. Each child gets the parent's run (`runs.id` and
flow run id) as parameters, checks that its own database holds that run before doing
anything (else it fails: it would write where the parent cannot see), and records its own
row with `parent_id` set. The parent then reads, in its database, the row of each child by
flow run id and parent: a child without one fails the parent with its locale named, even if
Prefect says it completed, and its locale is not exported. A cost cap is split
evenly over the children. Each worker takes at most `--limit` runs at once: give every
worker a limit (`prefect worker start --pool P --limit 3`), or the first worker to poll may
take every child.

Shared rate limits. Each process paces its own calls (`connectors/engines/pacing.Pacer`);
the provider's RPM/TPM hold for the whole account, though. With shared limits on, the engine
is built with a SharedLimiter: every call also takes slots from two Prefect global
concurrency limits with slot decay, which the Prefect server keeps for all workers:
`locflow:<engine>:<model>:rpm` (1 slot per request, limit 1, decaying at RPM/60 per second:
evenly spaced, no bursts) and `...:tpm` (1 slot per estimated input token, limit one
second's worth, decaying at TPM/60 per second). A request estimated above one second's
tokens takes them in half-second chunks before it is sent. The limits are created or
updated on first use. Shared limits are on when `[engine] shared_limits = true`, off when
it is false, and otherwise on in the runs a fan-out starts.

`locflow deploy --pool NAME` creates the `localise` and `publish` deployments on a process
work pool (no image, nothing pushed), creating the pool if it is missing. Their entrypoints
are module paths (`locflow.flows.localise.localise`): a worker runs the `locflow` installed
in its own environment, from a wheel or a checkout, in the project's directory. Their job
variables set LOCFLOW_DATABASE_URL for the run's process (over the worker's own), without
its password: a worker supplies that from its environment (LOCFLOW_DATABASE_PASSWORD), so
no secret is stored in Prefect.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import re
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, rate_limit
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import deployment, flow_run
from prefect.states import Cancelling
from prefect.workers.process import ProcessWorker

from locflow.connectors.engines.base import Engine, Limits, Transient
from locflow.connectors.engines.registry import create_engine
from locflow.database_url import redacted, without_password
from locflow.pipeline.fan_in import NO_RECORD_HINT, ChildRun, FanOutResult, fan_in
from locflow.pipeline.units import has_run, recorded_runs
from locflow.settings import Config, ConfigError, EngineSettings

FAN_OUT_TAG = "locflow:fan-out"
"""Tag of the runs a fan-out starts (they share the account's rate limits)."""
POLL_SECONDS = 1.0
FLOWS = {"localise": "locflow.flows.localise.localise", "publish": "locflow.flows.localise.publish"}
"""Module-path entrypoints: a worker imports them from the installed `locflow` package."""
_BANNED = re.compile(r"[/%&<>]")


class FanOutFailed(RuntimeError):
    """One or more of a fan-out's runs did not complete."""


class NotTheParentsDatabase(RuntimeError):
    """A fan-out child's database is not its parent's: what it stored would be lost."""


# --- shared rate limits --------------------------------------------------------------------


@dataclass(frozen=True)
class LimitSpec:
    name: str
    limit: int
    """Slots at most (the burst)."""
    decay: float
    """Slots freed per second."""


def limit_specs(engine: str, model: str, limits: Limits) -> list[LimitSpec]:
    """The global concurrency limits that stand for the account's RPM and TPM."""
    base = _BANNED.sub("-", f"locflow:{engine}:{model or 'default'}")
    specs = []
    if limits.rpm:
        specs.append(LimitSpec(f"{base}:rpm", 1, limits.rpm / 60))
    if limits.tpm:
        specs.append(LimitSpec(f"{base}:tpm", max(1, math.ceil(limits.tpm / 60)), limits.tpm / 60))
    return specs


def token_chunks(tokens: int, limit: int) -> list[int]:
    """Slots to take for `tokens`: all at once when they fit the limit, otherwise in chunks
    of half of it (a chunk of the whole limit would wait for an idle account)."""
    if tokens <= 0:
        return []
    if tokens <= limit:
        return [tokens]
    size = max(1, math.ceil(limit / 2))
    return [size] * (tokens // size) + ([tokens % size] if tokens % size else [])


class SharedLimiter:
    """A SharedRateLimit (connectors/engines/pacing) on Prefect global concurrency limits:
    `await limiter(tokens)` returns once the shared limits admit one request of `tokens`.

    The calls of one process take their slots one after the other: on a Prefect server
    backed by SQLite, two slot requests at once from the same process often collide in the
    database and one of them comes back after the client's 2-second retry."""

    def __init__(self, specs: Iterable[LimitSpec]) -> None:
        by_kind = {spec.name.rsplit(":", 1)[1]: spec for spec in specs}
        self.requests, self.tokens = by_kind.get("rpm"), by_kind.get("tpm")
        self.acquired = 0
        self.waited = 0.0
        """Seconds spent waiting for shared slots, all calls together."""
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._locks = weakref.WeakKeyDictionary()

    async def __call__(self, tokens: int) -> None:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        async with lock:
            await self._acquire(tokens)

    async def _acquire(self, tokens: int) -> None:
        started = time.monotonic()
        try:
            if self.tokens is not None:
                for chunk in token_chunks(tokens, self.tokens.limit):
                    await rate_limit(self.tokens.name, occupy=chunk, strict=True)
            if self.requests is not None:  # last: the request leaves right after its slot
                await rate_limit(self.requests.name, occupy=1, strict=True)
        except ConcurrencySlotAcquisitionError as exc:
            raise Transient(f"shared rate limit: {exc}") from None
        self.acquired += 1
        self.waited += time.monotonic() - started


def ensure_limits(specs: Iterable[LimitSpec]) -> None:
    """Create the limits, or update them when the configured rates changed."""
    with get_client(sync_client=True) as client:
        for spec in specs:
            try:
                client.upsert_global_concurrency_limit_by_name(spec.name, spec.limit, spec.decay)
            except ObjectAlreadyExists:  # another run created it in between: update it
                client.upsert_global_concurrency_limit_by_name(spec.name, spec.limit, spec.decay)


def is_fan_out_child() -> bool:
    try:
        return FAN_OUT_TAG in (flow_run.tags or [])
    except Exception:  # no run context and no API to ask
        return False


def engine_limit_specs(engine: Engine) -> list[LimitSpec]:
    """The shared limits of an engine's RPM/TPM; [] for one without any (offline ones)."""
    return limit_specs(engine.name, engine.model, engine.limits())


def shared_limiter(engine: Engine, settings: EngineSettings) -> SharedLimiter | None:
    """The account's shared limits for engines like `engine`, when they are wanted and it
    has any (None: pacing stays per process)."""
    wanted = settings.shared_limits
    if not (is_fan_out_child() if wanted is None else wanted):
        return None
    specs = engine_limit_specs(engine)
    if not specs:
        return None
    ensure_limits(specs)
    return SharedLimiter(specs)


def run_engine(settings: EngineSettings) -> Engine:
    """The engine of a run, with the shared limits when wanted. They depend on the engine's
    defaults (model, TPM), read from a first plain build (building sends nothing)."""
    engine = create_engine(settings)
    limiter = shared_limiter(engine, settings)
    return engine if limiter is None else create_engine(settings, shared=limiter)


# --- fan-out -------------------------------------------------------------------------------


def child_deployment(config: Config) -> str | UUID:
    """The deployment the children run: this run's own, else `localise/<project>`."""
    own = deployment.id
    if own:
        return UUID(str(own))
    name = f"localise/{config.project}"
    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(name)
    except ObjectNotFound:
        raise ConfigError(
            f"fan_out needs a deployment to run the locales on: this run has none and there is "
            f"no {name!r}; create it with `locflow deploy --pool NAME`"
        ) from None
    return name


def check_parent(config: Config, parent_run_id: int, parent_flow_run_id: str) -> None:
    """A child's proof, before it does anything, that it writes where its parent reads."""
    if not has_run(config, parent_run_id, parent_flow_run_id):
        raise NotTheParentsDatabase(
            f"fan-out: the parent run is not in this database, "
            f"{redacted(config.database_url)} ({NO_RECORD_HINT})"
        )


def fan_out(
    config: Config,
    locales: list[str],
    max_cost: float | None,
    parent_run_id: int,
    parent_flow_run_id: str,
) -> FanOutResult:
    """One child run per locale, spread over the work pool; returns the parent's summary of
    what they did, as their rows in the parent's database show it."""
    engine = create_engine(config.engine)  # a misconfigured engine stops here, before any run
    if config.engine.shared_limits is not False:  # the children will share these
        ensure_limits(engine_limit_specs(engine))
    target = child_deployment(config)
    share = None if max_cost is None else max_cost / max(1, len(locales))
    logger = get_run_logger()
    children: dict[UUID, str] = {}
    try:
        for locale in locales:
            run = run_deployment(
                target,
                parameters={
                    "config_path": str(config.file),
                    "locales": [locale],
                    "sync": False,
                    "export": False,
                    "max_cost": share,
                    "fan_out": False,
                    "parent_run_id": parent_run_id,
                    "parent_flow_run_id": parent_flow_run_id,
                },
                timeout=0,
                tags=[FAN_OUT_TAG, f"locale:{locale}"],
                flow_run_name=f"localise-{locale}",
            )
            children[run.id] = locale
            logger.info("locale %s: flow run %s", locale, run.id)
        finals = wait_for_runs(children, logger)
    except BaseException:
        cancel_runs(children)
        raise
    return summarise(config, children, finals, parent_run_id)


def wait_for_runs(children: Mapping[UUID, str], logger: Any) -> dict[UUID, Any]:
    """Poll until every run is in a final state; returns the runs as last read."""
    done: dict[UUID, Any] = {}
    with get_client(sync_client=True) as client:
        while len(done) < len(children):
            time.sleep(POLL_SECONDS)
            pending = [i for i in children if i not in done]
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=pending)),
                limit=len(pending),
            )
            for run in runs:
                if run.state is not None and run.state.is_final():
                    done[run.id] = run
                    logger.info("locale %s: %s", children[run.id], run.state.name)
    return done


def cancel_runs(children: Iterable[UUID]) -> None:
    """Best effort: the parent stopped, so its children should stop too."""
    try:
        with get_client(sync_client=True) as client:
            for run_id in children:
                run = client.read_flow_run(run_id)
                if run.state is None or not run.state.is_final():
                    client.set_flow_run_state(run_id, Cancelling(), force=True)
    except Exception:
        pass


def summarise(
    config: Config, children: Mapping[UUID, str], finals: Mapping[UUID, Any], parent_run_id: int
) -> FanOutResult:
    """The parent's view of its children: their `runs` rows in its database (those that name
    it as their parent), and which ones failed or left none."""
    ends = []
    for run_id, locale in children.items():
        state = finals[run_id].state
        ends.append(
            ChildRun(
                locale,
                str(run_id),
                state.name if state else "",
                completed=state is not None and state.is_completed(),
                state_message=(state.message or "").strip() if state else "",
            )
        )
    return fan_in(ends, recorded_runs(config, [str(i) for i in children], parent_run_id))


# --- deployments on a work pool ------------------------------------------------------------


def run_directory(config: Config) -> Path:
    """Where workers run the deployments: the project's directory, which holds the
    configuration every run reads. Not the deploying process's site-packages or checkout:
    the code comes from the worker's own installed `locflow`, wherever that lives."""
    if config.file is None:
        raise ConfigError("locflow deploy needs a configuration file")
    return config.file.parent


def ensure_process_pool(pool: str) -> bool:
    """Create a process work pool named `pool` if there is none; True when created."""
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(
                WorkPoolCreate(name=pool, type="process", base_job_template=template)
            )
            return True
    if existing.type != "process":
        raise ConfigError(
            f"work pool {pool!r} is of type {existing.type!r}; locflow deploys to process pools"
        )
    return False


def job_variables(config: Config) -> dict[str, Any]:
    """What a worker's run needs besides the code: the database, without its password."""
    return {"env": {"LOCFLOW_DATABASE_URL": without_password(config.database_url)}}


def deploy_to_pool(config: Config, pool: str, name: str | None = None) -> dict[str, str]:
    """The `localise` and `publish` deployments on `pool`, run in the project's directory;
    returns {"localise/NAME": deployment id, ...}."""
    root = run_directory(config)
    ensure_process_pool(pool)
    name = name or config.project
    out = {}
    for flow_name, entrypoint in FLOWS.items():
        flow = Flow.from_source(source=str(root), entrypoint=entrypoint)
        with contextlib.redirect_stdout(io.StringIO()):  # Prefect's own table: we say it
            deployment_id = flow.deploy(
                name=name,
                work_pool_name=pool,
                parameters={"config_path": str(config.file)},
                job_variables=job_variables(config),
                build=False,
                push=False,
                tags=["locflow", config.project],
                description=f"locflow {flow_name} for {config.project} on work pool {pool}",
                print_next_steps=False,
            )
        out[f"{flow_name}/{name}"] = str(deployment_id)
    return out
