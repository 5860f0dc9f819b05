"""`locflow deploy --pool NAME [--name N]` (registered by flows/cli.py): the `localise` and
`publish` deployments on a process work pool, for workers to run (see flows/scale.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0


def add_deploy_parser(
    sub: argparse._SubParsersAction, parents: Sequence[argparse.ArgumentParser]
) -> None:
    d = sub.add_parser(
        "deploy",
        parents=list(parents),
        help="create the localise and publish deployments on a process work pool",
    )
    d.add_argument("--pool", required=True, help="work pool name (created if missing)")
    d.add_argument("--name", help="deployment name (default: the project's name)")
    d.set_defaults(handler=cmd_deploy)


def cmd_deploy(args: argparse.Namespace, out: Any) -> int:
    from locflow.flows.deploy import NoPrefectServer, require_prefect_server
    from locflow.flows.scale import deploy_to_pool
    from locflow.settings import load_config

    config = load_config(args.config)
    try:
        require_prefect_server()
    except NoPrefectServer:
        raise NoPrefectServer(
            "locflow deploy needs a Prefect server: start one (`prefect server start`) and set "
            "PREFECT_API_URL; workers and deployments live there"
        ) from None
    deployments = deploy_to_pool(config, args.pool, args.name)
    for name, deployment_id in deployments.items():
        out.say(f"deployed {name} ({deployment_id}) on work pool {args.pool}")
    localise = next(iter(deployments))
    out.say(
        f"start workers:  prefect worker start --pool {args.pool} --type process --limit 3\n"
        f"run fanned out: prefect deployment run {localise} -p fan_out=true"
    )
    out.data({"pool": args.pool, "deployments": deployments})
    return EXIT_OK
