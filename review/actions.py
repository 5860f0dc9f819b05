"""Review actions, shared by the CLI and the web UI: approve, reject, edit, bulk-approve,
revert, comment.

Permissions, the approval gate and the size limits are enforced here (review.gate), not only
in the front ends: a reviewer acts on their own locales, a lead also overrides failing checks
(with a reason) and bulk-approves there, an admin does all of it everywhere
(`PermissionDenied` otherwise). Every action leaves a `reviews` row with who and when: state
moves through `repo.transition()`, edits that stay in review through
`review_repo.record_review()`. Versions are never changed or deleted: an edit or a revert
appends a new version, and the checks run on it again.

Each function takes the session first and never commits. `limits` defaults to the `[review]`
defaults; the CLI passes the project's (`config.review`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.db import repo, review_repo
from locflow.db.models import Project, SegmentRow, Source, Translation
from locflow.db.review_repo import QueueFilter
from locflow.db.states import State, TransitionError
from locflow.pipeline.plan import plural_for
from locflow.review.comments import CommentEntry as CommentEntry
from locflow.review.comments import add_comment as add_comment
from locflow.review.comments import comments_for as comments_for
from locflow.review.gate import (
    DEFAULT_LIMITS,
    ActionError,
    NotFound,
    PermissionDenied,
    authorise,
    authorise_bulk,
    check_note,
    check_sizes,
    is_error,
    needs_override,
    override_note,
    reasons,
)
from locflow.review.gate import NeedsOverride as NeedsOverride
from locflow.review.recheck import check_forms
from locflow.review.users import UserInfo, get_user
from locflow.settings_review import ReviewSettings


@dataclass(frozen=True)
class ActionResult:
    action: str
    version_id: int
    """The version acted on, or the new version an edit, revert or confirmation made."""
    n: int
    state: State
    issues: tuple[dict[str, Any], ...] = ()
    created: bool = False

    @property
    def message(self) -> str:
        what = f"#{self.version_id} (v{self.n})"
        if self.state == State.APPROVED:
            return f"{self.action}: {what} approved"
        if self.state == State.REJECTED:
            return f"{self.action}: {what} rejected"
        why = "; ".join(i.get("message", "") for i in self.issues if is_error(i))
        return f"{self.action}: {what} kept for review: {why}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "id": self.version_id,
            "n": self.n,
            "state": self.state.name.lower(),
            "issues": list(self.issues),
            "created": self.created,
        }


@dataclass(frozen=True)
class BulkResult:
    approved: tuple[int, ...]
    skipped: int
    """Versions in the queue left alone because they have issues or are outdated."""


def actor_for(s: Session, name: str | None) -> UserInfo:
    """The acting user; PermissionDenied when there is none, it is unknown or deactivated."""
    if not name:
        raise PermissionDenied("no acting user: pass --user NAME or set LOCFLOW_USER")
    user = get_user(s, name)
    if user is None:
        raise PermissionDenied(f"unknown user {name!r}")
    if not user.active:
        raise PermissionDenied(f"{name} is deactivated")
    return user


# --- actions ----------------------------------------------------------------------------


def approve(
    s: Session,
    actor: UserInfo,
    version_id: int,
    *,
    override: bool = False,
    comment: str = "",
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> ActionResult:
    """Approve the current version. One made for an earlier source text is confirmed as a
    new version for today's text (checked again). A version failing error-level checks
    needs `override` by a lead or admin, with `comment` as the reason."""
    t, seg, project = _load(s, version_id)
    authorise(actor, t.locale)
    comment = check_note(comment, "the comment", limits)
    _require_current(s, t)
    if t.state == State.APPROVED:
        raise ActionError(f"#{t.id} is already approved")
    if not any(t.forms):
        raise ActionError(f"#{t.id} is empty: edit it instead")
    check_sizes(seg.msgid, seg.msgid_plural, t.forms, limits)
    if t.source_hash != seg.source_hash:
        return _store(
            s,
            actor,
            seg,
            project,
            t.locale,
            tuple(t.forms),
            action="approve",
            what=f"#{t.id}",
            override=override,
            comment=comment,
            note=f"confirmed v{t.n} for the new source text",
            like=t,
            limits=limits,
        )
    errors = [i for i in t.issues or () if is_error(i)]
    if errors and not override:
        raise needs_override(actor, f"#{t.id}", errors, t.locale)
    if errors:
        comment = override_note(actor, f"#{t.id}", errors, t.locale, comment, limits)
    repo.transition(s, t, State.APPROVED, actor=actor.name, action="approve", comment=comment)
    return _result("approve", t)


def reject(
    s: Session,
    actor: UserInfo,
    version_id: int,
    reason: str,
    *,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> ActionResult:
    """Reject a version (a reason is required); the string is translated again next run."""
    t, _, _ = _load(s, version_id)
    authorise(actor, t.locale)
    reason = check_note(reason or "", "the reason", limits)
    if not reason:
        raise ActionError("a rejection needs a reason")
    if t.state == State.REJECTED:
        raise ActionError(f"#{t.id} is already rejected")
    _move(s, t, State.REJECTED, actor, "reject", reason)
    return _result("reject", t)


def edit(
    s: Session,
    actor: UserInfo,
    version_id: int,
    forms: Sequence[str] | Mapping[int, str],
    *,
    override: bool = False,
    comment: str = "",
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> ActionResult:
    """A new human version (author = the reviewer) of the current version. All forms, or
    {msgstr index: text} for some of them. Approved when no error-level check fails;
    otherwise kept for review with the reasons, unless a lead or admin overrides (with
    `comment` as the reason)."""
    t, seg, project = _load(s, version_id)
    authorise(actor, t.locale)
    comment = check_note(comment, "the comment", limits)
    _require_current(s, t)
    new_forms = _merge_forms(s, t, seg, forms)
    check_sizes(seg.msgid, seg.msgid_plural, new_forms, limits)
    if new_forms == tuple(t.forms) and t.source_hash == seg.source_hash:
        if t.state == State.APPROVED:
            raise ActionError(f"#{t.id} already reads like this and is approved")
        return approve(s, actor, version_id, override=override, comment=comment, limits=limits)
    return _store(
        s,
        actor,
        seg,
        project,
        t.locale,
        new_forms,
        action="edit",
        what=f"the edit of #{t.id}",
        override=override,
        comment=comment,
        origin="human",
        limits=limits,
    )


def revert(
    s: Session,
    actor: UserInfo,
    version_id: int,
    to_n: int,
    *,
    override: bool = False,
    comment: str = "",
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> ActionResult:
    """A new version copying the forms of version `to_n` of the same string (nothing is
    deleted); checked like an edit."""
    t, seg, project = _load(s, version_id)
    authorise(actor, t.locale)
    comment = check_note(comment, "the comment", limits)
    target = next((v for v in repo.versions(s, t.segment_id, t.locale) if v.n == to_n), None)
    if target is None:
        raise NotFound(f"this string has no version {to_n} in {t.locale}")
    if not any(target.forms):
        raise ActionError(f"version {to_n} is empty")
    check_sizes(seg.msgid, seg.msgid_plural, target.forms, limits)
    return _store(
        s,
        actor,
        seg,
        project,
        t.locale,
        tuple(target.forms),
        action="revert",
        what=f"the revert of #{t.id} to v{to_n}",
        override=override,
        comment=comment,
        note=f"reverted to v{to_n}",
        origin="human",
        like=target,
        limits=limits,
    )


def bulk_approve(
    s: Session,
    actor: UserInfo,
    project_id: int,
    queue: QueueFilter,
    *,
    limit: int | None = None,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> BulkResult:
    """Approve every current machine or needs-review version in the queue with no issue at
    all, made for today's source text, not empty, within the size limits (a lead's or an
    admin's action)."""
    authorise_bulk(actor, queue.locale)
    states = tuple(x for x in queue.states or (State.MACHINE, State.NEEDS_REVIEW) if x in _BULK)
    f = QueueFilter(queue.locale, states or _BULK, queue.issue, queue.source, queue.search)
    if queue.issue:  # a filter on issues leaves nothing without issues
        return BulkResult((), review_repo.queue_count(s, project_id, f))
    candidates = review_repo.queue_versions(s, project_id, f)
    sources = _sources(s, [t.segment_id for t in candidates])
    done: list[int] = []
    for t in candidates:
        source_hash, source_chars = sources.get(t.segment_id, ("", 0))
        if t.issues or not any(t.forms) or t.source_hash != source_hash:
            continue
        if any(len(f) > limits.max_form_chars(source_chars) for f in t.forms):
            continue
        repo.transition(s, t, State.APPROVED, actor=actor.name, action="bulk-approve")
        done.append(t.id)
        if limit is not None and len(done) >= limit:
            break
    return BulkResult(tuple(done), len(candidates) - len(done))


_BULK = (State.MACHINE, State.NEEDS_REVIEW)


# --- helpers ----------------------------------------------------------------------------


def _load(s: Session, version_id: int) -> tuple[Translation, SegmentRow, Project]:
    t = s.get(Translation, version_id)
    if t is None:
        raise NotFound(f"no translation #{version_id}")
    seg = s.get(SegmentRow, t.segment_id)
    source = s.get(Source, seg.source_id) if seg is not None else None
    project = s.get(Project, source.project_id) if source is not None else None
    if seg is None or project is None:
        raise NotFound(f"no translation #{version_id}")
    return t, seg, project


def _require_current(s: Session, t: Translation) -> None:
    if t.state == State.REJECTED:
        raise ActionError(f"#{t.id} is rejected; revert to v{t.n} to bring it back")
    current = review_repo.current_version(s, t.segment_id, t.locale)
    if current is not None and current.id != t.id:
        raise ActionError(
            f"#{t.id} (v{t.n}) is no longer current: #{current.id} (v{current.n}) is; "
            f"act on #{current.id}, or revert to v{t.n}"
        )


def _move(s: Session, t: Translation, to: State, actor: UserInfo, action: str, note: str) -> None:
    try:
        repo.transition(s, t, to, actor=actor.name, action=action, comment=note)
    except TransitionError as exc:
        raise ActionError(str(exc)) from None


def _result(action: str, t: Translation, created: bool = False) -> ActionResult:
    return ActionResult(action, t.id, t.n, State(t.state), tuple(t.issues or ()), created)


def _merge_forms(
    s: Session, t: Translation, seg: SegmentRow, forms: Sequence[str] | Mapping[int, str]
) -> tuple[str, ...]:
    nforms = plural_for(s, seg.source_id, t.locale).nplurals if seg.msgid_plural else 1
    if isinstance(forms, Mapping):
        merged = list(t.forms) + [""] * max(0, nforms - len(t.forms))
        for index, text in forms.items():
            if not 0 <= index < nforms:
                raise ActionError(f"form {index} does not exist: {t.locale} has {nforms}")
            merged[index] = text
        return tuple(merged[:nforms])
    if len(forms) != nforms:
        raise ActionError(f"{t.locale} needs {nforms} form(s) here, got {len(forms)}")
    return tuple(forms)


def _store(
    s: Session,
    actor: UserInfo,
    seg: SegmentRow,
    project: Project,
    locale: str,
    forms: tuple[str, ...],
    *,
    action: str,
    override: bool,
    what: str,
    comment: str = "",
    note: str = "",
    origin: str | None = None,
    like: Translation | None = None,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> ActionResult:
    """Check `forms`, append them as a new version; approve it unless an error-level check
    fails and there is no override. `comment` is the user's (the reason of an override),
    `note` locflow's own. A refused override writes nothing."""
    issues, terms_hash, glossary_hash = check_forms(s, seg, project, locale, forms)
    errors = [i for i in issues if is_error(i)]
    if errors and override:
        comment = override_note(actor, what, errors, locale, comment, limits)
    new_id = repo.add_version(
        s,
        repo.NewVersion(
            segment_id=seg.id,
            locale=locale,
            forms=forms,
            state=State.NEEDS_REVIEW,
            origin=origin or (like.origin if like is not None else "human"),
            source_hash=seg.source_hash,
            author=actor.name,
            engine=like.engine if like is not None else "",
            model=like.model if like is not None else "",
            terms_hash=terms_hash,
            glossary_hash=glossary_hash,
            issues=tuple(issues),
        ),
    )
    new = s.get(Translation, new_id)
    assert new is not None
    text = "; ".join(x for x in (note, comment) if x)
    if errors and not override:
        text = "; ".join(x for x in (text, "kept for review: " + reasons(errors)) if x)
        review_repo.record_review(s, new, actor.name, action, text)
    else:
        repo.transition(s, new, State.APPROVED, actor=actor.name, action=action, comment=text)
    return _result(action, new, created=True)


def _sources(s: Session, segment_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """Per segment: its source hash and the length of its longer source text."""
    out: dict[int, tuple[str, int]] = {}
    for i in range(0, len(segment_ids), 900):
        chunk = list(segment_ids[i : i + 900])
        q = select(SegmentRow.id, SegmentRow.source_hash, SegmentRow.msgid, SegmentRow.msgid_plural)
        for sid, h, msgid, plural in s.execute(q.where(SegmentRow.id.in_(chunk))):
            out[sid] = (h, max(len(msgid), len(plural or "")))
    return out
