"""`locflow docs …` (registered by flows/cli.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def add_docs_parser(
    sub: argparse._SubParsersAction, parents: Sequence[argparse.ArgumentParser]
) -> None:
    """Add the docs subcommand; it sets `handler=fn(args, out) -> int`."""
