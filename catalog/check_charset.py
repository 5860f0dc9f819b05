"""Text the target catalogue's charset cannot encode (`ţ`, `’`, `€`, CJK in an ISO-8859-15
or latin-1 catalogue).

Export cannot write such text into the catalogue as it stands: the entry keeps its previous
text or is left out (pipeline.export_merge.fit_charset). Flagging it when it is translated
puts the string in front of a reviewer instead of letting it vanish at export.
"""

from __future__ import annotations

import codecs

from locflow.catalog.check_forms import CheckContext, Forms, form_label
from locflow.catalog.segment import Segment

_SHOWN = 5
"""Characters named in the message; more are counted."""


def charset_codec(charset: str) -> str | None:
    """Python's codec for a catalogue charset, or None when any text fits (UTF-8, the
    `CHARSET` placeholder of a template, a name Python does not know)."""
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        return None
    return None if name in ("utf-8", "utf_8") else name


def unencodable(text: str, codec: str) -> list[str]:
    """The distinct characters of `text` that `codec` cannot encode, in order."""
    try:
        text.encode(codec)
        return []
    except UnicodeEncodeError:
        pass
    bad: list[str] = []
    for ch in dict.fromkeys(text):
        try:
            ch.encode(codec)
        except UnicodeEncodeError:
            bad.append(ch)
    return bad


def charset_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Characters the target catalogue's charset cannot hold, named with the charset."""
    codec = charset_codec(ctx.charset)
    if codec is None:
        return None
    found: dict[str, None] = {}
    labels: list[str] = []
    for i, text in enumerate(forms):
        bad = unencodable(text, codec)
        if bad:
            found.update(dict.fromkeys(bad))
            labels.append(form_label(segment, i))
    if not found:
        return None
    chars = list(found)
    named = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in chars[:_SHOWN])
    more = f" and {len(chars) - _SHOWN} more" if len(chars) > _SHOWN else ""
    where = labels[0] + " has" if len(labels) == 1 else ", ".join(labels) + " have"
    return (
        f"{where} {named}{more}, which the catalogue's charset {ctx.charset} cannot "
        f"encode: export keeps the previous text or leaves it out "
        f'(or set [export] charset = "utf-8")'
    )
