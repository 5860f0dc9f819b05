"""Where a PO string line may break, and how wide a character is, as libunistring says.

GNU gettext's write-po.c asks libunistring's u8_width_linebreaks (UAX #14 line breaking
with column widths) where a string may be cut. That library is used here through ctypes
when it can be loaded, which makes the output identical to msgcat's; otherwise a small
pure-Python subset of UAX #14 (the class tables below) agrees on ordinary text.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

UNDEFINED, PROHIBITED, POSSIBLE = 0, 1, 2
"""Per-character break overrides, as libunistring's UC_BREAK_* values."""
_LIBS = ("libunistring.so.5", "libunistring.so.2", "libunistring.5.dylib", "libunistring.dylib")
_CJK_CHARSETS = frozenset({"EUC-JP", "GB2312", "GBK", "EUC-TW", "BIG5", "EUC-KR", "CP949", "JOHAB"})

Breaker = Callable[[str, int, int, "Sequence[int] | None", str], tuple[int, ...]]


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


def current_breaker() -> Breaker:
    """The forced backend, else libunistring when it loads, else the pure-Python one."""
    if _forced:
        return _forced[0]
    return unistring_breaks if _unistring() is not None else python_breaks
