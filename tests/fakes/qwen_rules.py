"""The rules the simulated Qwen-MT provider enforces and the model it simulates: the
languages of each model (copied from the public "Machine translation (Qwen-MT)" guide), the
error bodies, the token counting, the deterministic pseudo-translation, faults, counters and
the clock its rate limiter reads. `tests/fakes/qwen_sim.py` serves them over HTTP."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from locflow.connectors.engines.pseudo import pseudo_localise

# The doc's tables, copied separately from connectors/engines/languages.py on purpose: a typo
# there must be rejected here. Names are separated by "|".
_FULL = (
    "English|Chinese|Traditional Chinese|Russian|Japanese|Korean|Spanish|French|Portuguese|"
    "German|Italian|Thai|Vietnamese|Indonesian|Malay|Arabic|Hindi|Hebrew|Burmese|Tamil|Urdu|"
    "Bengali|Polish|Dutch|Romanian|Turkish|Khmer|Lao|Cantonese|Czech|Greek|Swedish|Hungarian|"
    "Danish|Finnish|Ukrainian|Bulgarian|Serbian|Telugu|Afrikaans|Armenian|Assamese|Asturian|"
    "Basque|Belarusian|Bosnian|Catalan|Cebuano|Croatian|Egyptian Arabic|Estonian|Galician|"
    "Georgian|Gujarati|Icelandic|Javanese|Kannada|Kazakh|Latvian|Lithuanian|Luxembourgish|"
    "Macedonian|Maithili|Maltese|Marathi|Mesopotamian Arabic|Moroccan Arabic|Najdi Arabic|"
    "Nepali|North Azerbaijani|North Levantine Arabic|Northern Uzbek|Norwegian Bokmål|"
    "Norwegian Nynorsk|Occitan|Odia|Pangasinan|Sicilian|Sindhi|Sinhala|Slovak|Slovenian|"
    "South Levantine Arabic|Swahili|Tagalog|Ta\u2019izzi-Adeni Arabic|Tosk Albanian|"
    "Tunisian Arabic|Venetian|Waray|Welsh|Western Persian"
)
_LITE = (
    "English|Chinese|Traditional Chinese|Russian|Japanese|Korean|Spanish|French|Portuguese|"
    "German|Italian|Thai|Vietnamese|Indonesian|Malay|Arabic|Hindi|Hebrew|Urdu|Bengali|Polish|"
    "Dutch|Turkish|Khmer|Czech|Swedish|Hungarian|Danish|Finnish|Tagalog|Persian"
)
LANGUAGES: dict[str, frozenset[str]] = {
    m: frozenset(_FULL.split("|")) for m in ("qwen-mt-plus", "qwen-mt-flash", "qwen-mt-turbo")
}
LANGUAGES["qwen-mt-lite"] = frozenset(_LITE.split("|"))

ENDPOINTS = ("/compatible-mode/v1/chat/completions", "/v1/chat/completions")
OVERHEAD = 53
"""Prompt tokens of the hidden wrapper around the text (the docs bill 53 for a short sentence)."""
MAX_INPUT = 8192
MAX_OUTPUT = 8192
"""The models' output limit: `max_tokens` must be within [1, MAX_OUTPUT], and is MAX_OUTPUT
when a request does not send it."""
LANG_ERROR = "暂时不支持当前设置的语种！"
STATUS_FAULTS = {
    "429": (429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    "429_retry_after": (
        429,
        "Throttling.RateQuota",
        "Requests rate limit exceeded, please try again later.",
    ),
    "429_free_quota": (429, "Throttling.AllocationQuota", "Free allocated quota exceeded."),
    "500": (500, "InternalError", "An internal error has occured, please try again later."),
    "503": (503, "ModelUnavailable", "The model is overloaded, please try again later."),
    "arrearage": (
        400,
        "Arrearage",
        "Access denied, please make sure your account is in good standing.",
    ),
    "401": (401, "invalid_api_key", "Incorrect API key provided."),
    "403": (403, "AccessDenied", "Access denied."),
    "role": (500, "InternalError", "Role must be in [user, assistant]"),
}
MISALIGNMENTS: dict[str, str] = {
    "drop_line": "a line missing (the second): one marker short, the reply does not parse",
    "merge_lines": "two lines joined into one, the second's marker gone: does not parse",
    "swap_markers": "two lines' markers exchanged, texts in place: markers out of order",
    "swap_texts_tokens": "two texts exchanged under kept markers, their [XnX] tokens differ: "
    "the token check fails",
    "swap_texts_same": "two texts exchanged under kept markers, the same tokens or none: "
    "it verifies, NOT caught",
}
"""Misalignment of a packed reply (lines opened by `⟦n⟧ `), by kind; see qwen_sim.py."""
CATCHABLE = ("drop_line", "merge_lines", "swap_markers", "swap_texts_tokens")
"""The kinds packing's verification (marker parse, then tokens per text) catches."""
CONTENT_FAULTS = (
    "drop_token",
    "merge",
    "reorder",
    "chatter",
    "truncate",
    "ignore_terms",
    *MISALIGNMENTS,
)
"""ignore_terms: translate as if `terms` had not been sent (a glossary the model ignored);
merge: merge_lines; reorder: the first two lines exchanged with their markers."""
FAULTS = (*STATUS_FAULTS, "timeout", *CONTENT_FAULTS)

_TOKENISE = re.compile(r"[A-Za-z]{1,6}|\d|\S")
NUMBERING = re.compile(r"^\s*[^\w\s]{0,3}\d{1,4}[^\w\s]{1,3}\s?")
TOKEN = re.compile(r"\[X\d+X\]")


def sim_tokens(text: str) -> int:
    """The simulator's tokenizer: pieces of up to 6 ASCII letters, and every other character;
    accented Latin letters count as their base letter (pseudo-localised text)."""
    return len(_TOKENISE.findall(_fold(text)))


def _fold(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cut_to(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` tokens (a reply stopped at max_tokens)."""
    pieces = list(_TOKENISE.finditer(_fold(text)))
    if len(pieces) <= limit:
        return text
    return _fold(text)[: pieces[limit].start()]


def sim_translate(content: str, terms: list[tuple[str, str]] | tuple = ()) -> str:
    """The deterministic "translation": line by line, numbering kept, text pseudo-localised."""
    lines = []
    for line in content.split("\n"):
        m = NUMBERING.match(line)
        head = m.group() if m else ""
        lines.append(head + pseudo_localise(line[len(head) :], terms))
    return "\n".join(lines)


def content_fault(fault: str | None, text: str) -> tuple[str, str]:
    """A content fault on a finished translation → (text, finish_reason); a misalignment
    that has no place in `text` (one line, no such pair) leaves it as it is."""
    lines = text.split("\n")
    if fault == "drop_token":
        return TOKEN.sub("", text, count=1), "stop"
    if fault in MISALIGNMENTS or fault == "merge":
        return misaligned("merge_lines" if fault == "merge" else fault, text) or text, "stop"
    if fault == "reorder" and len(lines) > 1:
        return "\n".join([lines[1], lines[0], *lines[2:]]), "stop"
    if fault == "chatter":
        return f"Here is the translation:\n{text}", "stop"
    if fault == "truncate":
        return text[: max(1, len(text) // 2)], "length"
    return text, "stop"


def _marked(line: str) -> tuple[str, str]:
    """(the line's numbering, e.g. "⟦2⟧ ", or "", the rest)."""
    m = NUMBERING.match(line)
    head = m.group() if m else ""
    return head, line[len(head) :]


def is_pack(text: str) -> bool:
    """Two lines or more, each opened by its numbering: a packed reply."""
    lines = text.split("\n")
    return len(lines) > 1 and all(_marked(line)[0] for line in lines)


def misaligned(kind: str, text: str) -> str | None:
    """`text` (a packed reply) misaligned the `kind` way (MISALIGNMENTS), or None when it
    has no place for it: one line, or no two texts whose tokens differ (are the same)."""
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    parts = [_marked(line) for line in lines]
    if kind == "drop_line":
        return "\n".join([lines[0], *lines[2:]])
    if kind == "merge_lines":
        return "\n".join([f"{lines[0]} {parts[1][1]}", *lines[2:]])
    if kind == "swap_markers" and parts[0][0] and parts[1][0]:
        (head0, text0), (head1, text1) = parts[:2]
        return "\n".join([head1 + text0, head0 + text1, *lines[2:]])
    if kind in ("swap_texts_tokens", "swap_texts_same"):
        pair = _swappable(parts, same=kind == "swap_texts_same")
        if pair is not None:
            i, j = pair
            lines[i], lines[j] = parts[i][0] + parts[j][1], parts[j][0] + parts[i][1]
            return "\n".join(lines)
    return None


def _swappable(parts: list[tuple[str, str]], *, same: bool) -> tuple[int, int] | None:
    """The first two lines with different texts whose tokens are the same (`same`) or
    differ."""
    tokens = [sorted(TOKEN.findall(text)) for _, text in parts]
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            if parts[i][1] != parts[j][1] and (tokens[i] == tokens[j]) == same:
                return i, j
    return None


@dataclass
class SimCounters:
    attempts: int = 0
    """Every POST to the endpoint."""
    charged: int = 0
    """Admitted by the rate limiter (and charged to it), injected failures included."""
    ok: int = 0
    invalid: int = 0
    """Real 4xx/5xx for invalid requests: auth, validation, role, moderation."""
    throttled: int = 0
    """Real 429s from the rate limiter (never injected)."""
    injected: Counter[str] = field(default_factory=Counter)
    misaligned: Counter[str] = field(default_factory=Counter)
    """Packed replies misaligned, by kind (scripted, drawn as faults, or by `misalign`)."""
    prompt_tokens: int = 0
    """Input tokens charged (admitted attempts, injected failures included)."""
    completion_tokens: int = 0
    billed_prompt_tokens: int = 0
    billed_completion_tokens: int = 0
    """Usage of the 200 replies, timed-out ones included: what the provider bills."""
    status: Counter[int] = field(default_factory=Counter)


class ManualClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "a monotonic clock never goes back"
        self.now += seconds


class Bucket:
    """Refills `per_minute / 60` per second, holds at most `burst` seconds' worth."""

    def __init__(self, per_minute: float, burst: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst)
        self.level = self.capacity
        self.at = now

    def allows(self, cost: float, now: float) -> bool:
        self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now
        return self.level >= min(cost, self.capacity)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def error_reply(
    status: int,
    code: str,
    message: str,
    headers: tuple = (),
    param: str | None = None,
    kind: str = "invalid_request_error",
) -> Reply:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Reply(status, body, (("x-request-id", uuid.uuid4().hex), *headers))


def chat_reply(model: str, text: str, finish: str, usage: tuple[int, int], delay: float) -> Reply:
    """A 200 chat completion carrying `text`; `usage`: (prompt, completion) tokens."""
    prompt_tokens, completion = usage
    return Reply(
        200,
        {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "logprobs": None,
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": prompt_tokens + completion,
                "prompt_tokens_details": None,
                "completion_tokens_details": None,
            },
        },
        delay=delay,
    )


def term_pairs(value: object) -> list[tuple[str, str]] | None:
    """terms/tm_list as (source, target) pairs; None when malformed."""
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not (
            isinstance(item, dict)
            and set(item) == {"source", "target"}
            and all(isinstance(v, str) and v for v in item.values())
        ):
            return None
        out.append((item["source"], item["target"]))
    return out
