"""The real Prefect engine runs `localise` and `publish` against a session-wide server."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = pytest.mark.usefixtures("prefect_api")


def _artifacts(key: str, flow_run_id: str) -> list:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[key]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]),
                )
            )

    return asyncio.run(read())


def test_localise_runs_end_to_end_and_resumes_with_nothing_to_do(demo_project, db_url, monkeypatch):
    from locflow.flows.localise import localise

    monkeypatch.setenv("LOCFLOW_DATABASE_URL", db_url)
    config = str(demo_project / "locflow.toml")
    run = localise(config, ["fr", "ru"])
    assert run.status == "completed" and run.locales["ru"].counts.machine > 0
    first = run.to_dict()
    assert first["status"] == "completed"
    assert first["locales"]["ru"]["machine"] + first["locales"]["ru"]["needs_review"] == 19
    assert first["locales"]["ru"]["requests"] == 16 + 3 * 3  # a request per plural form
    assert {f["locale"] for f in first["files"] if f["written"]} == {"fr", "ru"}
    second = localise(config, ["fr", "ru"]).to_dict()
    assert all(v["requests"] == 0 and v["queued"] == 0 for v in second["locales"].values())
    assert not any(f["changed"] for f in second["files"])
    (summary,) = _artifacts("locflow-summary", first["flow_run_id"])
    assert "| ru | 19 |" in summary.data
    for locale in ("fr", "ru"):
        (table,) = _artifacts(f"locflow-{locale}", first["flow_run_id"])
        rows = {r["metric"]: r["value"] for r in json.loads(table.data)}
        assert rows["new (queued for the engine)"] == 19
        assert rows["requests"] == first["locales"][locale]["requests"]


def test_publish_flow_writes_only_catalogues_that_change(demo_project, db_url, monkeypatch):
    from locflow.flows.localise import localise, publish

    monkeypatch.setenv("LOCFLOW_DATABASE_URL", db_url)
    config = str(demo_project / "locflow.toml")
    localise(config, ["de"], export=False)
    first = publish(config, ["de"])
    assert [f.written for f in first.files] == [True]
    assert first.to_dict()["files"][0]["written"] is True
    again = publish(config, ["de"])
    assert [f.written for f in again.files] == [False]
