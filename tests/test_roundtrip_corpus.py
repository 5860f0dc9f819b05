"""Real-world catalogues through the database: sync, delete the files, export from the
database alone, and get the same bytes back (Sphinx's and Django's shipped .po files)."""

from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest

from locflow.connectors.po import read_po
from locflow.connectors.po_model import PoError
from locflow.db import repo
from locflow.pipeline.export import export_catalog
from locflow.pipeline.sync import SyncReport, sync_catalog, sync_template
from locflow.settings import config_from_mapping
from tests.support.helpers import NOW

pytestmark = pytest.mark.slow


def corpus() -> list[tuple[str, Path]]:
    """(locale, path) of every catalogue shipped by the installed sphinx and django."""
    out = []
    for package in ("sphinx", "django"):
        spec = importlib.util.find_spec(package)
        assert spec and spec.origin, f"{package} is a test dependency"
        for p in sorted(Path(spec.origin).parent.rglob("LC_MESSAGES/*.po")):
            out.append((p.parent.parent.name, p))
    return out


def test_corpus_round_trips_byte_identical_from_the_database(tmp_path, Session, db_url):
    files = corpus()
    assert len(files) >= 200
    catalogs, locales, layout = [], set(), []
    for i, (locale, path) in enumerate(files):
        try:
            locale_code = locale.replace("-", "_")
            read_po(path)
        except PoError:
            continue  # reported by the parser tests; not a round-trip case
        rel = f"c{i}/{locale_code}.po"
        (tmp_path / f"c{i}").mkdir()
        shutil.copyfile(path, tmp_path / rel)
        catalogs.append({"template": rel, "path": f"c{i}/{{locale}}.po"})
        locales.add(locale_code)
        layout.append((i, locale_code, rel))
    config = config_from_mapping(
        {"project": {"source_locale": "en", "locales": []}, "catalogs": catalogs},
        root=tmp_path,
        env={"LOCFLOW_DATABASE_URL": db_url},
    )
    sources = config.catalog_sources()
    originals = {rel: (tmp_path / rel).read_bytes() for _, _, rel in layout}
    started = time.perf_counter()
    report = SyncReport()
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "corpus", "en")
        rows = []
        for src, (_, locale, _) in zip(sources, layout, strict=True):
            source = sync_template(s, project, src, report)
            sync_catalog(s, source, src, locale, report)
            rows.append(source)
    synced = time.perf_counter() - started
    for rel in originals:
        (tmp_path / rel).unlink()
    mismatches = []
    with Session() as s, s.begin():
        for source, src, (_, locale, rel) in zip(rows, sources, layout, strict=True):
            source = s.merge(source)
            result = export_catalog(s, source, src, locale, config, now=NOW)
            if (tmp_path / rel).read_bytes() != originals[rel] or result.changed:
                mismatches.append(rel)
    entries = sum(len(read_po(tmp_path / rel).entries) for rel in originals)
    print(
        f"\nround-tripped {len(originals)} catalogues, {entries} entries "
        f"({report.imported} translations imported) in {synced:.1f}s sync + "
        f"{time.perf_counter() - started - synced:.1f}s export"
    )
    assert len(originals) >= 200
    assert mismatches == []
