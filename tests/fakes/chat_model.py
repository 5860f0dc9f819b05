"""What the fake OpenAI-compatible server's "model" answers (tests/fakes/chat_server.py):
the JSON items of a chat request "translated" (letters of each word reversed, `[XnX]` tokens
kept), a completion prompt's last source line likewise, and the model-output faults."""

from __future__ import annotations

import json
import re
from typing import Any

TOKEN = re.compile(r"\[X\d+X\]")
WORD = re.compile(r"\[X\d+X\]|\w+")
MODEL_FAULTS = {
    "think",
    "think_open",
    "think_close",
    "fence",
    "chatter",
    "count",
    "reorder",
    "swap",
    "drop_token",
    "invalid_json",
    "empty",
    "echo",
}


def fake_translate(text: str) -> str:
    """Deterministic stand-in for a translation: each word reversed, tokens untouched."""
    return WORD.sub(lambda m: m.group() if TOKEN.fullmatch(m.group()) else m.group()[::-1], text)


def chat(body: dict[str, Any], faults: set[str]) -> tuple[str, int, int]:
    """A chat completion's content and its (prompt, completion) tokens."""
    messages = body["messages"]
    user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    prompt_len = sum(len(m["content"]) for m in messages)
    items = _items_in(user)
    if "echo" in faults or items is None:
        content = user
    else:
        out = [{"id": it["id"], "text": fake_translate(it["text"])} for it in items]
        if "drop_token" in faults and out:
            out[0]["text"] = TOKEN.sub("", out[0]["text"])
        if "count" in faults and out:
            out.pop()
        if "reorder" in faults:
            out.reverse()
        if "swap" in faults and len(out) > 1:
            out[0]["text"], out[1]["text"] = out[1]["text"], out[0]["text"]
        content = json.dumps({"items": out}, ensure_ascii=False)
    content = _decorate(content, faults)
    return content, prompt_len // 4 + 1, len(content) // 4 + 1


def complete(body: dict[str, Any], faults: set[str]) -> tuple[str, int, int]:
    """A completion's text (cut at `stop`) and its (prompt, completion) tokens."""
    prompt: str = body["prompt"]
    lines = prompt.rstrip(" ").split("\n")
    source = lines[-2].split(":", 1)[1].strip() if len(lines) >= 2 and ":" in lines[-2] else ""
    text = source if "echo" in faults else fake_translate(source)
    if "drop_token" in faults:
        text = TOKEN.sub("", text)
    text = _decorate(text, faults - {"fence", "think", "think_open"})
    if "think" in faults:  # on one line: a multi-line block would end at stop="\n"
        text = f"<think>The user wants French.</think> {text}"
    if "think_open" in faults:
        text = f"<think>{text}"
    out = f" {text}\n{lines[-2].split(':', 1)[0]}: something else\n"
    stops = body.get("stop") or []
    for stop in [stops] if isinstance(stops, str) else stops:
        if stop and stop in out:
            out = out[: out.index(stop)]
    return out, len(prompt) // 4 + 1, len(out) // 4 + 1


def _items_in(user: str) -> list[dict[str, str]] | None:
    for line in reversed(user.splitlines()):
        if line.startswith("{"):
            try:
                items = json.loads(line)["items"]
            except (ValueError, KeyError, TypeError):
                return None
            return [{"id": str(i["id"]), "text": str(i["text"])} for i in items]
    return None


def _decorate(content: str, faults: set[str]) -> str:
    if "invalid_json" in faults:
        content = content[: max(1, len(content) - 5)]
    if "empty" in faults:
        content = ""
    if "fence" in faults:
        content = f"```json\n{content}\n```"
    if "chatter" in faults:
        content = f"Sure! Here are the translations:\n{content}"
    if "think" in faults:
        content = f"<think>\nThe user wants a translation. Let me think.\n</think>\n\n{content}"
    if "think_open" in faults:
        content = f"<think>\n{content}"
    if "think_close" in faults:
        content = f"Okay, the reasoning the template opened.\n</think>\n\n{content}"
    return content
