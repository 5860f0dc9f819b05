"""`locflow serve` and `locflow deploy --pool NAME [--name N]`: the CLI side of Prefect
deployments (the Prefect side is `locflow.flows.deploy` and `locflow.flows.scale`).

`serve` registers the `[[schedules]]` as deployments and runs their flow runs in this
process; `deploy` creates the `localise` and `publish` deployments on a process work pool,
for workers to run.
"""

from __future__ import annotations

import argparse
import os

from locflow.cli.common import EXIT_OK, Output, Parents, Subparsers, load_settings
from locflow.database_url import PASSWORD_ENV, without_password
from locflow.flows.deploy import NoPrefectServer, require_prefect_server, serve


def add_serve_parser(sub: Subparsers, parents: Parents) -> None:
    sub.add_parser(
        "serve", parents=[parents.common], help="serve the [[schedules]] as Prefect deployments"
    ).set_defaults(handler=cmd_serve)


def add_deploy_parser(sub: Subparsers, parents: Parents) -> None:
    d = sub.add_parser(
        "deploy",
        parents=[parents.common],
        help="create the localise and publish deployments on a process work pool",
    )
    d.add_argument("--pool", required=True, help="work pool name (created if missing)")
    d.add_argument("--name", help="deployment name (default: the project's name)")
    d.set_defaults(handler=cmd_deploy)


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    os.environ["PREFECT_LOGGING_LEVEL"] = "INFO" if not args.quiet else "WARNING"
    serve(config)
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace, out: Output) -> int:
    # flows.scale is the fan-out's Prefect code: only `deploy` loads it.
    from locflow.flows.scale import deploy_to_pool

    config = load_settings(args)
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
    stored = without_password(config.database_url)
    out.say(f"their runs use LOCFLOW_DATABASE_URL={stored} (set in the job variables)")
    if stored != config.database_url:
        out.say(f"its password is not stored in Prefect: set {PASSWORD_ENV} on each worker")
    localise = next(iter(deployments))
    out.say(
        f"start workers:  prefect worker start --pool {args.pool} --type process --limit 3\n"
        f"run fanned out: prefect deployment run {localise} -p fan_out=true"
    )
    out.data({"pool": args.pool, "deployments": deployments, "database_url": stored})
    return EXIT_OK
