"""What the PO tests share: the fixture catalogues, finding and replacing an entry, and the
gettext skip marker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from locflow.connectors.po_edit import with_entries
from locflow.connectors.po_model import PoCatalog, PoEntry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "po"
HAS_GETTEXT = shutil.which("msgfmt") is not None and shutil.which("msgmerge") is not None
needs_gettext = pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext tools not installed")


def entry(cat: PoCatalog, msgid: str, obsolete: bool = False) -> PoEntry:
    return next(
        e for e in cat.entries if e.segment.msgid == msgid and e.segment.obsolete == obsolete
    )


def replaced(cat: PoCatalog, old: PoEntry, new: PoEntry) -> PoCatalog:
    return with_entries(cat, [new if e is old else e for e in cat.entries])


# the demo's fr catalogue in ISO-8859-15 (a legacy charset), with two human translations
LATIN9_FR = """\
msgid ""
msgstr ""
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=ISO-8859-15\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

#: app/settings.py:7
msgid "Settings"
msgstr "Paramètres"

#: app/settings.py:8
msgid " (default)"
msgstr " (par défaut)"
"""
