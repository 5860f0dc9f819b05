"""reST references as the source wraps them: Sphinx's msgids join lines, its check does not.

Pure: a msgstr, its msgid and the .rst text around the message in, a msgstr out.
"""

from __future__ import annotations

import re

from locflow.catalog.placeholders import mask


def rewrap_like_source(msgstr: str, msgid: str, source: str) -> str:
    """`msgstr` with each masked reST reference or role of `msgid` that holds whitespace
    written with the line breaks `source` (the .rst text around the message) gives it.

    Why: Sphinx's msgid joins a paragraph's lines with spaces, while Sphinx 9 compares each
    reference of the translation with the source's raw text, line break included: a wrapped
    `` `official⏎tutorial`_ `` kept as the msgid has it is warned about as inconsistent
    (the link still works). The reference's text is the same either way; only where it
    breaks changes, as docutils keeps it (indentation dropped).
    """
    for token in mask(msgid, ()).tokens:
        original = token.original
        if token.kind not in ("rst-ref", "rst-role") or not _WHITESPACE.search(original):
            continue
        parts = _SPACES.split(original)  # whitespace runs kept: a target's leading space too
        pattern = "".join(r"\s+" if i % 2 else re.escape(p) for i, p in enumerate(parts))
        found = re.search(pattern, source)
        if found is None or found.group() == original:
            continue
        raw = re.sub(r"\n[ \t]+", "\n", found.group())
        if original in msgstr and " ".join(raw.split()) == " ".join(original.split()):
            msgstr = msgstr.replace(original, raw, 1)
    return msgstr


_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"(\s+)")
