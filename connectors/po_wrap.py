"""Rendering PO strings and comments the way GNU gettext's write-po.c does.

Line breaking follows `wrap()` in write-po.c: a string is cut after each embedded "\\n",
each portion is escaped, and Unicode line breaking (UAX #14, as libunistring does it) picks
where a portion may be cut so its lines fit the page width; a first line that would wrap
becomes `msgid ""`. The break opportunities come from libunistring itself when it can be
loaded (it is the library GNU gettext links), which makes the output identical to msgcat's;
otherwise a small pure-Python subset of UAX #14 is used that agrees on ordinary text.
No polib here: only po.py may import it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise

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
UNDEFINED, PROHIBITED, POSSIBLE = 0, 1, 2
_LIBS = ("libunistring.so.5", "libunistring.so.2", "libunistring.5.dylib", "libunistring.dylib")
_CJK_CHARSETS = frozenset({"EUC-JP", "GB2312", "GBK", "EUC-TW", "BIG5", "EUC-KR", "CP949", "JOHAB"})

Breaker = Callable[[str, int, int, "Sequence[int] | None", str], tuple[int, ...]]


def escape(text: str) -> str:
    """Escape a value for a PO string literal (quotes not included)."""
    return text.translate(_ESC_TABLE)


# --- line breaking backends -------------------------------------------------------------


@lru_cache(maxsize=1)
def _unistring() -> Callable[..., int] | None:
    """libunistring's u8_width_linebreaks (the library GNU gettext links), if loadable."""
    for name in (*_LIBS, None):
        try:
            lib = ctypes.CDLL(name or ctypes.util.find_library("unistring") or _LIBS[0])
        except OSError:
            continue
        fn = getattr(lib, "u8_width_linebreaks_v2", None) or getattr(
            lib, "u8_width_linebreaks", None
        )
        if fn is not None:
            fn.restype = ctypes.c_int
            fn.argtypes = [
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_char_p,
            ]
            return fn  # type: ignore[no-any-return]
    return None


def unistring_breaks(
    text: str, width: int, startcol: int, overrides: Sequence[int] | None, charset: str
) -> tuple[int, ...]:
    """Break positions (indices into `text`) from libunistring's u8_width_linebreaks."""
    fn = _unistring()
    assert fn is not None
    data = text.encode("utf-8")
    starts = None  # byte offset -> character index, when they differ
    if len(data) != len(text):
        starts, pos = {}, 0
        for i, ch in enumerate(text):
            starts[pos] = i
            pos += len(ch.encode("utf-8"))
    o = None
    if overrides is not None:
        ob = bytearray(len(data))
        for i, pos in enumerate(starts or range(len(data))):
            ob[pos] = overrides[starts[pos] if starts else i]
        o = bytes(ob)
    buf = ctypes.create_string_buffer(len(data))
    fn(data, len(data), width, startcol, 0, o, charset.encode("ascii", "replace"), buf)
    found = [i for i, v in enumerate(buf.raw) if v == POSSIBLE]
    return tuple(starts[b] for b in found) if starts else tuple(found)


# Pure-Python fallback: the UAX #14 rules that matter for ordinary text.
_SP, _AL, _NU, _HY, _BA, _B2, _SY, _IS, _EX, _OP, _CL, _CP, _QU, _ID, _CM, _GL, _ZW, _PR = range(18)
_FIXED = {
    " ": _SP,
    "-": _HY,
    "\t": _BA,
    "|": _BA,
    "\u00ad": _BA,
    "\u2010": _BA,
    "\u2012": _BA,
    "\u2013": _BA,
    "\u2014": _B2,
    "/": _SY,
    ".": _IS,
    ",": _IS,
    ";": _IS,
    ":": _IS,
    "!": _EX,
    "?": _EX,
    "(": _OP,
    "[": _OP,
    "{": _OP,
    ")": _CP,
    "]": _CP,
    "}": _CL,
    '"': _QU,
    "'": _QU,
    "\u00a0": _GL,
    "\u202f": _GL,
    "\u2007": _GL,
    "\u2011": _GL,
    "\u200b": _ZW,
    "$": _PR,
    "+": _PR,
    "\\": _PR,
    "%": _PR,
    "\u3001": _CL,
    "\u3002": _CL,
    "\uff0c": _CL,
    "\uff0e": _CL,
}
_NO_BREAK_BEFORE = frozenset({_CL, _CP, _EX, _IS, _SY, _HY, _BA, _CM, _GL, _ZW, _QU})


_BY_CATEGORY = {
    "Mn": _CM,
    "Mc": _CM,
    "Me": _CM,
    "Nd": _NU,
    "Ps": _OP,
    "Pe": _CL,
    "Pi": _QU,
    "Pf": _QU,
    "Sc": _PR,
}


@lru_cache(maxsize=4096)
def _lb_class(ch: str) -> int:
    cls = _FIXED.get(ch)
    if cls is None:
        cat = unicodedata.category(ch)
        cls = _BY_CATEGORY.get(cat, _AL)
        if cls == _AL and unicodedata.east_asian_width(ch) in ("W", "F"):
            cls = _CL if cat == "Po" else _ID
    return cls


@lru_cache(maxsize=4096)
def char_width(ch: str, cjk: bool = False) -> int:
    """Columns a character takes, as libunistring's uc_width (control characters: 0)."""
    c = ord(ch)
    if c < 0x20 or 0x7F <= c < 0xA0:
        return 0
    if c < 0x7F:
        return 1
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") and ch != "\u00ad":
        return 0
    eaw = unicodedata.east_asian_width(ch)
    return 2 if eaw in ("W", "F") or (cjk and eaw == "A") else 1


def display_width(text: str, cjk: bool = False) -> int:
    if text.isascii():
        return len(text)
    return sum(char_width(ch, cjk) for ch in text)


def python_breaks(
    text: str, width: int, startcol: int, overrides: Sequence[int] | None, charset: str
) -> tuple[int, ...]:
    """Approximation of u8_width_linebreaks in pure Python (no libunistring)."""
    cjk = charset in _CJK_CHARSETS
    possible = [False] * len(text)
    last, seen_space = -1, False
    for i, ch in enumerate(text):
        cls = _lb_class(ch)
        if cls == _SP:
            seen_space = True
            continue
        if cls == _CM and last >= 0 and not seen_space:
            continue
        if last < 0 or last == _ZW:
            ok = last == _ZW
        elif seen_space:
            ok = (
                cls not in (_CL, _CP, _EX, _IS, _SY, _ZW, _GL)
                and last != _OP
                and not (last == _QU and cls == _OP)
            )
        elif last == _PR and cls == _PR:
            ok = True
        elif cls in _NO_BREAK_BEFORE or last in (_OP, _QU, _GL, _PR):
            ok = (cls == _QU and last in (_B2, _ID)) or (cls == _GL and last in (_HY, _BA))
        elif last == _HY:
            ok = cls != _NU
        elif (
            last in (_BA, _B2, _CL, _EX)
            or cls in (_B2, _ID)
            or last == _ID
            or (last == _CP and cls == _OP)
        ):
            ok = True
        elif last in (_SY, _IS):
            ok = cls != _NU
        else:
            ok = False
        if overrides is not None and overrides[i] != UNDEFINED:
            ok = overrides[i] == POSSIBLE
        possible[i] = ok
        last, seen_space = cls, False
    result: list[int] = []
    column, piece, last_p = startcol, 0, -1
    for i, ch in enumerate(text):
        if possible[i]:
            if last_p >= 0 and column + piece > width:
                result.append(last_p)
                column = 0
            last_p = i
            column += piece
            piece = 0
        piece += char_width(ch, cjk)
    if last_p >= 0 and column + piece > width:
        result.append(last_p)
    return tuple(result)


_forced: list[Breaker] = []


def set_breaker(breaker: Breaker | None) -> None:
    """Force a line-breaking backend (tests); None restores the default."""
    _forced[:] = [breaker] if breaker is not None else []


def _get_breaker() -> Breaker:
    if _forced:
        return _forced[0]
    return unistring_breaks if _unistring() is not None else python_breaks


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
                breaks = _get_breaker()(
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
