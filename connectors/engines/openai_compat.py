"""Local OpenAI-compatible servers: vLLM, Ollama, llama.cpp.

`[engine] mode = "chat"` (the default, for instruct models such as Qwen3) packs several
strings into one chat call with a JSON-schema reply, Qwen3 thinking off, and any
`<think>` stripped; every packed reply is verified by the PackingTranslator and split
when it does not add up. `mode = "completion"` (for base models such as Gemma 3 270M)
sends one string per `/v1/completions` call with a few-shot prompt, cut at the newline.

`[engine]` keys: base_url (default http://127.0.0.1:8000/v1), model (empty: the server's
first), mode, server ("ollama" adds `reasoning_effort: none`), pack / pack_size (strings
per chat call, default 8), concurrency (requests in flight; unset: llama.cpp's `/props`
`total_slots`, else 1; raise it for vLLM), rpm / tpm (unpaced by default), timeout, domains,
temperature (default 0), max_input_tokens. The API key comes from OPENAI_API_KEY and is
optional.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import openai

from locflow.connectors.engines.base import (
    EngineStats,
    Fatal,
    Limits,
    Request,
    Result,
    Unanswered,
)
from locflow.connectors.engines.http_errors import from_openai_error
from locflow.connectors.engines.local_server import CompatProbe, Concurrency, ask_total_slots
from locflow.connectors.engines.pacing import (
    Pacer,
    RetryPolicy,
    SharedRateLimit,
    estimate_tokens,
    with_retries,
)
from locflow.connectors.engines.packing import PackingTranslator, PackReply, PackStats
from locflow.connectors.engines.prompts import (
    FORMATS,
    chat_messages,
    completion_prompt,
    parse_items,
    response_format,
    strip_think,
)
from locflow.connectors.engines.sizing import PackSizing
from locflow.settings import EngineSettings

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
MODES = ("chat", "completion")
DEFAULT_PACK = 8
_NEWLINE = "[X999X]"
"""Stands for a raw newline in completion mode, where the prompt is one line per string."""
N = TypeVar("N", int, float)


@dataclass(frozen=True)
class CompatOptions:
    """The engine-specific part of `[engine]`, read from EngineSettings.extra."""

    mode: str = "chat"
    server: str = ""
    """"ollama" adds `reasoning_effort: none` (Ollama ignores `chat_template_kwargs`)."""
    max_pack: int = DEFAULT_PACK
    temperature: float = 0.0
    max_input_tokens: int | None = None

    @classmethod
    def from_settings(cls, settings: EngineSettings) -> CompatOptions:
        mode = str(settings.option("mode", "chat") or "chat").lower()
        if mode not in MODES:
            raise ValueError(f"[engine] mode must be one of {', '.join(MODES)}, got {mode!r}")
        max_tokens = _number(settings, "max_input_tokens", 0, int)
        pack = _number(settings, "pack_size", settings.option("batch_size", DEFAULT_PACK), int)
        return cls(
            mode=mode,
            server=str(settings.option("server", "") or "").lower(),
            max_pack=max(1, pack) if settings.pack and mode == "chat" else 1,
            temperature=_number(settings, "temperature", 0.0, float),
            max_input_tokens=max_tokens or None,
        )


def _number(settings: EngineSettings, key: str, default: object, kind: type[N]) -> N:
    value = settings.option(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"[engine] {key} must be a number, got {value!r}")
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"[engine] {key} must be a number, got {value!r}") from None


def chat_max_tokens(requests: Sequence[Request]) -> int:
    """`max_tokens` of a chat call, a multiple of its input (it bounds what the call can
    cost): the JSON reply carries every string."""
    size = sum(estimate_tokens(r.text) for r in requests)
    return 64 + 3 * size + 16 * len(requests)


def completion_max_tokens(requests: Sequence[Request]) -> int:
    """`max_tokens` of a completion: one line, a multiple of its input."""
    text = "".join(r.text.replace("\r\n", "\n").replace("\n", _NEWLINE) for r in requests)
    return 32 + 3 * estimate_tokens(text)


def sizing(settings: EngineSettings) -> PackSizing:
    """How calls are sized for `[engine]` (the engine's driver and the dry run share it)."""
    options = CompatOptions.from_settings(settings)
    chat = options.mode == "chat"
    return PackSizing(
        max_pack=options.max_pack,
        max_input_tokens=options.max_input_tokens,
        overhead_tokens=120 if chat else 80,
        output_tokens=chat_max_tokens if chat else completion_max_tokens,
    )


class OpenAICompatEngine:
    """An Engine over `/v1/chat/completions` or `/v1/completions` of a local server;
    `shared`: rate limits shared across processes (None: this process paces alone)."""

    name = "openai_compat"

    def __init__(
        self,
        settings: EngineSettings,
        *,
        shared: SharedRateLimit | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.options = CompatOptions.from_settings(settings)
        self.base_url = settings.base_url or DEFAULT_BASE_URL
        self.model = settings.model
        self.policy = policy or RetryPolicy.for_retries(settings.retries)
        self._stats = PackStats()
        self._translator: PackingTranslator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: openai.AsyncOpenAI | None = None
        self._active = 0
        self._format = 0
        """Index into FORMATS: the structured-output kind this server accepts."""
        self._api_key = os.environ.get("OPENAI_API_KEY") or "not-needed"
        self._pacer = Pacer(settings.rpm, settings.tpm, shared=shared)
        """One pacer for every event loop (it is loop-agnostic), so its pace holds for all."""
        self._concurrency: Concurrency | None = None
        self._concurrency_lock = threading.Lock()
        self._resumed: dict[str, int] = {}
        """Pack sizes handed to `resume_pack_sizes` before a translator existed."""

    def limits(self) -> Limits:
        return Limits(
            rpm=self.settings.rpm,
            tpm=self.settings.tpm,
            max_input_tokens=self.options.max_input_tokens,
            concurrency=self.concurrency().value,
        )

    def concurrency(self) -> Concurrency:
        """Requests in flight: `[engine] concurrency`, else the server's parallel slots
        (llama.cpp's `/props` `total_slots`, asked once), else 1."""
        with self._concurrency_lock:
            if self._concurrency is None:
                self._concurrency = self._resolve_concurrency()
            return self._concurrency

    def _resolve_concurrency(self) -> Concurrency:
        if self.settings.concurrency:
            return Concurrency(max(1, self.settings.concurrency), "setting")
        slots = ask_total_slots(self.base_url, self._api_key, self.settings.timeout)
        return Concurrency(slots, "server") if slots else Concurrency(1, "default")

    @property
    def pack_size(self) -> int:
        """Strings per chat call right now (it adapts: halves on a bad pack, grows back)."""
        return self._translator.pack_size if self._translator else self.options.max_pack

    # --- the Engine protocol -------------------------------------------------------------

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        if not batch:
            return []
        if self._concurrency is None:  # asked off the event loop: it blocks (briefly)
            await asyncio.to_thread(self.concurrency)
        translator = self._for_loop()
        self._active += 1
        try:
            if not self.model:
                http = self._http
                assert http is not None
                await with_retries(lambda: self._resolve_model(http), self.policy)
            return await translator.translate(batch)
        finally:
            self._active -= 1
            if self._active == 0 and self._http is not None:  # the last call out closes
                http, self._http = self._http, None
                await http.close()

    async def probe(self) -> CompatProbe:
        """One tiny request: is the server there, which model answers, how fast."""
        request = Request(key="probe", text="Hello", source_locale="en", target_locale="fr")
        concurrency = await asyncio.to_thread(self.concurrency)
        async with self._client() as client:
            started = time.monotonic()
            await self._resolve_model(client)
            reply = await self._send(client, [request])
            latency = time.monotonic() - started
        return CompatProbe(
            engine=self.name,
            limits=self.limits(),
            mode=self.options.mode,
            base_url=self.base_url,
            model=reply.model or self.model,
            latency_s=round(latency, 3),
            tokens_in=reply.tokens_in,
            tokens_out=reply.tokens_out,
            text=reply.texts[0] if reply.texts else None,
            concurrency=concurrency.value,
            concurrency_source=concurrency.source,
        )

    def stats(self) -> EngineStats:
        return self._stats.snapshot()

    # --- AdaptivePacking (base.py): the translator's sizes, when it keeps them per locale --

    def pack_sizes(self) -> dict[str, int]:
        """Strings per pack by target locale (the resumed ones before the first call)."""
        if self._translator is None:
            return dict(self._resumed)
        return self._translator.pack_sizes()

    def resume_pack_sizes(self, sizes: Mapping[str, int]) -> None:
        self._resumed = {locale: int(size) for locale, size in sizes.items()}
        if self._translator is not None:
            self._translator.resume_pack_sizes(self._resumed)

    # --- plumbing ----------------------------------------------------------------------

    def _client(self) -> openai.AsyncOpenAI:
        """A client per event loop, on the process's one TLS context."""
        return openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            max_retries=0,
            timeout=self.settings.timeout,
            http_client=openai.DefaultAsyncHttpxClient(verify=_tls()),
        )

    def _for_loop(self) -> PackingTranslator:
        """The driver of this event loop (its locks are loop-bound), and an HTTP client
        shared by the calls running now; pack size and stats carry over to a new loop."""
        loop = asyncio.get_running_loop()
        old = self._translator
        if old is None or self._loop is not loop:
            limits = self.limits()
            fresh = PackingTranslator(
                self._send_pack,
                pacer=self._pacer,
                policy=self.policy,
                concurrency=limits.concurrency,
                sizing=sizing(self.settings),
                adaptive=self.settings.adaptive,
            )
            fresh.stats = self._stats  # the sizes per locale live there: they carry over
            if old is None and self._resumed:
                fresh.resume_pack_sizes(self._resumed)
            self._translator, self._loop, self._http, self._active = fresh, loop, None, 0
        if self._http is None:
            self._http = self._client()
        return self._translator

    async def _send_pack(self, requests: Sequence[Request]) -> PackReply:
        assert self._http is not None, "only called inside translate()"
        return await self._send(self._http, requests)

    async def _resolve_model(self, client: openai.AsyncOpenAI) -> None:
        """An empty `model` means the server's first (llama.cpp serves exactly one)."""
        if self.model:
            return
        try:
            models = await client.models.list()
        except openai.OpenAIError as exc:
            raise from_openai_error(exc, secrets=[self._api_key]) from None
        ids = [m.id for m in getattr(models, "data", [])]
        if not ids:
            raise Fatal(f"no model served at {self.base_url}")
        self.model = ids[0]

    async def _send(self, client: openai.AsyncOpenAI, requests: Sequence[Request]) -> PackReply:
        try:
            if self.options.mode == "completion":
                reply = await self._complete(client, requests)
            else:
                reply = await self._chat(client, requests)
        except openai.OpenAIError as exc:
            raise from_openai_error(exc, secrets=[self._api_key]) from None
        except json.JSONDecodeError as exc:  # a cut-off HTTP body: its bill is unknown
            raise Unanswered(f"invalid JSON from the server: {exc}") from None
        texts = reply.texts
        if texts and len(requests) == 1 and not texts[0].strip() and requests[0].text.strip():
            return replace(reply, texts=None)  # nothing came back: Rejected, not stored empty
        return reply

    async def _chat(self, client: openai.AsyncOpenAI, requests: Sequence[Request]) -> PackReply:
        extra_body: dict[str, Any] = {"chat_template_kwargs": {"enable_thinking": False}}
        if self.options.server == "ollama":
            extra_body["reasoning_effort"] = "none"
        while True:
            used = self._format
            fmt = response_format(len(requests), FORMATS[used])
            try:
                response = await client.chat.completions.create(
                    model=self.model,
                    messages=chat_messages(requests, self.settings.domains),
                    temperature=self.options.temperature,
                    max_tokens=chat_max_tokens(requests),
                    extra_body=extra_body,
                    **({"response_format": fmt} if fmt else {}),
                )
                break
            except openai.APIStatusError as exc:
                if used + 1 < len(FORMATS) and _refuses_format(exc):
                    self._format = max(self._format, used + 1)  # for the rest of the run
                    continue
                raise
        choices = getattr(response, "choices", None)
        content = choices[0].message.content if choices else None
        texts = parse_items(content, len(requests)) if isinstance(content, str) else None
        if (
            texts
            and len(requests) > 1
            and all(t.strip() == r.text.strip() for t, r in zip(texts, requests, strict=True))
        ):
            texts = None  # the prompt echoed back: not a translation, so not verified
        return _reply(response, texts, self.model)

    async def _complete(self, client: openai.AsyncOpenAI, requests: Sequence[Request]) -> PackReply:
        [request] = requests  # max_pack is 1 in this mode
        text = request.text.replace("\r\n", "\n").replace("\n", _NEWLINE)
        response = await client.completions.create(
            model=self.model,
            prompt=completion_prompt(request, text, self.settings.domains),
            temperature=self.options.temperature,
            max_tokens=completion_max_tokens(requests),
            stop=["\n"],
        )
        choices = getattr(response, "choices", None)
        raw = choices[0].text if choices else None
        if not isinstance(raw, str):
            return _reply(response, None, self.model)
        out = strip_think(raw).split("\n")[0].strip().replace(_NEWLINE, "\n")
        return _reply(response, [out], self.model)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The CA bundle, loaded once: httpx loads it anew for every client (~50 ms of CPU,
    on the event loop, at every call that opens one)."""
    import httpx  # lazily, as `openai`

    return httpx.create_ssl_context()


def _refuses_format(exc: openai.APIStatusError) -> bool:
    """The server does not take this `response_format` (llama-cpp-python answers 500)."""
    return exc.status_code in (400, 422, 500) and "response_format" in str(exc.body or exc)


def _reply(response: Any, texts: list[str] | None, model: str) -> PackReply:
    usage = getattr(response, "usage", None)
    return PackReply(
        texts=texts,
        tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
        tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
        model=str(getattr(response, "model", "") or model),
        has_usage=usage is not None,
    )
