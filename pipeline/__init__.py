"""Plain steps, no Prefect: sync, plan, translate, store, export, docs, cost and budget, and the
units of work that run each step in its own transaction and lock (`units`)."""
