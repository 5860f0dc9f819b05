"""Who may do what, and how much they may store: the rules `review.actions` applies before
any action touches the database, so the CLI and the web UI hold them alike.

- Permissions: a reviewer acts in their locales, a lead also overrides failing checks and
  bulk-approves there, an admin does all of it everywhere (`users.UserInfo`).
- The approval gate: a version failing an error-level check is approved only by a lead or
  an admin, with a reason, which the `reviews` row keeps. A reviewer gets a one-line refusal
  naming the checks. Export still decides per entry (msgfmt), whatever was overridden.
- Limits (`[review]`, settings_review): a plural form may hold at most
  max(factor × its source's length, max_translation_chars) characters; a reason or a
  comment at most max_comment_chars. A text past a limit is refused before it is checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from locflow.review.users import UserInfo
from locflow.settings_review import ReviewSettings

DEFAULT_LIMITS = ReviewSettings()


class PermissionDenied(Exception):
    """The user may not do this in this locale (or is unknown, or deactivated)."""


class ActionError(ValueError):
    """The action does not apply (one line, shown to the reviewer)."""


class NotFound(ActionError):
    pass


class NeedsOverride(ActionError):
    """Error-level checks fail; approving anyway needs a lead or an admin, `override=True`
    and a reason. `can_override` tells a front end whether to offer it to this user."""

    def __init__(
        self, message: str, issues: Sequence[Mapping[str, Any]], can_override: bool = False
    ) -> None:
        super().__init__(message)
        self.issues = tuple(dict(i) for i in issues)
        self.can_override = can_override


def is_error(issue: Mapping[str, Any]) -> bool:
    return issue.get("severity") == "error"


def reasons(issues: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(f"{i.get('check')}: {i.get('message')}" for i in issues)


def check_names(issues: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(dict.fromkeys(str(i.get("check")) for i in issues))


# --- permissions ------------------------------------------------------------------------


def authorise(actor: UserInfo, locale: str) -> None:
    if not actor.active:
        raise PermissionDenied(f"{actor.name} is deactivated")
    if not actor.can_review(locale):
        raise PermissionDenied(f"{actor.name} does not review {locale} ({actor.summary})")


def authorise_bulk(actor: UserInfo, locale: str) -> None:
    authorise(actor, locale)
    if not actor.can_bulk(locale):
        raise PermissionDenied(
            f"{actor.name} may not bulk-approve {locale}: only a lead or an admin may "
            f"({actor.summary})"
        )


def needs_override(
    actor: UserInfo, what: str, errors: Sequence[Mapping[str, Any]], locale: str
) -> NeedsOverride:
    """The refusal of a plain approval of a version that fails checks."""
    if actor.can_override(locale):
        hint = "approve with override and a reason to accept it"
    else:
        hint = f"edit it, or ask a lead of {locale} to approve it anyway"
    return NeedsOverride(
        f"{what} fails checks ({reasons(errors)}); {hint}", errors, actor.can_override(locale)
    )


def override_note(
    actor: UserInfo,
    what: str,
    errors: Sequence[Mapping[str, Any]],
    locale: str,
    reason: str,
    limits: ReviewSettings,
) -> str:
    """The `reviews` comment of an approval despite `errors`; refused unless `actor` may
    override in `locale` and gives a reason."""
    if not actor.can_override(locale):
        raise PermissionDenied(
            f"{actor.name} may not approve {what} despite failing checks "
            f"({check_names(errors)}): only a lead or an admin of {locale} may override"
        )
    reason = check_note(reason, "the reason", limits)
    if not reason:
        raise ActionError(
            f"overriding failing checks ({check_names(errors)}) needs a reason "
            "(--reason, or the reason field)"
        )
    return f"override: {reason} [despite {reasons(errors)}]"


# --- limits -----------------------------------------------------------------------------


def check_note(text: str, what: str, limits: ReviewSettings) -> str:
    """`text` stripped; ActionError when longer than max_comment_chars."""
    if len(text) > limits.max_comment_chars:
        raise ActionError(
            f"{what} has {len(text):,} characters; at most {limits.max_comment_chars:,} "
            "([review] max_comment_chars)"
        )
    return text.strip()


def check_sizes(
    msgid: str, msgid_plural: str | None, forms: Sequence[str], limits: ReviewSettings
) -> None:
    """Every form within max(factor × source length, max_translation_chars)."""
    source = max(len(msgid), len(msgid_plural or ""))
    cap = limits.max_form_chars(source)
    for i, form in enumerate(forms):
        if len(form) > cap:
            which = f"form {i}" if len(forms) > 1 else "the translation"
            raise ActionError(
                f"{which} has {len(form):,} characters; at most {cap:,} for a "
                f"{source}-character source ([review] max_translation_chars = "
                f"{limits.max_translation_chars}, max_translation_factor = "
                f"{limits.max_translation_factor})"
            )
