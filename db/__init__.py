"""Persistence: typed SQLAlchemy models, Alembic migrations, repo functions.

Callers own sessions and transactions.
"""

if __name__ != "locflow.db":  # a second import path would build a second copy of the metadata
    raise ImportError(f"import locflow.db, not {__name__}")
