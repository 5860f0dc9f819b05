"""`locflow review …`, `locflow user …` and `locflow ui` (registered by flows/cli.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def add_review_parsers(
    sub: argparse._SubParsersAction, parents: Sequence[argparse.ArgumentParser]
) -> None:
    """Add the review, user and ui subcommands; each sets `handler=fn(args, out) -> int`."""
