"""Plain functions the flows orchestrate; no Prefect here, tested directly."""
