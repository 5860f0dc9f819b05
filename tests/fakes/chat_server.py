"""An OpenAI-compatible test server: `/v1/chat/completions`, `/v1/completions`, `/v1/models`.

It behaves like an instruct model behind vLLM or llama.cpp that follows the JSON schema it
is given: it reads the `{"items": [...]}` JSON at the end of the user message and answers
with every item "translated" (letters of each word reversed, `[XnX]` tokens kept). A
completion prompt ending in `<Source>: text` / `<Target>:` gets the same translation of
its last source line, cut at the `stop` strings. Requests are recorded; faults can be
scripted one per request (`script("429", "fence")`) or applied to all (`always`):

  model output  think, think_open, think_close, fence, chatter, count, reorder, swap,
                drop_token, invalid_json, empty, echo
  HTTP          429 (Retry-After: 0), 500, 503, 400, 401, 404, bad_body (200, not JSON),
                hang (reads the request and never answers, until the server closes)

Like llama.cpp, a wrongly typed field is answered with HTTP 500, and unknown fields are
ignored; `formats` limits the accepted `response_format` types (llama-cpp-python's server
takes only text and json_object, and answers json_schema with 500).

Like llama.cpp's server, `total_slots=N` answers `GET /props` (at the root, not under /v1)
with `{"total_slots": N, …}` and decodes N requests at once: one more waits for a free slot.
`props` is that body (a dict, or raw bytes for garbage; None: 404, as vLLM and Ollama);
`delay` is each request's fixed latency (inside its slot); `in_flight`/`max_in_flight`
count requests received and not yet answered, waiting ones included (`max_serving`: those
in a slot at once); `gather=k` holds the first requests until k are in flight at once
(timing-free concurrency tests). What the "model" answers is tests/fakes/chat_model.py.
Start: `with ChatServer() as server: server.url` (a free port, ready at once).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.chat_model import MODEL_FAULTS, chat, complete
from tests.fakes.chat_model import fake_translate as fake_translate  # what tests import

HTTP_FAULTS = {"429", "500", "503", "400", "401", "404", "bad_body", "hang"}
SECRET_IN_ERRORS = "sk-testsecret0123456789"


@dataclass(frozen=True)
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str | None


class ChatServer:
    def __init__(
        self,
        *,
        model: str = "test-model",
        always: Iterable[str] = (),
        formats: Iterable[str] = ("text", "json_object", "json_schema"),
        greedy: bool = False,
        total_slots: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.model = model
        self.props: dict[str, Any] | bytes | None = None
        """The `GET /props` body (bytes: sent as they are); None: no such route (404)."""
        self.props_requests = 0
        self._slots: threading.Semaphore | None = None
        if total_slots is not None:
            self.props = {"total_slots": total_slots, "model_alias": model, "build_info": "fake"}
            self._slots = threading.BoundedSemaphore(total_slots)
        self.gather = 0
        self._gathered = threading.Condition()
        self.greedy = greedy
        """Every reply bills the request's whole `max_tokens` (4096 without one): a model
        that answers as long as it is allowed to, the worst case for a cost cap."""
        self.billed: list[tuple[int, int]] = []
        """(prompt, completion) tokens of every 200 reply."""
        self.formats = set(formats)
        """response_format types accepted; llama-cpp-python: text and json_object only."""
        self.always: set[str] = set(always)
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.serving = self.max_serving = 0
        self.delay = delay
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.hang_if: Callable[[dict[str, Any]], bool] | None = None
        """Requests whose body this accepts `hang` (e.g. those for one target language)."""
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *faults: str) -> None:
        """One fault per coming request, in order ("ok" for a clean one)."""
        unknown = set(faults) - MODEL_FAULTS - HTTP_FAULTS - {"ok"}
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        with self._lock:
            self._script.extend(faults)

    def bodies(self, path: str = "") -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith(path)]

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # releases the requests that `hang`
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # --- behaviour ------------------------------------------------------------------

    @contextmanager
    def counting_served(self) -> Iterator[None]:
        """Inside one of the `total_slots` (if any): counted in `serving`."""
        with self._lock:
            self.serving += 1
            self.max_serving = max(self.max_serving, self.serving)
        try:
            yield
        finally:
            with self._lock:
                self.serving -= 1

    def wait_for_gathering(self, timeout: float = 5.0) -> None:
        """With `gather=k`, hold a request until k are in flight at once (once reached, or
        after `timeout`, nothing is held any more)."""
        with self._gathered:
            if self.gather <= 0:
                return
            if self.in_flight >= self.gather:
                self.gather = 0
                self._gathered.notify_all()
                return
            if not self._gathered.wait_for(lambda: self.gather <= 0, timeout):
                self.gather = 0  # the client never sent that many at once

    def next_faults(self) -> set[str]:
        with self._lock:
            scripted = self._script.popleft() if self._script else "ok"
        return set(self.always) | ({scripted} - {"ok"})


_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "messages": (list,),
    "prompt": (str, list),
    "temperature": (int, float),
    "max_tokens": (int,),
    "stop": (str, list),
    "response_format": (dict,),
    "top_p": (int, float),
    "chat_template_kwargs": (dict,),
    "reasoning_effort": (str,),
}


def _wrong_type(body: dict[str, Any]) -> str | None:
    for key, types in _TYPES.items():
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            return f"{key}: expected {types[0].__name__}, got {type(value).__name__}"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    """socketserver's listen backlog is 5: a 6th simultaneous connect would be dropped and
    retried a second later, which a concurrency test or bench must not mistake for latency."""


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to `server` (http.server builds one handler per request)."""
    return type("Handler", (_ChatHandler,), {"chat_server": server})


class _ChatHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    chat_server: ChatServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str = "", **headers: str) -> None:
        err = {"message": message, "type": "error", "code": code or status}
        self._send(status, {"error": err}, headers)

    def do_GET(self) -> None:
        server = self.chat_server
        if self.path.split("?")[0].rstrip("/") == "/props":  # llama.cpp: at the root
            with server._lock:
                server.props_requests += 1
            if server.props is None:
                self._error(404, "File Not Found")
            else:
                self._send(200, server.props)
            return
        with server._lock:
            server.requests.append(Recorded(self.path, {}, dict(self.headers), None))
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": server.model, "object": "model", "owned_by": "test"}
            self._send(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        server = self.chat_server
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(400, "request body is not JSON")
            return
        faults = server.next_faults()
        if server.hang_if is not None and server.hang_if(body):
            faults.add("hang")
        record = Recorded(
            self.path,
            body,
            {k.lower(): v for k, v in self.headers.items()},
            ",".join(sorted(faults)) or None,
        )
        with server._lock:
            server.requests.append(record)
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            server.wait_for_gathering()
            with server._slots or nullcontext(), server.counting_served():
                time.sleep(server.delay)
                self._answer(body, faults)
        finally:
            with server._lock:
                server.in_flight -= 1

    # --- answers: a scripted HTTP fault, else the request checks, else the route

    def _answer(self, body: dict[str, Any], faults: set[str]) -> None:
        fault = next((f for f in _HTTP_FAULT_ANSWERS if f in faults), None)
        if fault is not None:
            _HTTP_FAULT_ANSWERS[fault](self, body)
        elif self._format_accepted(body) and self._types_accepted(body):
            self._route(body, faults)

    def _route(self, body: dict[str, Any], faults: set[str]) -> None:
        if self.path.endswith("/chat/completions"):
            self._reply("chat.completion", body, *chat(body, faults))
        elif self.path.endswith("/completions"):
            self._reply("text_completion", body, *complete(body, faults))
        else:
            self._error(404, f"no route {self.path}")

    def _rate_limited(self, body: dict[str, Any]) -> None:
        self._error(
            429, "Rate limit reached for requests", "rate_limit_exceeded", **{"Retry-After": "0"}
        )

    def _server_error_503(self, body: dict[str, Any]) -> None:
        self._error(503, "the server had an error", "server_error")

    def _server_error_500(self, body: dict[str, Any]) -> None:
        self._error(500, "the server had an error", "server_error")

    def _context_exceeded(self, body: dict[str, Any]) -> None:
        self._error(400, "the prompt exceeds the context window", "invalid_request")

    def _bad_key(self, body: dict[str, Any]) -> None:
        self._error(401, f"Incorrect API key provided: {SECRET_IN_ERRORS}", "invalid_api_key")

    def _no_model(self, body: dict[str, Any]) -> None:
        self._error(404, f"The model `{body.get('model')}` does not exist", "model_not_found")

    def _bad_body(self, body: dict[str, Any]) -> None:
        self._send(200, b'{"id": "x", "choices": [')

    def _hang(self, body: dict[str, Any]) -> None:
        """An engine whose port is open but which never answers (until the server closes)."""
        self.chat_server._closing.wait()
        self.close_connection = True

    def _format_accepted(self, body: dict[str, Any]) -> bool:
        """llama-cpp-python's pydantic error, answered with 500, for a format it lacks."""
        formats = self.chat_server.formats
        kind = (body.get("response_format") or {}).get("type", "text")
        if kind in formats:
            return True
        allowed = " or ".join(repr(f) for f in sorted(formats))
        self._error(
            500,
            f"1 validation error: {{'type': 'literal_error', 'loc': ('body', "
            f"'response_format', 'type'), 'msg': 'Input should be {allowed}',"
            f" 'input': {kind!r}}}",
        )
        return False

    def _types_accepted(self, body: dict[str, Any]) -> bool:
        if wrong := _wrong_type(body):
            self._error(500, f"Internal Server Error: {wrong}")  # what llama.cpp does
            return False
        return True

    def _reply(self, kind: str, body: dict[str, Any], text: str, tin: int, tout: int) -> None:
        server = self.chat_server
        if server.greedy:
            tout = int(body.get("max_tokens") or 4096)
        with server._lock:
            server.billed.append((tin, tout))
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
        if kind == "chat.completion":
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        self._send(
            200,
            {
                "id": f"{kind}-{len(server.requests)}",
                "object": kind,
                "created": int(time.time()),
                "model": body.get("model") or server.model,
                "choices": [choice],
                "usage": {
                    "prompt_tokens": tin,
                    "completion_tokens": tout,
                    "total_tokens": tin + tout,
                },
            },
        )


_HTTP_FAULT_ANSWERS: dict[str, Callable[[_ChatHandler, dict[str, Any]], None]] = {
    "429": _ChatHandler._rate_limited,
    "503": _ChatHandler._server_error_503,  # 503 wins when both 500 and 503 are scripted
    "500": _ChatHandler._server_error_500,
    "400": _ChatHandler._context_exceeded,
    "401": _ChatHandler._bad_key,
    "404": _ChatHandler._no_model,
    "bad_body": _ChatHandler._bad_body,
    "hang": _ChatHandler._hang,
}
"""One answer per scripted HTTP fault; in this order the first one present answers."""


_SHARED: ChatServer | None = None


def shared_server() -> ChatServer:
    """One fault-free server for the whole process (the engine contract test's factory)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = ChatServer().__enter__()
    return _SHARED
