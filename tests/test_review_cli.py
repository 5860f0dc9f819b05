"""`locflow user …` and `locflow review …` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json

import pytest

from locflow.db.models import Translation
from locflow.db.states import State
from tests.support.env import run_cli
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo


@pytest.fixture
def demo(demo_project) -> Demo:
    return make_demo(demo_project)


def _cli(demo: Demo, *args: str, user: str | None = None, stdin: str | None = None):
    env = dict(demo.env)
    if user:
        env["LOCFLOW_USER"] = user
    return run_cli(*args, cwd=demo.root, env=env, input=stdin)


@pytest.mark.slow
def test_user_add_list_passwd_remove(demo):
    first = _cli(demo, "user", "add", "root", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert first.returncode == 0, first.stderr
    assert "added root: admin" in first.stdout
    second = _cli(
        demo, "user", "add", "fanny", "-l", "fr,ru", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert second.returncode == 0, second.stderr
    listed = _cli(demo, "user", "list", "--json")
    assert [(u["name"], u["role"], u["locales"]) for u in json.loads(listed.stdout)] == [
        ("fanny", "reviewer", ["fr", "ru"]),
        ("root", "admin", []),
    ]
    assert PASSWORD not in listed.stdout

    again = _cli(demo, "user", "add", "fanny", "-l", "de", "--password-stdin", stdin=PASSWORD)
    assert again.returncode == 1 and "already exists" in again.stderr
    short = _cli(demo, "user", "passwd", "fanny", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    no_tty = _cli(demo, "user", "passwd", "fanny", stdin="")
    assert no_tty.returncode == 1 and "--password-stdin" in no_tty.stderr
    changed = _cli(demo, "user", "passwd", "fanny", "--password-stdin", stdin="new secret pw\n")
    assert changed.returncode == 0, changed.stderr
    from locflow.review.users import authenticate

    with demo.Session() as s, s.begin():
        assert authenticate(s, "fanny", "new secret pw") is not None
        assert authenticate(s, "fanny", PASSWORD) is None

    last_admin = _cli(demo, "user", "remove", "root")
    assert last_admin.returncode == 1 and "last active admin" in last_admin.stderr
    removed = _cli(demo, "user", "remove", "fanny")
    assert removed.returncode == 0 and "removed fanny" in removed.stdout
    assert [u["name"] for u in json.loads(_cli(demo, "user", "list", "--json").stdout)] == ["root"]


def test_review_list_filters_and_json(demo):
    listed = _cli(demo, "review", "list", "-l", "ru", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["total"] == len(data["items"]) > 10
    assert {i["locale"] for i in data["items"]} == {"ru"}
    plural = next(i for i in data["items"] if i["msgid"] == "%(count)d note saved")
    assert len(plural["forms"]) == 3 and plural["state"] == "machine"

    text = _cli(demo, "review", "list", "-l", "ru", "--search", "note saved")
    assert text.returncode == 0
    assert f"#{plural['id']}\tru\tmachine\t%(count)d note saved" in text.stdout
    assert "1 in the queue" in text.stdout
    none = _cli(demo, "review", "list", "-l", "ru", "--issue", "placeholders")
    assert "0 in the queue" in none.stdout
    by_source = _cli(demo, "review", "list", "-l", "fr", "--source", "nope.pot", "--json")
    assert json.loads(by_source.stdout)["total"] == 0
    paged = json.loads(_cli(demo, "review", "list", "--limit", "5", "--json").stdout)
    assert len(paged["items"]) == 5 and paged["total"] == 4 * data["total"]


@pytest.mark.slow
def test_review_actions_from_the_cli(demo):
    add_users(demo)
    open_id = demo.version_of("Save changes?", "fr").id
    greeting = demo.version_of("Signed in as {user}", "fr").id
    plural = demo.version_of("%(count)d note saved", "ru").id
    _approve_needs_a_reviewer_of_the_locale(demo, open_id, greeting)
    _an_edit_that_breaks_a_placeholder_is_kept_for_review(demo, greeting)
    new_plural = _edit_one_plural_form(demo, plural)
    _reject_needs_a_reason(demo, open_id)
    _show_the_edited_plural(demo, new_plural.id)

    reverted = _cli(demo, "review", "revert", str(new_plural.id), "--to", "1", user="fanny")
    assert reverted.returncode == 0 and "(v3) approved" in reverted.stdout
    assert demo.version_of("%(count)d note saved", "ru").forms == demo_forms(demo, plural)


def _approve_needs_a_reviewer_of_the_locale(demo: Demo, open_id: int, greeting: int) -> None:
    approved = _cli(demo, "review", "approve", str(open_id), user="fanny")
    assert approved.returncode == 0, approved.stderr
    assert f"approve: #{open_id} (v1) approved" in approved.stdout

    denied = _cli(demo, "review", "approve", str(greeting), "--user", "dieter")
    assert denied.returncode == 1
    assert "permission denied: dieter does not review fr" in denied.stderr
    nobody = _cli(demo, "review", "approve", str(greeting))
    assert nobody.returncode == 1 and "LOCFLOW_USER" in nobody.stderr


def _an_edit_that_breaks_a_placeholder_is_kept_for_review(demo: Demo, greeting: int) -> None:
    broken = _cli(demo, "review", "edit", str(greeting), "--text", "Connecté : {nom}", user="fanny")
    assert broken.returncode == 0, broken.stderr
    assert "kept for review" in broken.stdout and "{user}" in broken.stdout
    kept = demo.version_of("Signed in as {user}", "fr")
    assert kept.state == State.NEEDS_REVIEW and kept.author == "fanny"
    fixed = _cli(demo, "review", "edit", str(kept.id), "--text", "Connecté : {user}", user="fanny")
    assert "approved" in fixed.stdout, fixed.stderr


def _edit_one_plural_form(demo: Demo, plural: int) -> Translation:
    form = _cli(
        demo,
        "review",
        "edit",
        str(plural),
        "--form",
        "2",
        "--text",
        "%(count)d заметок сохранено",
        "--json",
        user="fanny",
    )
    assert form.returncode == 0, form.stderr
    (result,) = json.loads(form.stdout)["results"]
    assert result["state"] == "approved" and result["n"] == 2
    new_plural = demo.version_of("%(count)d note saved", "ru")
    assert new_plural.forms[2] == "%(count)d заметок сохранено"
    assert new_plural.forms[:2] == demo_forms(demo, plural)[:2]
    return new_plural


def _reject_needs_a_reason(demo: Demo, open_id: int) -> None:
    rejected = _cli(
        demo,
        "review",
        "reject",
        str(demo.version_of("Settings", "fr").id),
        "--reason",
        "too literal",
        user="fanny",
    )
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    missing_reason = _cli(demo, "review", "reject", str(open_id), user="fanny")
    assert missing_reason.returncode == 2  # argparse: --reason is required


def _show_the_edited_plural(demo: Demo, version_id: int) -> None:
    shown = _cli(demo, "review", "show", str(version_id))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "msgstr[2] · many · n = 0, 5" in out
    assert "engine pseudo" in out and "v2 #" in out
    assert "{+заметок+}" in out or "{+заметок сохранено+}" in out
    assert "fanny edit v2" in out
    detail = json.loads(_cli(demo, "review", "show", str(version_id), "--json").stdout)
    assert [h["n"] for h in detail["history"]] == [1, 2]
    assert detail["reviews"][-1]["reviewer"] == "fanny"


def test_bulk_approve_from_the_cli(demo):
    add_users(demo)
    needs = _cli(demo, "review", "bulk-approve", user="fanny")
    assert needs.returncode == 1 and "--locale" in needs.stderr
    denied = _cli(demo, "review", "bulk-approve", "-l", "fr", user="dieter")
    assert denied.returncode == 1 and "does not review fr" in denied.stderr
    reviewer = _cli(demo, "review", "bulk-approve", "-l", "fr", user="fanny")
    assert reviewer.returncode == 1 and "only a lead or an admin" in reviewer.stderr
    before = len(demo.queue_ids("fr"))
    done = _cli(demo, "review", "bulk-approve", "-l", "fr", "--json", user="lea")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["fr"]
    assert len(summary["approved"]) + summary["skipped"] == before > 0
    assert len(demo.queue_ids("fr")) == summary["skipped"]
    assert demo.queue_ids("de")  # other locales untouched


def demo_forms(demo: Demo, version_id: int) -> list[str]:
    with demo.Session() as s:
        return list(s.get(Translation, version_id).forms)
