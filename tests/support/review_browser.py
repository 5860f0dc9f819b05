"""The review UI's browser fixtures, shared by the Chromium test modules (a pytest plugin
that tests/conftest.py loads): `browser` (headless Chromium, one per module), `server`
(`locflow ui` on the module's own `demo` fixture) and `page_for` (`page_for(user)`: a new
page signed in as that user). Each module defines `demo`; a module may override any of
these with its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.review_demo import Demo
from tests.support.review_ux import chromium, signed_in_pages, ui_server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(demo: Demo) -> Iterator[str]:
    with ui_server(demo) as base:
        yield base


@pytest.fixture
def page_for(browser, server) -> Iterator[object]:
    """A page signed in as `user`."""
    with signed_in_pages(browser, server) as open_as:
        yield open_as
