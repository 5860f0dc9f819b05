"""A WTForms-like project with a legacy-charset catalogue: WTForms' real msgids, a Babel-written
fr catalogue in ISO-8859-15, a UTF-8 ro catalogue and no de one yet (test_charset_safety)."""

from __future__ import annotations

import subprocess
from pathlib import Path

POT = """\
# Translations template for WTForms.
# Copyright (C) 2020 WTForms Team
# This file is distributed under the same license as the WTForms project.
# FIRST AUTHOR <EMAIL@ADDRESS>, 2020.
#
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: WTForms 2.0\\n"
"Report-Msgid-Bugs-To: eloi.rivard@nubla.fr\\n"
"POT-Creation-Date: 2024-01-11 08:20+0100\\n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"
"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"
"Language-Team: LANGUAGE <LL@li.org>\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Generated-By: Babel 2.8.0\\n"

#: src/wtforms/validators.py:86
#, python-format
msgid "Invalid field name '%s'."
msgstr ""

#: src/wtforms/validators.py:99
#, python-format
msgid "Field must be equal to %(other_name)s."
msgstr ""

#: src/wtforms/validators.py:145
#, python-format
msgid "Field must be at least %(min)d character long."
msgid_plural "Field must be at least %(min)d characters long."
msgstr[0] ""
msgstr[1] ""

#: src/wtforms/validators.py:339
msgid "Invalid email address."
msgstr ""

#: src/wtforms/validators.py:391
msgid "This field is required."
msgstr ""

#: src/wtforms/csrf/core.py:56
msgid "Invalid CSRF Token."
msgstr ""

#: src/wtforms/fields/choices.py:139
msgid "Not a valid choice."
msgstr ""
"""

FR_LATIN9 = """\
# French translations for WTForms.
# Copyright (C) 2020 WTForms Team
# This file is distributed under the same license as the WTForms project.
#
msgid ""
msgstr ""
"Project-Id-Version: WTForms 1.0.3\\n"
"Report-Msgid-Bugs-To: eloi.rivard@nubla.fr\\n"
"POT-Creation-Date: 2024-01-11 08:20+0100\\n"
"PO-Revision-Date: 2012-01-31 13:03-0700\\n"
"Last-Translator: Stéphane Raimbault <stephane.raimbault@gmail.com>\\n"
"Language: fr\\n"
"Language-Team: fr <LL@li.org>\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=ISO-8859-15\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Generated-By: Babel 2.8.0\\n"

#: src/wtforms/validators.py:86
#, python-format
msgid "Invalid field name '%s'."
msgstr "Nom de champ non valide « %s » (coût : 0 €)."

#: src/wtforms/validators.py:99
#, python-format
msgid "Field must be equal to %(other_name)s."
msgstr "Le champ doit être égal à %(other_name)s."

#: src/wtforms/validators.py:145
#, python-format
msgid "Field must be at least %(min)d character long."
msgid_plural "Field must be at least %(min)d characters long."
msgstr[0] ""
msgstr[1] ""

#: src/wtforms/validators.py:339
msgid "Invalid email address."
msgstr ""

#: src/wtforms/validators.py:391
msgid "This field is required."
msgstr "Ce champ est requis."

#: src/wtforms/csrf/core.py:56
msgid "Invalid CSRF Token."
msgstr "Jeton CSRF non valide."

#: src/wtforms/fields/choices.py:139
msgid "Not a valid choice."
msgstr ""
"""

RO_UTF8 = """\
msgid ""
msgstr ""
"Project-Id-Version: WTForms 3.0.0\\n"
"Language: ro\\n"
"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < "
"20)) ? 1 : 2);\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Generated-By: Babel 2.8.0\\n"

#: src/wtforms/validators.py:391
msgid "This field is required."
msgstr "Acest câmp este obligatoriu."
"""

TOML = """\
[project]
name = "wtforms"
source_locale = "en"
locales = ["fr", "ro", "de"]

[[catalogs]]
template = "src/wtforms/locale/wtforms.pot"
path = "src/wtforms/locale/{locale}/LC_MESSAGES/wtforms.po"

[engine]
name = "pseudo"

[export]
machine = "fuzzy"
"""

HUMAN_FR = {
    "Invalid field name '%s'.": "Nom de champ non valide « %s » (coût : 0 €).",
    "Field must be equal to %(other_name)s.": "Le champ doit être égal à %(other_name)s.",
    "This field is required.": "Ce champ est requis.",
    "Invalid CSRF Token.": "Jeton CSRF non valide.",
}
MACHINE_FR = ("Field must be at least %(min)d character long.", "Invalid email address.")
MACHINE_FR += ("Not a valid choice.",)


def po_path(project: Path, locale: str) -> Path:
    return project / "src" / "wtforms" / "locale" / locale / "LC_MESSAGES" / "wtforms.po"


def wtforms_project(tmp_path: Path) -> Path:
    """A WTForms-like project: its template, a Babel-written fr catalogue in ISO-8859-15,
    a UTF-8 ro catalogue, and no de catalogue yet."""
    root = tmp_path / "wtforms"
    pot = root / "src" / "wtforms" / "locale" / "wtforms.pot"
    pot.parent.mkdir(parents=True)
    pot.write_text(POT, encoding="utf-8")
    for locale, text, charset in (("fr", FR_LATIN9, "iso-8859-15"), ("ro", RO_UTF8, "utf-8")):
        po_path(root, locale).parent.mkdir(parents=True)
        po_path(root, locale).write_bytes(text.encode(charset))
    (root / "locflow.toml").write_text(TOML, encoding="utf-8")
    return root


def use_utf8_export(project: Path) -> None:
    toml = project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace('machine = "fuzzy"', 'machine = "fuzzy"\ncharset = "utf-8"')
    )


def msgfmt_ok(msgfmt: str, path: Path) -> None:
    done = subprocess.run(
        [msgfmt, "-c", "--check-format", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
