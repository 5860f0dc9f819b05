"""Do-not-translate protection: glossary terms an engine must leave as written.

`protect_dnt()` swaps each do-not-translate term for a sentinel shaped like a masking token
(`[X900X]`, `[X901X]`…); `mask()` then treats the sentinel as literal token-like text, so it
travels through the engine as one more opaque token, and `restore_dnt()` puts the term back
after unmasking. Sentinels are numbered from `DNT_BASE` so they never meet the masking
tokens `[X0X]`, `[X1X]`… of the same text.
"""

from __future__ import annotations

from collections.abc import Sequence

DNT_SENTINEL = "[X{}X]"
DNT_BASE = 900
"""DNT terms are protected as token-like sentinels numbered from here before masking."""


def protect_dnt(text: str, dnt: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Replace do-not-translate terms by sentinels that masking turns into tokens."""
    found: dict[str, str] = {}
    for i, term in enumerate(sorted(set(dnt), key=len, reverse=True)):
        if term and term in text:
            sentinel = DNT_SENTINEL.format(DNT_BASE + i)
            text = text.replace(term, sentinel)
            found[sentinel] = term
    return text, found


def restore_dnt(text: str, found: dict[str, str]) -> str:
    for sentinel, term in found.items():
        text = text.replace(sentinel, term)
    return text
