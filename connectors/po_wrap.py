"""Rendering PO strings and comments the way GNU gettext's write-po.c does.

Line breaking follows `wrap()` in write-po.c: a string is cut after each embedded "\\n",
each portion is escaped, and Unicode line breaking (UAX #14, see po_linebreak) picks where
a portion may be cut so its lines fit the page width, never inside a format directive; a
first line that would wrap becomes `msgid ""`.
No polib here: only po.py may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

from locflow.connectors.po_linebreak import PROHIBITED, UNDEFINED, current_breaker

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}
_ESC_TABLE = str.maketrans(_ESCAPES)
_UNLIMITED = 1 << 30


def escape(text: str) -> str:
    """Escape a value for a PO string literal (quotes not included)."""
    return text.translate(_ESC_TABLE)


# --- format directives (no breaks inside them, as write-po.c) ---------------------------

_DIGITS = "0123456789"
_PRI_SIZES = (
    "MAX",
    "PTR",
    "LEAST8",
    "LEAST16",
    "LEAST32",
    "LEAST64",
    "FAST8",
    "FAST16",
    "FAST32",
    "FAST64",
    "8",
    "16",
    "32",
    "64",
)


def _digits(s: str, j: int) -> int:
    while j < len(s) and s[j] in _DIGITS:
        j += 1
    return j


def _c_directives(s: str, is_msgstr: bool) -> list[tuple[int, int]]:
    """Spans [start, end] of C directives up to the first invalid one (format-c.c)."""
    out: list[tuple[int, int]] = []
    n, i = len(s), 0
    kinds: set[bool] = set()  # True: numbered (%1$s), False: unnumbered; never both

    def use(numbered: bool) -> bool:
        kinds.add(numbered)
        return len(kinds) == 1

    while (i := s.find("%", i)) >= 0:
        j, numbered = i + 1, False
        k = _digits(s, j)
        if k > j and k < n and s[k] == "$":
            if int(s[j:k]) == 0:
                return out
            j, numbered = k + 1, True
        while j < n and (s[j] in " +-#0'" or (is_msgstr and s[j] == "I")):
            j += 1
        for precision in (False, True):
            if precision:
                if j >= n or s[j] != ".":
                    break
                j += 1
            if j < n and s[j] == "*":
                k = _digits(s, j + 1)
                arg = k > j + 1 and k < n and s[k] == "$"
                if arg and int(s[j + 1 : k]) == 0:
                    return out
                j = k + 1 if arg else j + 1
                if not use(arg):
                    return out
            else:
                j = _digits(s, j)
        typed = True
        if s.startswith("<PRI", j):
            k = j + 4
            if k >= n or s[k] not in "diouxX":
                return out
            size = next((z for z in _PRI_SIZES if s.startswith(z, k + 1)), None)
            if size is None or not s.startswith(">", k + 1 + len(size)):
                return out
            j = k + 1 + len(size)
        else:
            while j < n and s[j] in "hlLqjzZt":  # 0.21 takes any run of size letters
                j += 1
            c = s[j] if j < n else ""
            if not c or c not in "%mcsCSdiuoxXeEfFgGaApn":
                return out
            typed = c not in "%m"
        if typed and not use(numbered):
            return out
        out.append((i, j))
        i = j + 1
    return out


def _python_directives(s: str, is_msgstr: bool) -> list[tuple[int, int]]:
    """Spans of Python %-directives up to the first invalid one (format-python.c)."""
    out: list[tuple[int, int]] = []
    n, i = len(s), 0
    named = unnamed = False
    while (i := s.find("%", i)) >= 0:
        j, has_name = i + 1, False
        if j < n and s[j] == "(":
            depth, j = 0, j + 1
            while j < n and not (s[j] == ")" and depth == 0):
                depth += 1 if s[j] == "(" else -1 if s[j] == ")" else 0
                j += 1
            if j >= n:
                return out
            j, has_name = j + 1, True
        while j < n and s[j] in "-+ #0":
            j += 1
        star = False
        if j < n and s[j] == "*":
            j, star = j + 1, True
        else:
            j = _digits(s, j)
        if j < n and s[j] == ".":
            j += 1
            if j < n and s[j] == "*":
                j, star = j + 1, True
            else:
                j = _digits(s, j)
        if j < n and s[j] in "hlL":
            j += 1
        if j >= n or s[j] not in "%csrdiuoxXeEfgG":  # gettext 0.21: no %a, no %F
            return out
        if has_name and (star or s[j] == "%"):
            return out
        if s[j] != "%":
            named, unnamed = named or has_name, unnamed or not has_name
            if named and unnamed:
                return out
        out.append((i, j))
        i = j + 1
    return out


def _brace_directives(s: str, is_msgstr: bool) -> list[tuple[int, int]]:
    """`{name}` directives as gettext 0.21 recognises them (a name of [A-Za-z0-9_])."""
    out: list[tuple[int, int]] = []
    i = s.find("{")
    while i >= 0:
        j = i + 1
        while j < len(s) and s[j].isascii() and (s[j].isalnum() or s[j] == "_"):
            j += 1
        if j > i + 1 and j < len(s) and s[j] == "}":
            out.append((i, j))
            i = j
        i = s.find("{", i + 1)
    return out


_FORMATS: dict[str, Callable[[str, bool], list[tuple[int, int]]]] = {
    "c": _c_directives,
    "objc": _c_directives,
    "python": _python_directives,
    "python-brace": _brace_directives,
}
# gettext's NFORMATS order: only the first format flag that applies is used.
_FORMAT_ORDER = ("c", "objc", "python", "python-brace")


def format_kind(flags: Sequence[str]) -> str | None:
    """The format whose directives must not be broken, from an entry's flags."""
    present = set()
    for flag in flags:
        name = flag[len("possible-") :] if flag.startswith("possible-") else flag
        if name.endswith("-format") and not name.startswith("no-"):
            present.add(name[: -len("-format")])
    for kind in _FORMAT_ORDER:
        if kind in present:
            return kind
    return None


def _inside_directives(value: str, kind: str | None, is_msgstr: bool) -> frozenset[int]:
    fn = _FORMATS.get(kind or "")
    if fn is None:
        return frozenset()
    return frozenset(k for a, b in fn(value, is_msgstr) for k in range(a + 1, b + 1))


# --- wrap() ------------------------------------------------------------------------------


def wrap_string(
    prefix: str,
    name: str,
    value: str,
    width: int | None,
    charset: str = "UTF-8",
    fmt: str | None = None,
    continuation: bool = False,
) -> list[str]:
    """The lines (without newline) for `name "value"`, exactly as write-po.c's wrap().

    `continuation` renders only the string lines, as if `name ""` had been written already.
    """
    lines: list[str] = []
    avail = (width if width is not None else _UNLIMITED) - 1 - (len(prefix) + 1)
    first = not continuation
    pos, n = 0, len(value)
    inside: frozenset[int] | None = None
    while True:
        nl = value.find("\n", pos)
        end = n if nl < 0 else nl + 1
        portion = value[pos:end]
        esc = portion.translate(_ESC_TABLE)
        while True:
            startcol = len(name) + 1 if first else 0
            breaks: tuple[int, ...] = ()
            if esc and startcol + (len(esc) if esc.isascii() else 2 * len(esc)) > avail:
                if inside is None:
                    inside = _inside_directives(value, fmt, name.startswith("msgstr"))
                breaks = current_breaker()(
                    esc, avail, startcol, _overrides(portion, esc, pos, inside), charset
                )
            if first and esc and (end < n or startcol > avail or breaks):
                lines.append(f'{prefix}{name} ""')
                first = False
                continue
            break
        head = f"{prefix}{name} " if first else prefix
        if breaks:
            cuts = (*breaks, len(esc))
            lines.append(f'{head}"{esc[: cuts[0]]}"')
            lines.extend(f'{prefix}"{esc[a:b]}"' for a, b in pairwise(cuts))
        else:
            lines.append(f'{head}"{esc}"')
        first = False
        pos = end
        if pos >= n:
            return lines


def _overrides(portion: str, esc: str, base: int, inside: frozenset[int]) -> list[int] | None:
    if not inside and len(esc) == len(portion):
        return None
    out: list[int] = []
    for k, ch in enumerate(portion):
        brk = PROHIBITED if (base + k) in inside else UNDEFINED
        if ch in _ESCAPES:
            out += (brk, PROHIBITED)
        else:
            out.append(brk)
    if portion.endswith("\n"):
        out[-2] = PROHIBITED
    return out


# --- comments and whole entries -------------------------------------------------------


def comment_lines(mark: str, text: str) -> list[str]:
    """`# text` / `#. text` lines; an empty line of text gives a bare mark."""
    return [f"{mark} {line}" if line else mark for line in text.split("\n")]


def reference_lines(occurrences: Sequence[tuple[str, str]], width: int | None) -> list[str]:
    """`#:` lines filled up to the page width (79 when strings are not wrapped)."""
    page = width if width is not None else 79
    lines: list[str] = []
    cur, column = "#:", 2
    for path, line in occurrences:
        ref = f"{path}:{line}" if line else path
        if column > 2 and column + len(ref) + 1 > page:
            lines.append(cur)
            cur, column = "#:", 2
        cur += " " + ref
        column += len(ref) + 1
    if column > 2:
        lines.append(cur)
    return lines


def flags_line(flags: Sequence[str]) -> list[str]:
    """`#, fuzzy, c-format`: fuzzy first, the others in their given order."""
    ordered = (["fuzzy"] if "fuzzy" in flags else []) + [f for f in flags if f != "fuzzy"]
    return [f"#, {', '.join(ordered)}"] if ordered else []


def fields_lines(
    prefix: str,
    fields: Sequence[tuple[str, str | None]],
    width: int | None,
    charset: str,
    fmt: str | None,
) -> list[str]:
    """`name "value"` blocks for each field whose value is not None."""
    return [
        line
        for name, value in fields
        if value is not None
        for line in wrap_string(prefix, name, value, width, charset, fmt)
    ]


def msgstr_fields(forms: Sequence[str], plural: bool) -> list[tuple[str, str | None]]:
    if not plural:
        return [("msgstr", forms[0] if forms else "")]
    return [(f"msgstr[{i}]", form) for i, form in enumerate(forms or ("", ""))]
