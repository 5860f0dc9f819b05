"""Persistence: typed SQLAlchemy models, Alembic migrations, repo functions.

Callers own sessions and transactions.
"""
