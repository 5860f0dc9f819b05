"""The unit of translation: one gettext entry or one document block."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

FORMAT_FLAGS = (
    "c-format",
    "python-format",
    "python-brace-format",
)

Forms = tuple[str, ...]
"""Translated text: one string, or one per gettext plural index (msgstr[0..n-1])."""


def _digest(*parts: object) -> str:
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Segment:
    """A translatable source string with the notes a translator needs.

    Identity is (msgctxt, msgid, msgid_plural) within a source; `source_hash` also
    covers the extracted comments and the format flags, because a changed note or a
    changed format can change the right translation.
    """

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    flags: tuple[str, ...] = ()
    extracted_comments: str = ""
    translator_comments: str = ""
    occurrences: tuple[tuple[str, str], ...] = ()
    previous_msgctxt: str | None = None
    previous_msgid: str | None = None
    previous_msgid_plural: str | None = None
    obsolete: bool = False
    meta: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """Free-form extras from a connector (e.g. a doc block's kind); not part of identity."""

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def key_hash(self) -> str:
        return _digest("key", *self.key)

    @property
    def source_hash(self) -> str:
        notes = [f for f in self.flags if f != "fuzzy"]
        return _digest("src", *self.key, self.extracted_comments, sorted(notes))

    @property
    def is_plural(self) -> bool:
        return self.msgid_plural is not None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags
