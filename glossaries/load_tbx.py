"""Glossaries as TBX (ISO 30042): TBX-Basic 2008 (`<martif>`) and 2019 (`<tbx>`), DCA or DCT.

Read: `<termEntry>`/`<conceptEntry>` → `<langSet>`/`<langSec xml:lang>` → `<tig>`/`<ntig>`/
`<termSec>` → `<term>`, with `partOfSpeech`, `administrativeStatus` (preferred and admitted
terms are accepted, preferred first; deprecated, superseded, forbidden and obsolete ones are
forbidden) and `definition`/`<note>` as the sense note (entry, language and term level).
Extensions understood: `transferComment` "do not translate" (or Weblate's `translationNote`
"no") on a source term makes it do-not-translate everywhere, on a target term that equals the
source for that locale; `<termNote type="caseSensitive">yes</termNote>` on the source term.
Anything else (termType, subjectField, context, transactions…) is ignored.

Each accepted source-language term of an entry becomes one Term; the source language is the
`source_locale` argument or the root's `xml:lang`. The stdlib expat parser reads the file:
external entities and DTDs are never fetched and any entity declaration is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.glossaries.model import Glossary, GlossaryError, Term

_XML_LANG = "http://www.w3.org/XML/1998/namespace lang"
_ACCEPTED = {"preferred": 0, "admitted": 1, "legal": 1, "regulated": 1, "standardized": 0}
_FORBIDDEN = {"deprecated", "superseded", "forbidden", "obsolete", "notrecommended"}
_DNT = {"do not translate", "do-not-translate", "dnt", "untranslatable", "not translatable", "no"}
_NOTE_TYPES = {"definition", "explanation"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str | _Node] = field(default_factory=list)
    """Text and child elements in document order (inline markup such as <hi> in a term)."""

    def value(self) -> str:
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for part in self.parts:
            if isinstance(part, str):
                yield part
            else:
                yield from part._texts()

    def walk(self) -> Iterator[_Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def category(self) -> str:
        """`partOfSpeech` for `<termNote type="partOfSpeech">` and `<basic:partOfSpeech>`."""
        if self.tag in ("termNote", "descrip", "admin", "termNoteGrp"):
            return self.attrs.get("type", "")
        return self.tag


def load_tbx(
    path: str | Path, source_locale: str | None = None, *, name: str | None = None
) -> Glossary:
    """Read a TBX glossary file; raises GlossaryError (`file:line: …`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise GlossaryError(str(path), 0, f"cannot read: {e.strerror or e}") from None
    return parse_tbx(data, source_locale, origin=str(path), name=name or path.stem)


def parse_tbx(
    data: bytes | str,
    source_locale: str | None = None,
    *,
    origin: str = "<tbx>",
    name: str = "glossary",
) -> Glossary:
    root = _parse(data.encode("utf-8") if isinstance(data, str) else data, origin)
    if root.tag not in ("tbx", "martif"):
        raise GlossaryError(origin, root.line, f"not a TBX file: root element <{root.tag}>")
    code = source_locale or root.attrs.get(_XML_LANG) or root.attrs.get("lang")
    if not code:
        raise GlossaryError(origin, root.line, "no source language: give one or set xml:lang")
    source = _locale(code, root.line, origin)
    terms: list[Term] = []
    for node in root.walk():
        if node.tag in ("termEntry", "conceptEntry"):
            terms.extend(_entry(node, source, origin))
    return Glossary(name=name, terms=tuple(terms))


def _parse(data: bytes, origin: str) -> _Node:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse(reason: str) -> Callable[..., None]:
        def handler(*_: object) -> None:
            raise GlossaryError(origin, parser.CurrentLineNumber, reason)

        return handler

    def undefined(name: str, _is_parameter: bool) -> None:
        raise GlossaryError(
            origin, parser.CurrentLineNumber, f"undefined entity &{name}; (DTDs are not read)"
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = {(k if k == _XML_LANG else k.rpartition(" ")[2]): v for k, v in attrs.items()}
        node = _Node(tag.rpartition(" ")[2], local, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
            stack[-1].parts.append(node)
        else:
            roots.append(node)
        stack.append(node)

    def end(_: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].parts.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = refuse("entity declarations are not allowed in TBX")
    parser.UnparsedEntityDeclHandler = refuse("entity declarations are not allowed in TBX")
    parser.ExternalEntityRefHandler = refuse("external entities are not allowed in TBX")
    parser.SkippedEntityHandler = undefined
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        reason = expat.ErrorString(e.code)
        raise GlossaryError(origin, e.lineno, f"malformed XML: {reason}") from None
    except GlossaryError:
        raise
    except (LookupError, ValueError) as e:  # pyexpat: an encoding it does not know or handle
        line = parser.CurrentLineNumber or 1
        raise GlossaryError(origin, line, f"unsupported XML encoding: {e}; use UTF-8") from None
    if not roots:
        raise GlossaryError(origin, 1, "empty document")
    return roots[0]


def _locale(code: str, line: int, origin: str) -> str:
    try:
        return normalise_locale(code)
    except UnknownLocale:
        raise GlossaryError(origin, line, f"unknown language code {code!r}") from None


def _same_language(locale: str, source: str) -> bool:
    """`en_US` belongs to source `en` and the other way round; `en_GB` not to `en_US`."""
    if locale == source:
        return True
    a, b = locale.split("_"), source.split("_")
    return a[0] == b[0] and (len(a) == 1 or len(b) == 1)


@dataclass
class _Word:
    text: str
    line: int
    status: str = "accepted"  # accepted, forbidden
    rank: int = 0  # 0 preferred, 1 admitted
    pos: str = ""
    notes: list[str] = field(default_factory=list)
    dnt: bool = False
    case_sensitive: bool | None = None


def _notes(node: _Node, stop: tuple[str, ...]) -> list[str]:
    """Definitions and notes under `node`, not descending into `stop` elements."""
    out = []
    for child in node.children:
        if child.tag in stop:
            continue
        if child.tag == "note" or child.category() in _NOTE_TYPES:
            out.append(child.value())
        elif child.tag in ("descripGrp", "noteGrp"):
            out.extend(_notes(child, stop))
    return [n for n in out if n]


def _word(group: _Node, origin: str) -> _Word:
    term = next((n for n in group.walk() if n.tag == "term"), None)
    if term is None or not term.value():
        raise GlossaryError(origin, group.line, f"<{group.tag}> without a <term>")
    word = _Word(term.value(), term.line)
    for node in group.walk():
        kind, value = node.category(), node.value()
        folded = value.lower()
        if kind == "partOfSpeech":
            word.pos = value
        elif kind in ("administrativeStatus", "normativeAuthorization"):
            status = folded.removesuffix("-admn-sts").removesuffix("term").replace(" ", "")
            if status in _ACCEPTED:
                word.rank = _ACCEPTED[status]
            elif status in _FORBIDDEN:
                word.status = "forbidden"
            else:
                raise GlossaryError(origin, node.line, f"unknown {kind} {value!r}")
        elif kind in ("transferComment", "translationNote") and folded in _DNT:
            word.dnt = True
        elif kind in ("caseSensitive", "x-caseSensitive"):
            word.case_sensitive = folded in ("yes", "true", "1")
    word.notes = _notes(group, ())
    return word


def _entry(entry: _Node, source: str, origin: str) -> list[Term]:
    notes = _notes(entry, ("langSet", "langSec"))
    sources: list[_Word] = []
    source_notes: list[str] = []
    targets: dict[str, list[_Word]] = {}
    for lang_set in (n for n in entry.children if n.tag in ("langSet", "langSec")):
        code = lang_set.attrs.get(_XML_LANG) or lang_set.attrs.get("lang")
        if not code:
            raise GlossaryError(origin, lang_set.line, f"<{lang_set.tag}> without xml:lang")
        locale = _locale(code, lang_set.line, origin)
        groups = [n for n in lang_set.walk() if n.tag in ("tig", "ntig", "termSec")]
        words = [_word(g, origin) for g in groups]
        if _same_language(locale, source):
            sources.extend(words)
            source_notes.extend(_notes(lang_set, ("tig", "ntig", "termSec")))
        else:
            targets.setdefault(locale, []).extend(words)
    if not sources:
        raise GlossaryError(
            origin, entry.line, f"entry has no term in the source language {source}"
        )
    out = []
    for word in sources:
        if word.status == "forbidden":
            continue  # a deprecated source term is not looked for
        dnt_locales = [
            loc
            for loc, words in targets.items()
            if any(w.dnt and w.text.casefold() == word.text.casefold() for w in words)
        ]
        accepted = {
            loc: [w.text for w in sorted(words, key=lambda w: w.rank) if w.status == "accepted"]
            for loc, words in targets.items()
        }
        forbidden = {
            loc: [w.text for w in words if w.status == "forbidden"]
            for loc, words in targets.items()
        }
        note = "; ".join(dict.fromkeys([*notes, *source_notes, *word.notes]))
        out.append(
            Term.create(
                word.text,
                accepted,
                forbidden=forbidden,
                case_sensitive=bool(word.case_sensitive),
                do_not_translate=True if word.dnt else tuple(dnt_locales),
                part_of_speech=word.pos,
                note=note,
                line=word.line,
                origin=origin,
            )
        )
    return out
