"""A strict, simulated Qwen-MT provider: a real HTTP server speaking the OpenAI-compatible API.

It rejects what Model Studio rejects as Alibaba Cloud's public Model Studio documentation
describes it (the "Machine translation (Qwen-MT)" guide,
https://www.alibabacloud.com/help/en/model-studio/machine-translation, and the "Error codes"
reference, https://www.alibabacloud.com/help/en/model-studio/developer-reference/error-code):
an unknown model (404), a bad key (401), a language name not in the model's table, anything
but one non-empty user message, an input over the length limit (400), with the same
status codes and `{"error": {"message", "type", "param", "code"}}` bodies, enforces RPM/TPM
per second, and "translates" deterministically: each line's leading numbering (e.g. `⟦3⟧ `) is
kept, the rest is pseudo-localised with every `[Xn X]` token and glossary target kept. Faults
can be injected by probability or by a scripted queue, and are changeable while it runs. Every
attempt is counted and every request body is kept, for assertions.

Rate limits: one token bucket per limit, refilled continuously at RPM/60 requests and TPM/60
input tokens per second, holding at most one second's worth (so bursts are throttled like the
real per-second RPS/TPS rule). A request is charged when admitted; injected failures are
charged too (the provider counted them), throttled ones are not. The limiter reads `clock`
(time.monotonic by default): tests of rate rules pass a ManualClock and move it by hand, so
no assertion depends on how busy the machine is.

Misalignment, defined: a packed reply (one line per string, opened by `⟦n⟧ `) whose lines
no longer carry their own strings. The kinds, injectable as faults (script or set_faults) or
drawn for `misalign` of the packed replies (multi-line only, among `misalign_kinds`, by
default the catchable ones, qwen_rules.CATCHABLE):

  drop_line          a line missing                             caught: the parse (count)
  merge_lines        two lines joined, the second's marker gone caught: the parse (count)
  swap_markers       two lines' markers exchanged, texts kept   caught: the parse (order)
  swap_texts_tokens  two texts exchanged under kept markers,    caught: the token check
                     their [XnX] tokens differ
  swap_texts_same    two texts exchanged under kept markers,    NOT caught: it verifies, and
                     the same tokens or none                    each string gets the other's

(`merge` is merge_lines; `reorder` exchanges two lines with their markers, caught like
swap_markers.) `counters.misaligned` counts the replies misaligned, by kind.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.qwen_rules import (
    CATCHABLE,
    ENDPOINTS,
    FAULTS,
    LANG_ERROR,
    LANGUAGES,
    MAX_INPUT,
    MAX_OUTPUT,
    MISALIGNMENTS,
    OVERHEAD,
    STATUS_FAULTS,
    Bucket,
    Reply,
    SimCounters,
    chat_reply,
    content_fault,
    cut_to,
    error_reply,
    is_pack,
    misaligned,
    sim_tokens,
    sim_translate,
    term_pairs,
)


class QwenSim:
    """The simulated provider. `with QwenSim(rpm=600) as sim:` … `sim.base_url`."""

    def __init__(
        self,
        *,
        api_key: str = "sk-sim-0123456789abcdef",
        rpm: float | None = None,
        tpm: float | None = None,
        latency: float = 0.0,
        burst: float = 1.0,
        faults: dict[str, float] | None = None,
        retry_after: float = 1.0,
        timeout_sleep: float = 3.0,
        moderation_marker: str = "DATA_INSPECTION_FAIL",
        seed: int = 0,
        greedy: bool = False,
        clock: Callable[[], float] = time.monotonic,
        misalign: float = 0.0,
        misalign_kinds: tuple[str, ...] = CATCHABLE,
    ) -> None:
        """`greedy`: every reply answers as long as it is allowed to, billing the request's
        whole `max_tokens` (MAX_OUTPUT when it sent none): the worst case for a cost cap.
        `misalign`: the probability that a packed reply (fault-free) is misaligned, one of
        `misalign_kinds` that fits it drawn at random (both changeable while it runs)."""
        if set(misalign_kinds) - set(MISALIGNMENTS) or not 0 <= misalign <= 1:
            raise ValueError(f"bad misalignment {misalign!r} {misalign_kinds!r}")
        self.misalign, self.misalign_kinds = misalign, misalign_kinds
        self.greedy = greedy
        self.api_key = api_key
        self.clock = clock
        """What the rate limiter reads (and `charged_at` records)."""
        self.latency, self.retry_after, self.timeout_sleep = latency, retry_after, timeout_sleep
        self.moderation_marker = moderation_marker
        self.counters = SimCounters()
        self.bodies: list[dict[str, Any]] = []
        self.charged_at: list[float] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._queue: deque[str] = deque()
        self.faults: dict[str, float] = {}
        self.set_faults(**(faults or {}))
        self.set_limits(rpm, tpm, burst)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        """Set by stop(): replies still held back (latency, a timeout fault) end at once."""

    # --- control -----------------------------------------------------------------------

    def set_limits(self, rpm: float | None, tpm: float | None, burst: float = 1.0) -> None:
        with self._lock:
            self.rpm, self.tpm = rpm, tpm
            now = self.clock()
            self._requests = Bucket(rpm, burst, now) if rpm else None
            self._tokens = Bucket(tpm, burst, now) if tpm else None

    def set_faults(self, **probabilities: float) -> None:
        """Per-attempt probabilities by kind (see FAULTS), e.g. `set_faults(**{"429": 0.2})`."""
        unknown = set(probabilities) - set(FAULTS)
        if unknown or sum(probabilities.values()) > 1:
            raise ValueError(f"bad faults {probabilities!r}; kinds: {', '.join(FAULTS)}")
        with self._lock:
            self.faults = dict(probabilities)

    def script(self, *kinds: str) -> None:
        """Faults for the next admitted attempts, in order (before any random ones)."""
        if set(kinds) - set(FAULTS):
            raise ValueError(f"unknown fault in {kinds!r}; kinds: {', '.join(FAULTS)}")
        with self._lock:
            self._queue.extend(kinds)

    def reset(self) -> None:
        with self._lock:
            self.counters, self.bodies, self.charged_at = SimCounters(), [], []
            self._queue.clear()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the simulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/compatible-mode/v1"

    def start(self) -> QwenSim:
        self.stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.sim = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="qwen-sim",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> QwenSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the API -------------------------------------------------------------------------

    def handle(self, auth: str | None, raw: bytes) -> Reply:
        """One POST to the chat-completions endpoint."""
        with self._lock:
            self.counters.attempts += 1
        reply = self._handle(auth, raw)
        with self._lock:
            self.counters.status[reply.status] += 1
        return reply

    def _handle(self, auth: str | None, raw: bytes) -> Reply:
        body = self._parse(raw)
        if isinstance(body, Reply):
            return body
        with self._lock:
            self.bodies.append(body)
        if auth != f"Bearer {self.api_key}":
            return self._invalid(401, "invalid_api_key", "Incorrect API key provided.")
        checked = self._validate(body)
        if isinstance(checked, Reply):
            return checked
        content, terms, prompt_tokens = checked
        fault = self._admit(prompt_tokens)
        if isinstance(fault, Reply):
            return fault
        if fault in STATUS_FAULTS:
            status, code, message = STATUS_FAULTS[fault]
            headers = ()
            if fault == "429_retry_after":
                headers = (("Retry-After", f"{self.retry_after:g}"),)
            return error_reply(status, code, message, headers)
        if self.moderation_marker and self.moderation_marker in content:
            return self._invalid(
                400, "DataInspectionFailed", "Input data may contain inappropriate content."
            )
        limit = body.get("max_tokens", MAX_OUTPUT)
        return self._translated(body["model"], content, terms, (prompt_tokens, limit), fault)

    def _parse(self, raw: bytes) -> Reply | dict[str, Any]:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return self._invalid(400, "InvalidParameter", "Request body is not valid JSON.")
        if not isinstance(body, dict):
            return self._invalid(400, "InvalidParameter", "Request body must be an object.")
        return body

    def _admit(self, prompt_tokens: int) -> Reply | str | None:
        """The rate limiter: a 429 reply, or the attempt charged and its fault drawn."""
        with self._lock:
            now = self.clock()
            if self._requests and not self._requests.allows(1, now):
                self.counters.throttled += 1
                return error_reply(
                    429,
                    "Throttling.RateQuota",
                    "Requests rate limit exceeded, please try again later.",
                    kind="limit_requests",
                )
            if self._tokens and not self._tokens.allows(prompt_tokens, now):
                self.counters.throttled += 1
                return error_reply(
                    429,
                    "Throttling.AllocationQuota",
                    "Allocated quota exceeded, please increase your quota limit.",
                    kind="insufficient_quota",
                )
            for bucket, cost in ((self._requests, 1), (self._tokens, prompt_tokens)):
                if bucket:
                    bucket.level -= cost
            self.counters.charged += 1
            self.counters.prompt_tokens += prompt_tokens
            self.charged_at.append(now)
            fault = self._queue.popleft() if self._queue else self._draw()
            if fault:
                self.counters.injected[fault] += 1
            return fault

    def _translated(
        self,
        model: str,
        content: str,
        terms: list[tuple[str, str]],
        tokens: tuple[int, int],
        fault: str | None,
    ) -> Reply:
        """The 200 answer: the translation, with a content fault (or a timeout) applied, cut
        at max_tokens (`tokens`: prompt tokens, max_tokens); a greedy one bills it all."""
        prompt_tokens, max_tokens = tokens
        clean = sim_translate(content, () if fault == "ignore_terms" else terms)
        text, finish = content_fault(fault, clean)
        kind = fault if fault in MISALIGNMENTS and text != clean else None
        if fault is None and (kind := self._misalign(text)) is not None:
            text = misaligned(kind, text) or text
        if kind is not None:
            with self._lock:
                self.counters.misaligned[kind] += 1
        completion = sim_tokens(text)
        if completion > max_tokens:
            text, finish, completion = cut_to(text, max_tokens), "length", max_tokens
        if self.greedy:
            completion = max_tokens
        with self._lock:
            self.counters.ok += fault != "timeout"  # the client has given up on that one
            self.counters.completion_tokens += completion
            self.counters.billed_prompt_tokens += prompt_tokens
            self.counters.billed_completion_tokens += completion
        delay = self.timeout_sleep if fault == "timeout" else self.latency
        return chat_reply(model, text, finish, (prompt_tokens, completion), delay)

    def _invalid(self, status: int, code: str, message: str, param: str | None = None) -> Reply:
        with self._lock:
            self.counters.invalid += 1
        kind = "internal_error" if status >= 500 else "invalid_request_error"
        return error_reply(status, code, message, param=param, kind=kind)

    # --- what the real API rejects, checked in this order ---------------------------------

    def _validate(self, body: dict[str, Any]) -> Reply | tuple[str, list[tuple[str, str]], int]:
        """What the real API rejects; (content, terms, prompt tokens) when all is well."""
        model = body.get("model")
        if model not in LANGUAGES:
            return self._invalid(
                404,
                "model_not_found",
                f"The model `{model}` does not exist or you do not have access to it.",
            )
        content = self._valid_content(body.get("messages"))
        if isinstance(content, Reply):
            return content
        if body.get("stream"):
            return self._invalid(
                400, "InvalidParameter", "The simulator does not stream.", "stream"
            )
        max_tokens = body.get("max_tokens", MAX_OUTPUT)
        if not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_OUTPUT:
            return self._invalid(
                400, "InvalidParameter", f"Range of max_tokens should be [1, {MAX_OUTPUT}]"
            )
        options = self._valid_options(body.get("translation_options"), LANGUAGES[model])
        if isinstance(options, Reply):
            return options
        pairs, domains = options
        extra = sum(sim_tokens(s) + sim_tokens(t) + 3 for k in pairs for s, t in pairs[k])
        length = sim_tokens(content) + extra + sim_tokens(domains)
        if length > MAX_INPUT:
            return self._too_long()
        return content, pairs["terms"], OVERHEAD + length

    def _valid_content(self, messages: object) -> Reply | str:
        """One user message with text in it: its content."""
        if not isinstance(messages, list) or not messages:
            return self._invalid(
                400, "InvalidParameter", "[] is too short - 'messages'", "messages"
            )
        if any(not isinstance(m, dict) or m.get("role") != "user" for m in messages):
            return self._invalid(500, "InternalError", "Role must be in [user, assistant]")
        if len(messages) != 1:
            return self._invalid(
                400, "InvalidParameter", "Qwen-MT accepts exactly one user message.", "messages"
            )
        content = messages[0].get("content")
        if not isinstance(content, str) or not content.strip():
            return self._too_long()
        return content

    def _valid_options(
        self, options: object, names: frozenset[str]
    ) -> Reply | tuple[dict[str, list[tuple[str, str]]], str]:
        """Languages the model knows, well-formed terms/tm_list, English domains:
        ({"terms": pairs, "tm_list": pairs}, domains)."""
        if not isinstance(options, dict):
            return self._invalid(400, "InvalidParameter", LANG_ERROR, "translation_options")
        source, target = options.get("source_lang"), options.get("target_lang")
        if (source != "auto" and source not in names) or target not in names:
            return self._invalid(400, "InvalidParameter", LANG_ERROR, "translation_options")
        pairs = {}
        for key in ("terms", "tm_list"):
            found = term_pairs(options.get(key, []))
            if found is None:
                return self._invalid(
                    400,
                    "InvalidParameter",
                    f"{key} must be a list of {{source, target}} strings",
                    key,
                )
            pairs[key] = found
        domains = options.get("domains", "")
        if not isinstance(domains, str) or not domains.isascii():
            return self._invalid(
                400, "InvalidParameter", "domains only supports English text.", "domains"
            )
        return pairs, domains

    def _too_long(self) -> Reply:
        """Empty or over the limit: the API answers both with the same range message."""
        return self._invalid(
            400,
            "InvalidParameter",
            f"Range of input length should be [1, {MAX_INPUT}]",
            "messages",
        )

    def _draw(self) -> str | None:
        u, acc = self._rng.random(), 0.0
        for kind, p in self.faults.items():
            acc += p
            if u < acc:
                return kind
        return None

    def _misalign(self, text: str) -> str | None:
        """The misalignment drawn for a fault-free packed reply (`misalign`), if any."""
        if not self.misalign or not is_pack(text):
            return None
        with self._lock:
            if self._rng.random() >= self.misalign:
                return None
            fits = [k for k in self.misalign_kinds if misaligned(k, text) is not None]
            return self._rng.choice(fits) if fits else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end on their own

    def do_POST(self) -> None:
        sim: QwenSim = self.server.sim  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if sim._server is not self.server:  # stopped: a kept-alive connection just drops
            self.close_connection = True
            return
        if self.path.split("?")[0].rstrip("/") not in ENDPOINTS:
            reply = error_reply(404, "NotFound", f"No route for {self.path}")
        else:
            reply = sim.handle(self.headers.get("Authorization"), raw)
        if reply.delay:
            sim.stopping.wait(reply.delay)
        data = json.dumps(reply.body, ensure_ascii=False).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (a timeout fault): nothing to tell it
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


_shared: QwenSim | None = None


def shared_sim() -> QwenSim:
    """One simulator per process, started on first use (the contract test's factory)."""
    global _shared
    if _shared is None:
        _shared = QwenSim().start()
    return _shared
