"""The charset a locale's catalogue will be written in, for the charset check.

A catalogue keeps the charset it was read in (its stored bytes say which); a catalogue that
does not exist yet is made in UTF-8 (export_merge.new_base), and `[export] charset = "utf-8"`
converts every catalogue to UTF-8 at export, so then nothing is out of reach.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.connectors.po_model import PoError, python_codec
from locflow.connectors.po_parse import parse_header_fields
from locflow.db import catalog_repo
from locflow.db.models import CatalogFile

UTF8 = "UTF-8"

_BY_CONTENT: dict[str, str] = {}
"""Declared charset by catalogue content hash: a header is read once per content."""


def catalogue_charset(s: Session, source_id: int, locale: str, *, keep: bool = True) -> str:
    """The charset, as the catalogue's header names it, that `locale`'s catalogue of
    `source_id` is written in: its stored one when `keep` ([export] charset = "keep"),
    else UTF-8."""
    if not keep:
        return UTF8
    digest = s.scalar(
        select(CatalogFile.content_hash).where(
            CatalogFile.source_id == source_id, CatalogFile.locale == locale
        )
    )
    if digest is None:
        return UTF8
    if digest not in _BY_CONTENT:
        stored = catalog_repo.catalog_file(s, source_id, locale)
        if stored is None:
            return UTF8
        if len(_BY_CONTENT) > 256:
            _BY_CONTENT.clear()
        _BY_CONTENT[digest] = declared_charset(stored.content, stored.path)
    return _BY_CONTENT[digest]


def declared_charset(data: bytes, name: str) -> str:
    """The charset a catalogue's Content-Type names; UTF-8 when none, for the `CHARSET`
    placeholder, or when the name is not one Python can encode in (sync refuses those)."""
    try:
        fields = parse_header_fields(data, name)
    except PoError:
        return UTF8
    content_type = next((v for k, v in fields if k.lower() == "content-type"), "")
    at = content_type.lower().find("charset=")
    charset = content_type[at + len("charset=") :].split(";")[0].strip() if at >= 0 else ""
    if not charset:
        return UTF8
    try:
        codec = python_codec(charset)
    except (LookupError, ValueError):
        return UTF8
    return UTF8 if codec == "utf-8" else charset
