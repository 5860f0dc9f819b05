"""Qwen-MT (Alibaba Cloud Model Studio) through its OpenAI-compatible API.

Every call is exactly one `user` message whose content is only the masked source text (no
system message, no instructions); languages, glossary terms, memory examples and the domain
hint travel in `extra_body={"translation_options": …}`. Unsupported languages are refused
before anything is sent. The `openai` client's own retries are off: pacing (RPM and TPM,
spread per second), retries and verified packing are `PackingTranslator`'s.

Packing. Qwen-MT has no JSON mode and takes one message, so several strings go into that
message one per line, each line opened by a numbered marker: `⟦1⟧ Save\\n⟦2⟧ Open [X0X]`.
Why this shape: MT models keep line structure (format preservation is a documented strength)
and pass digits and symbols through untranslated; `⟦⟧` (U+27E6/U+27E7) never occur in UI text,
so a marker cannot collide with content, and they do not look like a `[X0X]` placeholder
token. The numbers make merged, dropped, reordered or split lines and chatter detectable: a
reply parses only when it carries exactly ⟦1⟧…⟦n⟧ in order with nothing before the first.
Strings with a line break or a marker-like character are sent alone. Anything that does not
parse or verify is split by `PackingTranslator`, down to one string per request, where the
content is the bare text again. How reliably the real models keep the markers is
UNCONFIRMED; the verification is what makes packing safe, and `stats()` shows how it fares.

Sizing. At Qwen-MT's limits a run is bound by its request count, so a pack is cut by a token
budget (`pack_tokens`, default TPM / RPM less a margin), not a small count: `pack_size` only
caps it. The `[engine]` keys are read and checked in qwen_settings.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import openai

from locflow.connectors.engines.base import (
    EngineStats,
    Fatal,
    Limits,
    LocaleRefused,
    ProbeResult,
    Request,
    Result,
    Unanswered,
)
from locflow.connectors.engines.http_errors import from_openai_error
from locflow.connectors.engines.languages import UnsupportedLanguage, qwen_language
from locflow.connectors.engines.pacing import Pacer, RetryPolicy, SharedRateLimit, estimate_tokens
from locflow.connectors.engines.packing import PackingTranslator, PackReply
from locflow.connectors.engines.qwen_settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_RPM,
    DEFAULT_TPM,
    MAX_OUTPUT_TOKENS,
    OVERHEAD_TOKENS,
    REGIONS,
    _api_key,
    _domains,
    _max_pack,
    _model,
    _region,
    max_input,
    pack_tokens,
)
from locflow.connectors.engines.sizing import PackSizing, max_output_tokens, text_line_tokens
from locflow.settings import EngineSettings

_MARKER = re.compile(r"[⟦〚]\s*(\d{1,4})\s*[⟧〛]")
_MARKER_CHARS = re.compile(r"[⟦⟧〚〛\n\r]")


def pack_texts(texts: Sequence[str]) -> str:
    """One line per string, each opened by its number: `⟦1⟧ text`."""
    return "\n".join(f"⟦{i}⟧ {text}" for i, text in enumerate(texts, 1))


def unpack_texts(reply: str, count: int) -> list[str] | None:
    """The `count` texts of a packed reply, or None when it is not exactly ⟦1⟧…⟦count⟧."""
    marks = list(_MARKER.finditer(reply))
    if [int(m[1]) for m in marks] != list(range(1, count + 1)):
        return None
    if reply[: marks[0].start()].strip():
        return None  # chatter before the first line
    texts = []
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        piece = reply[m.end() : nxt.start() if nxt else len(reply)].strip()
        if "\n" in piece or "\r" in piece:
            return None  # a line broken in two, or chatter after the last one
        texts.append(piece)
    return texts


def packable(request: Request) -> bool:
    return _MARKER_CHARS.search(request.text) is None


def _pairs(groups: Iterable[Iterable[tuple[str, str]]]) -> list[dict[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for group in groups:
        for source, target in group:
            if source and target:
                seen.setdefault((source, target), None)
    return [{"source": s, "target": t} for s, t in seen]


@dataclass(frozen=True, kw_only=True)
class QwenProbe(ProbeResult):
    """What `QwenMTEngine.probe` saw."""

    sent: ClassVar[bool] = True
    model: str
    region: str
    base_url: str
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    reply_model: str
    text: str

    def as_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "model": self.model,
            "region": self.region,
            "base_url": self.base_url,
            "limits": asdict(self.limits),
            "latency_s": self.latency_s,
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
            "reply_model": self.reply_model,
            "text": self.text,
        }


def max_tokens(requests: Sequence[Request]) -> int:
    """`max_tokens` of one call: a multiple of its text's estimate, within the model's
    output limit; it bounds what the call can cost."""
    return max_output_tokens(requests, cap=MAX_OUTPUT_TOKENS)


def request_tokens(request: Request) -> int:
    """Input tokens one string adds to a call: its line, its terms and memory pairs."""
    pairs = (*request.terms, *request.memory)
    return text_line_tokens(request) + sum(
        estimate_tokens(s) + estimate_tokens(t) + 3 for s, t in pairs
    )


def sizing(settings: EngineSettings) -> PackSizing:
    """How calls are sized for `[engine]` (no API key needed: the dry run uses it too)."""
    cap = _max_pack(settings)
    return PackSizing(
        max_pack=cap if settings.pack else 1,
        max_input_tokens=pack_tokens(settings, cap),
        overhead_tokens=OVERHEAD_TOKENS + estimate_tokens(_domains(settings)),
        request_tokens=request_tokens,
        packable=packable,
        output_tokens=max_tokens,
    )


class QwenMTEngine:
    """The `qwen_mt` engine. The API key comes only from `DASHSCOPE_API_KEY` in `env`;
    `shared`: the account's rate limits across processes (None: this process paces alone)."""

    name = "qwen_mt"

    def __init__(
        self,
        settings: EngineSettings,
        *,
        shared: SharedRateLimit | None = None,
        env: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.model = _model(settings)
        self.region = _region(settings)
        self.base_url = (settings.base_url or REGIONS[self.region]).rstrip("/")
        self._key = _api_key(os.environ if env is None else env, self.region)
        self.domains = _domains(settings)
        self.timeout = settings.timeout
        self._limits = Limits(
            rpm=settings.rpm or DEFAULT_RPM,
            tpm=settings.tpm or DEFAULT_TPM[self.region],
            max_input_tokens=max_input(settings),
            concurrency=max(1, settings.concurrency or DEFAULT_CONCURRENCY),
        )
        self._translator = PackingTranslator(
            self._send,
            pacer=Pacer(self._limits.rpm, self._limits.tpm, shared=shared),
            policy=policy or RetryPolicy.for_retries(settings.retries),
            concurrency=self._limits.concurrency,
            sizing=sizing(settings),
            adaptive=settings.adaptive,
        )
        self._names: dict[str, str] = {}
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]
        self._clients = weakref.WeakKeyDictionary()

    # --- Engine -------------------------------------------------------------------------

    def limits(self) -> Limits:
        return self._limits

    def stats(self) -> EngineStats:
        return self._translator.stats.snapshot()

    def pack_sizes(self) -> dict[str, int]:
        """AdaptivePacking: strings per pack now, by target locale."""
        return self._translator.pack_sizes()

    def resume_pack_sizes(self, sizes: Mapping[str, int]) -> None:
        """AdaptivePacking: start from `sizes` (within `pack_size`; ignored unless adaptive)."""
        self._translator.resume_pack_sizes(sizes)

    def language(self, locale: str, error: type[Fatal] = Fatal) -> str:
        """The English name this model takes for `locale`; `error` when it has none."""
        name = self._names.get(locale)
        if name is None:
            try:
                name = self._names[locale] = qwen_language(locale, self.model)
            except UnsupportedLanguage as exc:
                raise error(str(exc)) from None
        return name

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        for request in batch:  # refuse unsupported languages before any request
            self.language(request.source_locale)
            self.language(request.target_locale, LocaleRefused)
        todo = [r for r in batch if r.text.strip()]
        done = iter(await self._translator.translate(todo) if todo else [])
        return [
            next(done) if r.text.strip() else Result(r.key, r.text, model=self.model) for r in batch
        ]

    async def probe(self) -> QwenProbe:
        """One tiny real request, English to Chinese (no retries). Never the key."""
        request = Request("probe", "Hello, world!", "en", "zh")
        self.language(request.source_locale)
        self.language(request.target_locale)
        started = time.perf_counter()
        reply = await self._send([request])
        return QwenProbe(
            engine=self.name,
            limits=self._limits,
            model=self.model,
            region=self.region,
            base_url=self.base_url,
            latency_s=round(time.perf_counter() - started, 3),
            prompt_tokens=reply.tokens_in,
            completion_tokens=reply.tokens_out,
            reply_model=reply.model,
            text=(reply.texts or [""])[0],
        )

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    # --- one HTTP call ------------------------------------------------------------------

    def _client(self) -> Any:
        """One AsyncOpenAI client per event loop (its connection pool belongs to the loop).

        The HTTP client is passed in so that a client left behind by a finished loop is
        simply dropped: the SDK's own wrapper would try to close it on the next loop."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            timeout = openai.Timeout(self.timeout, connect=min(10.0, self.timeout))
            client = self._clients[loop] = openai.AsyncOpenAI(
                api_key=self._key,
                base_url=self.base_url,
                max_retries=0,
                timeout=timeout,
                http_client=openai.DefaultAsyncHttpxClient(timeout=timeout),
            )
        return client

    def options(self, requests: Sequence[Request]) -> dict[str, Any]:
        """The `translation_options` of one call (all its requests share the language pair)."""
        first = requests[0]
        options: dict[str, Any] = {
            "source_lang": self.language(first.source_locale),
            "target_lang": self.language(first.target_locale),
        }
        if terms := _pairs(r.terms for r in requests):
            options["terms"] = terms
        if memory := _pairs(r.memory for r in requests):
            options["tm_list"] = memory
        if self.domains:
            options["domains"] = self.domains
        return options

    async def _send(self, requests: Sequence[Request]) -> PackReply:
        single = len(requests) == 1
        content = requests[0].text if single else pack_texts([r.text for r in requests])
        try:
            response = await self._client().chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": content}],
                max_tokens=max_tokens(requests),
                extra_body={"translation_options": self.options(requests)},
            )
        except openai.APIError as exc:
            raise from_openai_error(exc, secrets=[self._key]) from None
        if not response.choices:
            raise Unanswered("qwen_mt: a reply without choices")
        choice = response.choices[0]
        text = (choice.message.content or "").strip()
        usage = response.usage
        return PackReply(
            texts=([text] if text else None) if single else unpack_texts(text, len(requests)),
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
            model=response.model or self.model,
            has_usage=usage is not None,
            truncated=choice.finish_reason == "length",
        )
