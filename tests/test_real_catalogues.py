"""Real catalogues (slow tier): Django 4.2.16's admin catalogues merged with Django 5.0.9's
English catalogue as the template, compared with GNU `msgmerge --previous` on the same pair.
The sdists come from `make real-data` (.cache/sdists); without them these tests skip
locally and fail in CI. tests/support/real_data.py prints the same counts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from locflow.connectors.po import read_po
from locflow.pipeline.discover import discover
from locflow.pipeline.starter import starter_toml
from locflow.pipeline.units import export_catalogues, sync_catalogues
from tests.support.env import IN_CI
from tests.support.helpers import config_for
from tests.support.real_data import NEW, Report, django_admin_pair, extract, run, sdist

pytestmark = pytest.mark.slow

PLURAL = (None, "Please correct the error below.", "Please correct the errors below.")


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Report]:
    if shutil.which("msgmerge") is None:
        if IN_CI:
            pytest.fail("CI requires GNU gettext (msgmerge)")
        pytest.skip("GNU gettext's msgmerge is not installed")
    root = tmp_path_factory.mktemp("django")
    pair = django_admin_pair(root)
    assert len(pair.locales) >= 90 and "udm" in pair.locales  # every locale, none refused
    return pair.project, root / "msgmerge", run(pair, f"sqlite:///{root / 'db'}")


def test_every_translation_msgmerge_keeps_locflow_keeps(merged):
    _, _, report = merged
    parity = report.parity
    assert parity.differs == []
    assert parity.kept_exact > 10_000 and parity.kept_fuzzy > 500


def test_untouched_msgstr_lines_stay_byte_for_byte(merged):
    _, _, report = merged
    assert report.rewrapped == []
    assert report.kinds["translation changed"] == 0
    assert report.kinds["same translation, notes changed"] > 10_000
    # what changed is the merge itself: moved references above all, no more than msgmerge
    assert report.churn.most_common(1)[0][0] == "references"
    assert sum(report.churn.values()) <= sum(report.msgmerge_churn.values())


def test_udm_outside_cldr_keeps_its_own_plural_rule(merged):
    project, _, _ = merged
    udm = read_po(project / "locale" / "udm" / "LC_MESSAGES" / "django.po")
    assert udm.plural_forms() == "nplurals=1; plural=0;"
    assert dict(udm.header_fields())["Language"] == "udm"


def test_singular_turned_plural_is_carried_fuzzy_into_every_form(merged):
    project, by_msgmerge, _ = merged
    af = read_po(project / "locale" / "af" / "LC_MESSAGES" / "django.po")
    (entry,) = [e for e in af.entries if e.segment.key == PLURAL]
    assert entry.fuzzy and entry.segment.previous_msgid == "Please correct the error below."
    assert entry.forms == ("Maak die onderstaande fout asb. reg.",) * 2
    (theirs,) = [e for e in read_po(by_msgmerge / "af.po").entries if e.segment.key == PLURAL]
    assert (theirs.forms, theirs.fuzzy) == (entry.forms, entry.fuzzy)


def test_djangos_complete_catalogue_set_syncs_and_exports_with_no_locale_refused(tmp_path):
    """Django 5.0.9's every catalogue (13 templates, every locale, `udm` included) through
    what `locflow init` finds and writes, then sync and export: no locale is refused, every
    catalogue is written, and no file msgfmt -c accepted before is one it rejects after
    (Django's own catalogues include some it rejects: imported text, left as it is)."""
    if shutil.which("msgfmt") is None:
        if IN_CI:
            pytest.fail("CI requires GNU gettext (msgfmt)")
        pytest.skip("GNU gettext's msgfmt is not installed")
    project = extract(sdist("Django", NEW), "django", tmp_path / "django_tree" / "django")
    root = project.parent
    found = discover(root)
    (root / "locflow.toml").write_text(starter_toml(found), encoding="utf-8")
    config = config_for(root, f"sqlite:///{tmp_path / 'db'}")
    assert len(config.locales) >= 95 and "udm" in config.locales
    assert len(found.catalogs) >= 12
    before = {p: _msgfmt_ok(p) for p in root.rglob("*.po")}
    sync_catalogues(config, list(config.locales))
    files = export_catalogues(config, list(config.locales))
    assert len(files) >= 1200 and all(f.written or not f.changed for f in files)
    broken = [p for p in root.rglob("*.po") if before.get(p, True) and not _msgfmt_ok(p)]
    assert broken == []


def _msgfmt_ok(path: Path) -> bool:
    done = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(path)], capture_output=True)
    return done.returncode == 0
