"""The review UI's browser fixtures, shared by the Chromium test modules, which import them
(not a plugin: other modules have a `server` fixture of their own): `browser` (headless
Chromium, one per module), `server` (`locflow ui` on the module's own `demo` fixture) and
`page_for` (`page_for(user)`: a new page signed in as that user)."""

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
def ui_url(demo: Demo) -> Iterator[str]:
    with ui_server(demo) as base:
        yield base


@pytest.fixture
def page_for(browser, ui_url) -> Iterator[object]:
    """A page signed in as `user`."""
    with signed_in_pages(browser, ui_url) as open_as:
        yield open_as
