"""Which plural rule a (source, locale) uses, and the config error when there is none.

gettext's order: the catalogue's own `Plural-Forms`, else `[locales.X] plural_forms`, else
CLDR (catalog.plurals.plural_info). A locale outside CLDR with none of them is fine while
its template has no plural entry (a stand-in rule is planned with, and a new catalogue gets
no Plural-Forms); with one, sync, plan and export stop with a ConfigError (exit 2) that
names the locale and the setting to add.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.catalog.plurals import NoPluralRule, PluralInfo, plural_info, stand_in
from locflow.db.models import SegmentRow, Source
from locflow.settings import ConfigError


def plural_rule(locale: str, header: str | None, *, plurals: bool, source: str) -> PluralInfo:
    """The rule for `locale` given its catalogue's `header` (None: no catalogue or no
    header); `plurals`: whether `source` (its name, for the message) has plural entries."""
    try:
        return plural_info(locale, header)
    except NoPluralRule as exc:
        if plurals:
            raise ConfigError(f"{source}: {exc}") from None
        return stand_in(locale)


def has_plurals(s: Session, source_id: int) -> bool:
    """Whether the source has a live plural entry (asked only when a rule is missing)."""
    query = select(SegmentRow.id).where(
        SegmentRow.source_id == source_id,
        SegmentRow.msgid_plural.is_not(None),
        SegmentRow.obsolete.is_(False),
    )
    return s.scalar(query.limit(1)) is not None


def rule_for_source(s: Session, source_id: int, locale: str, header: str | None) -> PluralInfo:
    """`plural_rule` for a stored source: its plural entries are looked up only when the
    locale has no rule at all."""
    try:
        return plural_info(locale, header)
    except NoPluralRule:
        source = s.get(Source, source_id)
        name = source.name if source is not None else f"source {source_id}"
        return plural_rule(locale, header, plurals=has_plurals(s, source_id), source=name)
