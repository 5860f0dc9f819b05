"""Real catalogues (slow tier): Django 4.2.16's admin catalogues merged with Django 5.0.9's
English catalogue as the template, compared with GNU `msgmerge --previous` on the same pair.
The sdists come from `make real-data` (.cache/sdists); without them these tests skip
locally and fail in CI. tests/support/real_data.py prints the same counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from locflow.connectors.po import read_po
from tests.support.env import IN_CI
from tests.support.real_data import Report, django_admin_pair, run

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
