"""An in-process engine double: pseudo-translates, and fails the strings it is told to."""

from __future__ import annotations

from collections.abc import Sequence

from locflow.connectors.engines.base import EngineStats, Limits, ProbeResult, Request, Result
from locflow.connectors.engines.pseudo import PseudoEngine


class ScriptedEngine:
    """An in-process engine double for the store step: fails the strings it is told to."""

    name = "scripted"
    model = "scripted"

    def __init__(self, fail: dict[str, Exception]) -> None:
        self.fail = fail
        self.seen: list[Request] = []
        self._pseudo = PseudoEngine()

    def limits(self) -> Limits:
        return Limits(rpm=None, tpm=None, max_input_tokens=None, concurrency=1)

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        self.seen.extend(batch)
        good = await self._pseudo.translate(batch)
        out = []
        for req, res in zip(batch, good, strict=True):
            err = next((e for marker, e in self.fail.items() if marker in req.text), None)
            out.append(Result(req.key, None, err) if err else res)
        return out

    async def probe(self) -> ProbeResult:
        return ProbeResult(engine=self.name, limits=self.limits())

    def stats(self) -> EngineStats | None:
        return None
