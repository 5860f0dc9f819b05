"""Quality checks on a translation: one table, one function per check.

Each check looks at the source segment and the translated forms and returns an Issue or
None. Severity lives in the table, not in the functions: an "error" keeps MT out of the
`machine` state, a "warning" is shown to the reviewer. The rules behind the checks live in
sibling modules by concern: check_format (plural forms, format directives, `range:`),
check_spacing (line breaks, whitespace), check_content (tags, URLs, Markdown, model
leftovers), check_length, check_charset (what the target catalogue's charset cannot
encode) and catalog.terms (the glossary).
"""

from __future__ import annotations

from collections.abc import Callable

from locflow.catalog.check_charset import charset_rule
from locflow.catalog.check_content import (
    chatter_rule,
    control_chars_rule,
    markdown_rule,
    tags_rule,
    think_rule,
    untranslated_rule,
    urls_rule,
)
from locflow.catalog.check_format import (
    empty_rule,
    placeholders_rule,
    plural_count_rule,
    range_rule,
)
from locflow.catalog.check_forms import CheckContext, Forms, Issue, Severity
from locflow.catalog.check_length import length_rule, max_length_rule
from locflow.catalog.check_spacing import line_breaks_rule, newlines_rule, whitespace_rule
from locflow.catalog.segment import Segment
from locflow.catalog.terms import glossary_rule

__all__ = ["CHECKS", "CheckContext", "CheckFn", "Forms", "Issue", "Severity", "run_checks"]


CheckFn = Callable[[Segment, Forms, CheckContext], "Issue | None"]
_Rule = Callable[[Segment, Forms, CheckContext], "str | None"]


def run_checks(segment: Segment, forms: Forms, ctx: CheckContext) -> tuple[Issue, ...]:
    """Every check in table order; the issues found."""
    issues = (fn(segment, forms, ctx) for fn, _ in CHECKS.values())
    return tuple(issue for issue in issues if issue is not None)


def _table(**rules: tuple[_Rule, Severity]) -> dict[str, tuple[CheckFn, Severity]]:
    def wrap(check: str, rule: _Rule, severity: Severity) -> CheckFn:
        def fn(segment: Segment, forms: Forms, ctx: CheckContext) -> Issue | None:
            message = rule(segment, forms, ctx)
            if message is None:
                return None
            return Issue(check=check, severity=severity, message=" ".join(message.split()))

        fn.__name__ = f"check_{check}"
        fn.__doc__ = rule.__doc__
        return fn

    return {check: (wrap(check, rule, sev), sev) for check, (rule, sev) in rules.items()}


CHECKS: dict[str, tuple[CheckFn, Severity]] = _table(
    plural_count=(plural_count_rule, "error"),
    empty=(empty_rule, "error"),
    placeholders=(placeholders_rule, "error"),
    newlines=(newlines_rule, "error"),
    line_breaks=(line_breaks_rule, "warning"),
    whitespace=(whitespace_rule, "warning"),
    tags=(tags_rule, "error"),
    urls=(urls_rule, "error"),
    markdown=(markdown_rule, "error"),
    think=(think_rule, "error"),
    chatter=(chatter_rule, "warning"),
    untranslated=(untranslated_rule, "warning"),
    control_chars=(control_chars_rule, "error"),
    charset=(charset_rule, "error"),
    length=(length_rule, "warning"),
    max_length=(max_length_rule, "error"),
    range=(range_rule, "error"),
    glossary=(glossary_rule, "error"),
)
