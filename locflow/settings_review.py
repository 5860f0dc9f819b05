"""The `[review]` table of locflow.toml: the server-side limits on what a reviewer may store
(settings.py calls this and passes its ConfigError in, as for settings_docs, so this module
stays below it). Stdlib only.

```toml
[review]
max_translation_factor = 20    # a form may be this many times its source's length…
max_translation_chars = 2000   # …or this many characters, whichever is more
max_comment_chars = 2000       # a reason (reject, override) or a comment
```

The limits hold in the action layer (review.actions), so the CLI and the web UI both obey
them: a reviewer's text is stored, checked and exported, and nothing should make one string
cost megabytes of database, check time and page weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class ReviewSettings:
    """The `[review]` table: size limits the review actions enforce."""

    max_translation_factor: int = 20
    max_translation_chars: int = 2000
    max_comment_chars: int = 2000

    def max_form_chars(self, source_chars: int) -> int:
        """The longest plural form allowed for a source of `source_chars` characters."""
        return max(self.max_translation_factor * source_chars, self.max_translation_chars)


REVIEW_KEYS = frozenset(f.name for f in fields(ReviewSettings))


def parse_review(where: str, table: Mapping[str, Any], bad: type[Exception]) -> ReviewSettings:
    """The `[review]` table (keys already checked); `bad` is raised with a one-line message
    naming `where` for a value that is not a whole number of at least 1."""
    values: dict[str, int] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad(f"{where}: {key} must be a whole number of at least 1, not {value!r}")
        values[key] = value
    return ReviewSettings(**values)
