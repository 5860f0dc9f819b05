"""Offline pseudo-localisation: accented, ~35 % longer, bracketed; tokens kept byte for byte.

Deterministic, free and instant, so the demo and the tests need no provider. Glossary
targets are inserted verbatim, which lets term checks pass on pseudo output.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from locflow.connectors.engines.base import (
    EngineStats,
    Limits,
    OverBudget,
    ProbeResult,
    Rejected,
    Request,
    Result,
)
from locflow.connectors.engines.pacing import SharedRateLimit, estimate_tokens
from locflow.connectors.engines.sizing import PackSizing, max_output_tokens
from locflow.connectors.engines.spend import hold_for, spending
from locflow.settings import EngineSettings

_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçðéƒĝĥíĵķļɱñöþǫŕšţûṽŵẋýžÁßÇÐÉƑĜĤÍĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_TOKEN = re.compile(r"\[X\d+X\]")
_FILLER = "ļöŕéɱ íþšûɱ ðöļöŕ šíţ áɱéţ çöñšéçţéţûŕ áðíþíšçíñĝ éļíţ "
_EXPANSION = 0.35
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class PseudoEngine:
    name: str = "pseudo"
    concurrency: int = 4
    reject_marker: str = ""
    """Requests whose text contains this come back Rejected (to exercise error paths)."""

    @classmethod
    def from_settings(
        cls, settings: EngineSettings, *, shared: SharedRateLimit | None = None
    ) -> PseudoEngine:
        """`shared` is ignored: nothing is sent, so there is no account to share."""
        return cls(
            concurrency=max(1, settings.concurrency or DEFAULT_CONCURRENCY),
            reject_marker=str(settings.option("reject", "") or ""),
        )

    @property
    def model(self) -> str:
        return "pseudo"

    def limits(self) -> Limits:
        return Limits(rpm=None, tpm=None, max_input_tokens=None, concurrency=self.concurrency)

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        """One call per string, each within the run's spending guard like a network call."""
        await asyncio.sleep(0)
        out = []
        for request in batch:
            hold = hold_for(estimate_tokens(request.text), max_output_tokens([request]))
            try:
                async with spending(hold) as bill:
                    result = self._one(request)
                    bill.paid(result.tokens_in, result.tokens_out)
            except OverBudget as exc:
                result = Result(key=request.key, text=None, error=exc)
            out.append(result)
        return out

    async def probe(self) -> ProbeResult:
        return ProbeResult(engine=self.name, limits=self.limits())

    def stats(self) -> EngineStats | None:
        return None

    def _one(self, request: Request) -> Result:
        if self.reject_marker and self.reject_marker in request.text:
            return Result(key=request.key, text=None, error=Rejected("rejected by pseudo engine"))
        brackets = MARKDOWN_BRACKETS if request.markup == "markdown" else ("[", "]")
        text = pseudo_localise(request.text, request.terms, brackets)
        return Result(
            key=request.key,
            text=text,
            tokens_in=_words(request.text),
            tokens_out=_words(text),
            model=self.model,
        )


REPLY_RATIO = 1.4
"""Words of a pseudo-localised text per word of its source (35 % longer, in filler words)."""


def _request_words(request: Request) -> int:
    return _words(request.text)


def sizing(settings: EngineSettings) -> PackSizing:
    """One call per string (nothing is packed offline), counted in words as the engine bills."""
    return PackSizing(
        request_tokens=_request_words, line_tokens=_request_words, reply_ratio=REPLY_RATIO
    )


MARKDOWN_BRACKETS = ("⟦", "⟧")
"""Markdown reads `[…]` as link text (Python-Markdown even across the links inside it), so
doc blocks are framed with brackets that are not syntax."""


def pseudo_localise(
    text: str, terms: Sequence[tuple[str, str]] = (), brackets: tuple[str, str] = ("[", "]")
) -> str:
    """`Save [X0X]` → `[Šávé [X0X] ļöŕ]`: same input, same output."""
    if not text.strip():
        return text
    # glossary terms, longest first, also in simple English inflections (notes, notebook's)
    ordered = sorted((t for t in terms if t[0]), key=lambda t: len(t[0]), reverse=True)
    protected = [f"(?P<tok>{_TOKEN.pattern})"]
    protected += [
        rf"(?P<t{i}>(?<!\w){re.escape(src)}(?:s|es|'s|s')?(?!\w))"
        for i, (src, _) in enumerate(ordered)
    ]
    splitter = re.compile("|".join(protected), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for m in splitter.finditer(text):
        out.append(text[pos : m.start()].translate(_ACCENTS))
        name = m.lastgroup or "tok"
        out.append(m.group() if name == "tok" else ordered[int(name[1:])][1])
        pos = m.end()
    out.append(text[pos:].translate(_ACCENTS))
    body = "".join(out)
    pad = math.ceil(len(text) * _EXPANSION)
    filler = (_FILLER * (pad // len(_FILLER) + 1))[:pad].strip()
    opening, closing = brackets
    return f"{opening}{body} {filler}{closing}" if filler else f"{opening}{body}{closing}"


def _words(text: str) -> int:
    return len(text.split())
