"""Real catalogues from PyPI sdists (`make real-data` downloads them into .cache/sdists):
Django 4.2.16's admin catalogues against Django 5.0.9's English admin catalogue as the
template (Django ships no .pot: msgmerge users merge against the `en` catalogue).

Also runnable, to print the counts quoted in the README and reports:
`.venv/bin/python -m tests.support.real_data`.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.env import IN_CI, ROOT

SDISTS = ROOT / ".cache" / "sdists"
OLD, NEW = "4.2.16", "5.0.9"
ADMIN = "django/contrib/admin/locale"


def sdist(name: str, version: str) -> Path:
    """The cached sdist; skips locally with the reason when missing, fails in CI."""
    path = SDISTS / f"{name}-{version}.tar.gz"
    if not path.exists():
        reason = f"{path.relative_to(ROOT)} is missing: run `make real-data` first"
        import pytest

        if IN_CI:
            pytest.fail(f"CI requires the real catalogues: {reason}")
        pytest.skip(reason)
    return path


def extract(archive: Path, under: str, dest: Path) -> Path:
    """The files of `archive` below `<top>/<under>`, copied to `dest` (returned)."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            _, _, rest = member.name.partition("/")
            if member.isfile() and rest.startswith(under + "/"):
                target = dest / rest[len(under) + 1 :]
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as fh:  # type: ignore[union-attr]
                    target.write_bytes(fh.read())
    return dest


@dataclass(frozen=True)
class Pair:
    project: Path
    """A locflow project: template/django.po (new) and locale/<ll>/LC_MESSAGES (old)."""
    old: Path
    """Django OLD's admin catalogues, untouched (what the project's catalogues started as)."""
    locales: tuple[str, ...]


TOML = """\
[project]
name = "django-admin"
source_locale = "en"
locales = [{locales}]

[[catalogs]]
template = "template/django.po"
path = "locale/{{locale}}/LC_MESSAGES/django.po"

[engine]
name = "pseudo"

[export]
machine = "omit"
mo = false
"""


def django_admin_pair(dest: Path) -> Pair:
    """Old admin catalogues, new English catalogue as the template, and every locale (the
    configuration accepts them all, `udm` outside CLDR included)."""
    old = extract(sdist("Django", OLD), ADMIN, dest / "old")
    new = extract(sdist("Django", NEW), ADMIN, dest / "new")
    project = dest / "project"
    (project / "template").mkdir(parents=True)
    (project / "template" / "django.po").write_bytes(
        (new / "en" / "LC_MESSAGES" / "django.po").read_bytes()
    )
    found = sorted(p.name for p in old.iterdir() if (p / "LC_MESSAGES" / "django.po").exists())
    locales = [code for code in found if code != "en"]
    for code in locales:
        target = project / "locale" / code / "LC_MESSAGES" / "django.po"
        target.parent.mkdir(parents=True)
        target.write_bytes((old / code / "LC_MESSAGES" / "django.po").read_bytes())
    accepted = _accepted(project, locales)
    return Pair(project, old, tuple(accepted))


def _accepted(project: Path, locales: list[str]) -> list[str]:
    """Every locale, `udm` (outside CLDR) included: the configuration must take them all."""
    from locflow.settings import load_config

    toml = project / "locflow.toml"
    toml.write_text(TOML.format(locales=", ".join(f'"{c}"' for c in locales)))
    return list(load_config(toml, env={}).locales)


def msgmerge(old: Path, template: Path, out: Path) -> Path:
    subprocess.run(
        ["msgmerge", "--quiet", "--previous", "-o", str(out), str(old), str(template)],
        check=True,
    )
    return out


# --- parity with msgmerge ------------------------------------------------------------------


@dataclass
class Parity:
    kept_exact: int = 0
    """msgmerge kept it as translated; locflow exports the same text, not fuzzy."""
    kept_fuzzy: int = 0
    """msgmerge made it fuzzy; locflow exports the same text as fuzzy."""
    other_fuzzy: int = 0
    """msgmerge made it fuzzy; locflow offers a fuzzy text from another entry."""
    differs: list[str] = field(default_factory=list)
    """Kept by msgmerge but not by locflow (or not in the same state): must stay empty."""
    locflow_only: int = 0
    """Fuzzy suggestions locflow offers where msgmerge has none."""

    def add(self, other: Parity) -> None:
        self.kept_exact += other.kept_exact
        self.kept_fuzzy += other.kept_fuzzy
        self.other_fuzzy += other.other_fuzzy
        self.differs += other.differs
        self.locflow_only += other.locflow_only


def parity(merged: Path, exported: Path) -> Parity:
    """Every translation msgmerge keeps in `merged`, compared with locflow's `exported`."""
    from locflow.connectors.po import read_po

    ours = {e.segment.key: e for e in read_po(exported).entries if not e.segment.obsolete}
    out = Parity()
    theirs = {e.segment.key: e for e in read_po(merged).entries if not e.segment.obsolete}
    for key, e in theirs.items():
        mine = ours.get(key)
        if not any(e.forms):
            if mine is not None and any(mine.forms):
                out.locflow_only += 1
            continue
        if mine is None or not any(mine.forms):
            out.differs.append(f"{exported.parent.parent.name}: {key[1]!r} lost")
        elif not e.fuzzy and (mine.fuzzy or mine.forms != e.forms):
            out.differs.append(f"{exported.parent.parent.name}: {key[1]!r} not kept as is")
        elif e.fuzzy and not mine.fuzzy:
            out.differs.append(f"{exported.parent.parent.name}: {key[1]!r} not fuzzy")
        elif not e.fuzzy:
            out.kept_exact += 1
        elif mine.forms == e.forms:
            out.kept_fuzzy += 1
        else:
            out.other_fuzzy += 1
    return out


# --- churn: which lines an export changed ----------------------------------------------------


def line_kind(line: str) -> str:
    for prefix, kind in (
        ("#~", "obsolete"),
        ("#:", "references"),
        ("#.", "extracted comments"),
        ("#,", "flags"),
        ("#|", "previous msgid"),
        ("#", "translator comments"),
        ("msgstr", "msgstr"),
        ("msgid", "msgid"),
        ("msgctxt", "msgid"),
        ('"', "string continuation"),
    ):
        if line.startswith(prefix):
            return kind
    return "blank" if not line.strip() else "other"


def churn(before: bytes, after: bytes) -> Counter[str]:
    """Removed and added lines of a unified diff, by kind (header lines apart)."""
    a = before.decode("utf-8", "replace").splitlines()
    b = after.decode("utf-8", "replace").splitlines()
    header_end = (a.index("") if "" in a else 0, b.index("") if "" in b else 0)
    out: Counter[str] = Counter()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            out["header" if i < header_end[0] else line_kind(a[i])] += 1
        for j in range(j1, j2):
            out["header" if j < header_end[1] else line_kind(b[j])] += 1
    return out


def untouched_text_changed(before: bytes, after: bytes, name: str) -> list[str]:
    """Entries in both files with the same msgstr whose msgctxt/msgid/msgstr lines differ
    (the lines must stay byte for byte, however they were wrapped)."""
    from locflow.connectors.po_parse import parse_po

    old = {e.segment.key: e for e in parse_po(before, name).entries if not e.segment.obsolete}
    bad = []
    for e in parse_po(after, name).entries:
        prev = old.get(e.segment.key)
        if e.segment.obsolete or prev is None or prev.forms != e.forms or prev.raw is None:
            continue
        if e.raw is None or _text_lines(prev.raw) != _text_lines(e.raw):
            bad.append(f"{name}: {e.segment.msgid!r}")
    return bad


def _text_lines(raw: str) -> list[str]:
    lines = raw.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(("msgctxt", "msgid"))), len(lines)
    )
    return lines[start:]


def entry_kinds(before: Path, after: Path) -> Counter[str]:
    """What happened to each entry of an export, compared with the catalogue it started from."""
    from locflow.connectors.po import read_po

    old = {e.segment.key: e for e in read_po(before).entries if not e.segment.obsolete}
    entries = read_po(after).entries
    new = {e.segment.key: e for e in entries if not e.segment.obsolete}
    out: Counter[str] = Counter(obsolete=sum(1 for e in entries if e.segment.obsolete))
    for key, e in new.items():
        was = old.get(key)
        if was is None:
            out["new, carried fuzzy" if any(e.forms) else "new, untranslated"] += 1
        elif (was.forms, was.fuzzy) != (e.forms, e.fuzzy):
            out["translation changed"] += 1
        elif was.raw == e.raw:
            out["untouched"] += 1
        else:
            out["same translation, notes changed"] += 1
    return out


# --- the whole comparison ----------------------------------------------------------------------


@dataclass
class Report:
    locales: int = 0
    entries: int = 0
    parity: Parity = field(default_factory=Parity)
    churn: Counter[str] = field(default_factory=Counter)
    msgmerge_churn: Counter[str] = field(default_factory=Counter)
    rewrapped: list[str] = field(default_factory=list)
    carried: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


def run(pair: Pair, db_url: str) -> Report:
    """Sync the old catalogues with the new template, export, and compare with msgmerge."""
    from locflow.connectors.po import read_po
    from locflow.db.session import open_database
    from tests.support.helpers import config_for, export, sync

    Session = open_database(db_url)
    config = config_for(pair.project, db_url)
    report = Report(locales=len(pair.locales))
    sync_report = sync(Session, config)
    report.carried = sync_report.carried
    export(Session, config)
    Session.kw["bind"].dispose()
    template = pair.project / "template" / "django.po"
    merged_dir = pair.project.parent / "msgmerge"
    merged_dir.mkdir(exist_ok=True)
    for code in pair.locales:
        old = pair.old / code / "LC_MESSAGES" / "django.po"
        ours = pair.project / "locale" / code / "LC_MESSAGES" / "django.po"
        merged = msgmerge(old, template, merged_dir / f"{code}.po")
        report.parity.add(parity(merged, ours))
        before, after = old.read_bytes(), ours.read_bytes()
        report.entries += len(read_po(ours).entries)
        report.churn += churn(before, after)
        report.msgmerge_churn += churn(before, merged.read_bytes())
        report.rewrapped += untouched_text_changed(before, after, f"{code}/django.po")
        report.kinds += entry_kinds(old, ours)
    return report


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pair = django_admin_pair(Path(tmp))
        db = f"sqlite:///{Path(tmp) / 'locflow.db'}"
        r = run(pair, os.environ.get("LOCFLOW_DATABASE_URL", db))
    p = r.parity
    print(f"Django {OLD} admin catalogues vs {NEW} template: {r.locales} locales, ")
    print(f"  {r.entries} entries exported, {r.carried} translations carried (fuzzy)")
    print(f"msgmerge --previous keeps {p.kept_exact} exact + {p.kept_fuzzy + p.other_fuzzy} fuzzy")
    print(f"  locflow: same text and state {p.kept_exact + p.kept_fuzzy}, ")
    print(f"  fuzzy with another entry's text {p.other_fuzzy}, lost {len(p.differs)}")
    print(f"  locflow-only fuzzy suggestions: {p.locflow_only}")
    for line in p.differs[:20]:
        print("   ", line)
    print(f"changed lines (removed + added) by kind, locflow: {dict(r.churn.most_common())}")
    print(f"  total {sum(r.churn.values())}")
    print(f"changed lines by kind, msgmerge: {dict(r.msgmerge_churn.most_common())}")
    print(f"  total {sum(r.msgmerge_churn.values())}")
    print(f"entries by what happened to them: {dict(r.kinds.most_common())}")
    print(f"entries with unchanged msgstr whose msgid/msgstr lines changed: {len(r.rewrapped)}")
    for line in r.rewrapped[:10]:
        print("   ", line)


if __name__ == "__main__":
    sys.exit(main())
