"""What the checks share about the forms they read: how to name one in a message, how to
quote a piece of text, and which source texts a form may mirror."""

from __future__ import annotations

from locflow.catalog.segment import Segment


def short_repr(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def form_label(segment: Segment, i: int) -> str:
    return f"msgstr[{i}]" if segment.is_plural else "msgstr"


def references(segment: Segment) -> tuple[str, ...]:
    """Source texts a form may mirror: msgid for a singular, msgid_plural (or msgid) otherwise."""
    if not segment.is_plural:
        return (segment.msgid,)
    return (segment.msgid_plural or "", segment.msgid)
