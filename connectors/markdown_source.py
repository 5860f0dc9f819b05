"""Markdown source text: decoding, line offsets and front matter (YAML `---` / TOML `+++`).

Front matter is found and validated here; the values of configured keys are located down
to their exact characters so a translation can replace them without touching anything else,
and `encode_value` writes a translated value back in the original quoting style (or a safer
one when the original cannot hold the new text).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

try:  # PyYAML comes with Prefect; without it YAML front matter is checked by shape only
    import yaml
except ImportError:  # pragma: no cover - exercised only in a stripped environment
    yaml = None

EOL = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"
_DELIMS = {"---": "yaml", "+++": "toml"}
_YAML_ENTRY = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]*)[ \t]*:[ \t]+"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s#'\"&*!|>%@`{}\[\],?:-][^\n]*?)"
    r"[ \t]*(?:[ \t]#.*)?$"
)
_TOML_ENTRY = re.compile(
    r"(?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
    r"[ \t]*(?:#.*)?$"
)
_TOML_TABLE = re.compile(r"[ \t]*\[")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class MarkdownError(ValueError):
    """A document that cannot be read safely; str(e) is `path:line: what is wrong`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message

    def __reduce__(self) -> tuple[type, tuple[str, int, str]]:
        return (MarkdownError, (self.path, self.line, self.message))


def decode(text: str | bytes, path: str) -> str:
    """The document as str; invalid UTF-8 (or lone surrogates in a str) is an error."""
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text.count(b"\n", 0, exc.start) + 1
            raise MarkdownError(path, line, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise MarkdownError(path, line, "text is not valid Unicode (lone surrogate)") from None
    return text


@dataclass(frozen=True)
class Lines:
    """Where each line starts and ends (without its line break) in a text."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> Lines:
        starts, ends = [0], []
        for m in EOL.finditer(text):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(text))
        return cls(tuple(starts), tuple(ends))

    def line_of(self, offset: int) -> int:
        """0-based line holding `offset`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo


@dataclass(frozen=True)
class FrontMatter:
    format: str
    """yaml | toml"""
    first: int
    """0-based line of the opening delimiter (after a BOM, always 0)."""
    last: int
    """0-based line of the closing delimiter."""
    body_start: int
    body_end: int
    """Offsets of the text between the delimiter lines."""
    data: Any
    """The parsed front matter (a dict for the usual case), None if it could not be parsed."""


@dataclass(frozen=True)
class FrontValue:
    key: str
    value: str
    start: int
    end: int
    """Offsets of the value as written, quotes included."""
    line: int
    """1-based."""
    style: str
    """yaml: plain | single | double; toml: basic | literal."""


def find_front_matter(text: str, lines: Lines, path: str) -> FrontMatter | None:
    """The front matter at the top of `text`, validated; None when there is none."""
    first = text[lines.starts[0] : lines.ends[0]].removeprefix(BOM).rstrip(" \t")
    fmt = _DELIMS.get(first)
    if fmt is None:
        return None
    closers = ("---", "...") if fmt == "yaml" else ("+++",)
    for n in range(1, len(lines.starts)):
        if text[lines.starts[n] : lines.ends[n]].rstrip(" \t") in closers:
            break
    else:
        raise MarkdownError(
            path, 1, f"unterminated {fmt.upper()} front matter (no closing {first})"
        )
    body_start = lines.starts[1]
    body_end = lines.starts[n]
    body = text[body_start:body_end]
    data = _load(fmt, body, path)
    return FrontMatter(fmt, 0, n, body_start, body_end, data)


def _load(fmt: str, body: str, path: str) -> Any:
    if fmt == "toml":
        try:
            return tomllib.loads(body)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            if line is None:
                m = re.search(r"at line (\d+)", str(exc))
                line = int(m[1]) if m else 1
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise MarkdownError(path, line + 1, f"invalid TOML front matter: {reason}") from None
    if yaml is None:  # pragma: no cover
        return None
    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 2
        reason = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise MarkdownError(path, line, f"invalid YAML front matter: {reason}") from None


def front_values(text: str, lines: Lines, fm: FrontMatter, keys: Sequence[str]) -> list[FrontValue]:
    """Single-line string values of top-level `keys`, where the parser agrees on the value."""
    wanted = set(keys)
    found: list[FrontValue] = []
    seen: set[str] = set()
    data = fm.data if isinstance(fm.data, dict) else None
    for n in range(fm.first + 1, fm.last):
        raw = text[lines.starts[n] : lines.ends[n]]
        if fm.format == "toml" and _TOML_TABLE.match(raw):
            break  # keys below a [table] header are not top-level
        m = (_YAML_ENTRY if fm.format == "yaml" else _TOML_ENTRY).match(raw)
        if m is None or m["key"] not in wanted or m["key"] in seen:
            continue
        seen.add(m["key"])
        written = m["value"]
        style, value = _decode_value(fm.format, written)
        if value is None or (data is not None and data.get(m["key"]) != value):
            continue  # a multi-line plain scalar, a number, a date…: not a simple string
        if fm.format == "yaml" and data is None and style == "plain":
            continue  # cannot tell a plain string from a number without the parser
        start = lines.starts[n] + m.start("value")
        found.append(FrontValue(m["key"], value, start, start + len(written), n + 1, style))
    return found


def _decode_value(fmt: str, written: str) -> tuple[str, str | None]:
    if fmt == "yaml":
        if written.startswith('"'):
            return "double", _json_string(written)
        if written.startswith("'"):
            return "single", written[1:-1].replace("''", "'")
        return "plain", written
    if written.startswith('"'):
        return "basic", _json_string(written)
    return "literal", written[1:-1]


def _json_string(written: str) -> str | None:
    try:
        value = json.loads(written)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def encode_value(fmt: str, style: str, value: str) -> str:
    """`value` written for a front matter of `fmt` in `style`, or in double quotes when that
    style cannot hold it; the result always parses back to `value`."""
    candidates: list[str] = []
    if fmt == "yaml":
        if style == "plain":
            candidates.append(value)
        if style in ("plain", "single") and not _CONTROL.search(value):
            candidates.append("'" + value.replace("'", "''") + "'")
    elif style == "literal" and "'" not in value and not _CONTROL.search(value):
        candidates.append("'" + value + "'")
    candidates.append(_basic_string(value))
    for written in candidates:
        if _parses_to(fmt, written, value):
            return written
    return candidates[-1]


def _basic_string(value: str) -> str:
    """A double-quoted string valid in both YAML and TOML."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", out) + '"'


def _parses_to(fmt: str, written: str, value: str) -> bool:
    try:
        if fmt == "toml":
            return tomllib.loads(f"k = {written}\n") == {"k": value}
        if yaml is None:  # pragma: no cover
            return written.startswith('"')
        return yaml.safe_load(f"k: {written}\n") == {"k": value}
    except Exception:  # any parse failure means: not this style
        return False
