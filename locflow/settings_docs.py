"""The `[[docs]]` tables of locflow.toml, parsed and checked (settings.py calls this; it
passes its ConfigError in, as for settings_locales, so this module stays below it).

```toml
[[docs]]
include = ["docs/**/*.md"]              # globs relative to locflow.toml
exclude = ["docs/drafts/**"]            # optional
output = "docs/{path_stem}.{locale}.md" # {locale} and {path} or {path_stem}
front_matter = ["title", "description"] # optional (this is the default)
dialect = "mkdocs"                      # optional: "commonmark" | "mkdocs" (default: detected)
include_hidden = false                  # optional: * and ** also walk into .hidden folders
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from locflow.settings_types import DEFAULT_FRONT_MATTER, DIALECTS, OUTPUT_FIELDS, DocsSpec

_FIELD = re.compile(r"\{([^{}]*)\}")


def parse_docs(where: str, table: Mapping[str, Any], bad: type[Exception]) -> DocsSpec:
    """One `[[docs]]` table; `bad` is raised with a one-line message naming `where`."""
    include = _strings(where, "include", table.get("include"), bad)
    if not include:
        raise bad(f"{where}: include needs at least one glob")
    dialect = table.get("dialect")
    if dialect is not None and dialect not in DIALECTS:
        choices = " or ".join(f'"{d}"' for d in DIALECTS)
        raise bad(f"{where}: dialect must be {choices}, not {dialect!r}")
    hidden = table.get("include_hidden", False)
    if not isinstance(hidden, bool):
        raise bad(f"{where}: include_hidden must be true or false, not {hidden!r}")
    return DocsSpec(
        include=include,
        exclude=_strings(where, "exclude", table.get("exclude", []), bad),
        output=_output(where, table.get("output"), bad),
        front_matter=_strings(
            where, "front_matter", table.get("front_matter", list(DEFAULT_FRONT_MATTER)), bad
        ),
        dialect=dialect,
        include_hidden=hidden,
    )


def _output(where: str, output: Any, bad: type[Exception]) -> str:
    """A path with {locale} and {path} or {path_stem}, and no other placeholder."""
    need = "output must be a path with {locale} and {path} or {path_stem}"
    if not isinstance(output, str):
        raise bad(f"{where}: {need}")
    used = set(_FIELD.findall(output))
    if used - set(OUTPUT_FIELDS):
        raise bad(f"{where}: output may use only {{locale}}, {{path}} and {{path_stem}}")
    if "locale" not in used or not used & {"path", "path_stem"}:
        raise bad(f"{where}: {need}")
    try:
        output.format(locale="xx", path="p.md", path_stem="p")
    except (KeyError, IndexError, ValueError):
        raise bad(f"{where}: output may use only {{locale}}, {{path}} and {{path_stem}}") from None
    return output


def _strings(where: str, key: str, value: Any, bad: type[Exception]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"{where}: {key} must be a list of strings")
    return tuple(value)
