"""`locflow init` then `locflow run` as a new user types them, on replicas of real layouts:
the file init writes is taken as it is, the run writes the catalogues found, and nothing is
left for `export --check` (a catalogue standing in as template is not written into)."""

from __future__ import annotations

import json

import pytest

from tests.support.env import run_cli
from tests.support.layouts import django_tree, sphinx_tree, wtforms_tree
from tests.support.msgfmt_cases import msgfmt_counts

pytestmark = pytest.mark.slow

LAYOUTS = {
    "wtforms": (wtforms_tree, {}),
    "django-no-pot": (django_tree, {"with_source": False}),
    "sphinx": (sphinx_tree, {"built": True}),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_init_writes_a_config_that_run_accepts_as_it_is(tmp_path, prefect_server, msgfmt, layout):
    build, kwargs = LAYOUTS[layout]
    build(tmp_path, **kwargs)
    env = {"PREFECT_API_URL": prefect_server}
    done = run_cli("init", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    templates = {p: p.read_bytes() for p in tmp_path.rglob("*.po*")}
    done = run_cli("run", cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    check = run_cli("export", "--check", cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    stats = json.loads(run_cli("stats", "--catalogues", "--json", cwd=tmp_path).stdout)
    rows = stats["catalogues"]
    assert rows and all(r["total"] > 0 for r in rows)
    for r in rows:  # what stats counts is what msgfmt reads in the written file
        got = msgfmt_counts(msgfmt, tmp_path / r["path"])
        assert got == (r["translated"], r["fuzzy"], r["untranslated"]), r
    used_as_template = {tmp_path / r["template"] for r in rows}
    for path in used_as_template:
        assert path.read_bytes() == templates[path], f"{path} is a template: never written"
