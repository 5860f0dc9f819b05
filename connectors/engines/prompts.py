"""Prompts for local OpenAI-compatible models, and reading their replies back.

Local servers (vLLM, Ollama, llama.cpp) know nothing of `translation_options`, so the
prompt carries everything: language names, the glossary terms and memory examples of the
strings, the domain and the context hint. Two shapes:

- chat (instruct models such as Qwen3): a short system message and a user message holding
  the items as JSON; the reply is JSON `{"items": [{"id", "text"}]}` forced by a schema.
- completion (base models such as Gemma 3 270M): a few-shot `English: …` / `French: …`
  prompt ending in `French:`, one string per call, cut at the first newline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from locflow.catalog.locales import UnknownLocale, english_name
from locflow.catalog.placeholders import TOKEN_LIKE
from locflow.connectors.engines.base import Request

MAX_MEMORY = 4
"""Memory examples per prompt: a few anchor the style, more only cost tokens."""


def language_name(code: str) -> str:
    """`[locales.X] name` when set, else Babel's (`fr` → "French"), else the code itself."""
    try:
        return english_name(code)
    except UnknownLocale:
        return code


# --- chat: several strings per call, JSON out ----------------------------------------------


def chat_messages(requests: Sequence[Request], domains: str = "") -> list[dict[str, str]]:
    """System + user messages for one pack (all requests share a language pair)."""
    first = requests[0]
    src, tgt = language_name(first.source_locale), language_name(first.target_locale)
    system = [
        f"You are a professional software translator. Translate each item's text from {src} "
        f"to {tgt}.",
        "Tokens such as [X0X] stand for placeholders and markup: copy each one unchanged, "
        "exactly once. Translate nothing else than the text; add no notes.",
    ]
    if domains:
        system.append(f"Domain and style: {domains}")
    system.append(
        'Reply with JSON only: {"items": [{"id": ..., "text": ...}]}, one item per input item, '
        "same ids, same order."
    )
    user: list[str] = []
    terms = _unique(t for r in requests for t in r.terms)
    if terms:
        user.append(f"Glossary ({src} → {tgt}), use these translations:")
        user += [f"- {s} → {t}" for s, t in terms]
    memory = _unique(m for r in requests for m in r.memory)[:MAX_MEMORY]
    if memory:
        user.append("Earlier approved translations, for consistency:")
        user += [f"- {s} → {t}" for s, t in memory]
    items = [_item(i, r) for i, r in enumerate(requests, 1)]
    user.append("Items:")
    user.append(json.dumps({"items": items}, ensure_ascii=False))
    return [
        {"role": "system", "content": "\n".join(system)},
        {"role": "user", "content": "\n".join(user)},
    ]


def _item(i: int, request: Request) -> dict[str, Any]:
    item: dict[str, Any] = {"id": str(i), "text": request.text}
    if request.context:
        item["context"] = request.context
    if request.plural_sample is not None:
        item["plural_form_for_n"] = request.plural_sample
    return item


def _unique(pairs: Any) -> list[tuple[str, str]]:
    return list(dict.fromkeys((str(a), str(b)) for a, b in pairs if a and b))


FORMATS = ("json_schema", "json_object", "none")
"""Structured-output requests, best first: vLLM, Ollama and llama-server take json_schema;
llama-cpp-python's server only json_object (with a `schema`, which it enforces)."""


def response_format(count: int, kind: str = "json_schema") -> dict[str, Any] | None:
    """The `response_format` asking for exactly `count` items {id, text}; None for "none"."""
    item = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
        "required": ["id", "text"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item, "minItems": count, "maxItems": count}
        },
        "required": ["items"],
        "additionalProperties": False,
    }
    if kind == "json_object":
        return {"type": "json_object", "schema": schema}
    if kind == "none":
        return None
    return {
        "type": "json_schema",
        "json_schema": {"name": "translations", "strict": True, "schema": schema},
    }


_THINK_BLOCK = re.compile(r"<think\b[^>]*>.*?</think\s*>", re.IGNORECASE | re.DOTALL)
_THINK_CLOSE = re.compile(r"</think\s*>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"^\s*<think\b[^>]*>", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[\w-]*[ \t]*\n?(.*?)\n?```\s*$", re.DOTALL)


def strip_think(text: str) -> str:
    """Drop reasoning: `<think>…</think>` blocks, anything before a lone `</think>` (the
    opening tag was in the template), and an unterminated leading `<think>` tag."""
    text = _THINK_BLOCK.sub("", text)
    parts = _THINK_CLOSE.split(text)
    text = parts[-1]
    return _THINK_OPEN.sub("", text).strip()


def parse_items(content: str, count: int) -> list[str] | None:
    """The texts of a JSON reply in request order; None when it cannot be read as `count`
    items (then the packing driver splits the pack)."""
    data = _load_json(strip_think(content))
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or len(data) != count:
        return None
    if all(isinstance(x, str) for x in data):
        return list(data)
    if not all(isinstance(x, dict) and isinstance(x.get("text"), str) for x in data):
        return None
    ids = [str(x.get("id", "")).strip() for x in data]
    if sorted(ids, key=_id_key) == [str(i) for i in range(1, count + 1)]:
        data = sorted(data, key=lambda x: _id_key(str(x["id"]).strip()))  # reordered reply
    return [x["text"] for x in data]


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 30, value)


def _load_json(text: str) -> Any:
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        return json.loads(text)
    except ValueError:
        pass
    for open_, close in ("{}", "[]"):  # chatter around the JSON
        start, end = text.find(open_), text.rfind(close)
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except ValueError:
                continue
    return None


# --- completion: one string per call, few-shot -----------------------------------------


@dataclass(frozen=True)
class Shot:
    source: str
    target: str


# English sources and their translations per target language. A string with tokens gets
# shots with tokens (a base model learns to copy them); one without gets shots without, as
# a small model otherwise copies a shot's token into it.
_SHOT_SOURCES = (
    "Open file",
    "Delete [X0X]?",
    "You have [X0X] new messages.",
    "Your changes have been saved.",
    "Are you sure you want to quit?",
    "Page [X0X] of [X1X]",
)
_WITH_TOKENS, _WITHOUT_TOKENS = (0, 1, 2, 5), (0, 3, 4)
SHOTS: dict[str, tuple[str, str, str, str, str, str]] = {
    "fr": (
        "Ouvrir le fichier",
        "Supprimer [X0X] ?",
        "Vous avez [X0X] nouveaux messages.",
        "Vos modifications ont été enregistrées.",
        "Voulez-vous vraiment quitter ?",
        "Page [X0X] sur [X1X]",
    ),
    "de": (
        "Datei öffnen",
        "[X0X] löschen?",
        "Sie haben [X0X] neue Nachrichten.",
        "Ihre Änderungen wurden gespeichert.",
        "Möchten Sie wirklich beenden?",
        "Seite [X0X] von [X1X]",
    ),
    "es": (
        "Abrir archivo",
        "¿Eliminar [X0X]?",
        "Tienes [X0X] mensajes nuevos.",
        "Se han guardado los cambios.",
        "¿Seguro que quieres salir?",
        "Página [X0X] de [X1X]",
    ),
    "it": (
        "Apri file",
        "Eliminare [X0X]?",
        "Hai [X0X] nuovi messaggi.",
        "Le modifiche sono state salvate.",
        "Vuoi davvero uscire?",
        "Pagina [X0X] di [X1X]",
    ),
    "pt": (
        "Abrir arquivo",
        "Excluir [X0X]?",
        "Você tem [X0X] novas mensagens.",
        "Suas alterações foram salvas.",
        "Tem certeza de que deseja sair?",
        "Página [X0X] de [X1X]",
    ),
    "nl": (
        "Bestand openen",
        "[X0X] verwijderen?",
        "U hebt [X0X] nieuwe berichten.",
        "Uw wijzigingen zijn opgeslagen.",
        "Weet u zeker dat u wilt afsluiten?",
        "Pagina [X0X] van [X1X]",
    ),
    "sv": (
        "Öppna fil",
        "Ta bort [X0X]?",
        "Du har [X0X] nya meddelanden.",
        "Dina ändringar har sparats.",
        "Vill du verkligen avsluta?",
        "Sida [X0X] av [X1X]",
    ),
    "pl": (
        "Otwórz plik",
        "Usunąć [X0X]?",
        "Masz [X0X] nowych wiadomości.",
        "Zmiany zostały zapisane.",
        "Czy na pewno chcesz zakończyć?",
        "Strona [X0X] z [X1X]",
    ),
    "ru": (
        "Открыть файл",
        "Удалить [X0X]?",
        "У вас [X0X] новых сообщений.",
        "Изменения сохранены.",
        "Вы действительно хотите выйти?",
        "Страница [X0X] из [X1X]",
    ),
    "uk": (
        "Відкрити файл",
        "Видалити [X0X]?",
        "У вас [X0X] нових повідомлень.",
        "Зміни збережено.",
        "Ви справді хочете вийти?",
        "Сторінка [X0X] з [X1X]",
    ),
    "tr": (
        "Dosyayı aç",
        "[X0X] silinsin mi?",
        "[X0X] yeni mesajınız var.",
        "Değişiklikleriniz kaydedildi.",
        "Çıkmak istediğinizden emin misiniz?",
        "Sayfa [X0X] / [X1X]",
    ),
    "ar": (
        "فتح الملف",
        "حذف [X0X]؟",
        "لديك [X0X] رسائل جديدة.",
        "تم حفظ التغييرات.",
        "هل تريد الخروج حقًا؟",
        "الصفحة [X0X] من [X1X]",
    ),
    "ja": (
        "ファイルを開く",
        "[X0X] を削除しますか?",
        "新しいメッセージが [X0X] 件あります。",
        "変更を保存しました。",
        "終了してもよろしいですか?",
        "[X0X] / [X1X] ページ",
    ),
    "ko": (
        "파일 열기",
        "[X0X]을(를) 삭제하시겠습니까?",
        "새 메시지가 [X0X]개 있습니다.",
        "변경 사항이 저장되었습니다.",
        "종료하시겠습니까?",
        "[X0X] / [X1X] 페이지",
    ),
    "zh": (
        "打开文件",
        "删除 [X0X]？",
        "您有 [X0X] 条新消息。",
        "您的更改已保存。",
        "确定要退出吗？",
        "第 [X0X] 页，共 [X1X] 页",
    ),
}


def shots_for(request: Request) -> list[Shot]:
    """Built-in shots (English sources only), then glossary terms and memory as shots."""
    shots: list[Shot] = []
    lang = request.target_locale.replace("-", "_").split("_")[0].split("@")[0].lower()
    if request.source_locale.split("_")[0].lower() == "en" and lang in SHOTS:
        picks = _WITH_TOKENS if TOKEN_LIKE.search(request.text) else _WITHOUT_TOKENS
        shots += [Shot(_SHOT_SOURCES[i], SHOTS[lang][i]) for i in picks]
    shots += [Shot(s, t) for s, t in _unique(request.terms)]
    shots += [Shot(s, t) for s, t in _unique(request.memory)[:MAX_MEMORY]]
    return [s for s in shots if "\n" not in s.source + s.target]


def completion_prompt(request: Request, text: str, domains: str = "") -> str:
    """`text` (one line) after a few-shot header; the model completes the last line."""
    src, tgt = language_name(request.source_locale), language_name(request.target_locale)
    lines = [f"Translate from {src} to {tgt}."]
    if TOKEN_LIKE.search(text):
        lines[0] += " Copy tokens such as [X0X] unchanged."
    if domains:
        lines.append(f"Domain: {domains}")
    if request.context:
        lines.append("Context: " + " ".join(request.context.split()))
    lines.append("")
    for shot in shots_for(request):
        lines += [f"{src}: {shot.source}", f"{tgt}: {shot.target}"]
    lines += [f"{src}: {text}", f"{tgt}:"]
    return "\n".join(lines)
