"""Prefect only: the `localise`, `publish` and `translate_docs` flows, fan-out over a work
pool, deployments and run artifacts. Each task wraps a plain function of `locflow.pipeline`."""
