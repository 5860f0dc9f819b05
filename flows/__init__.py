"""Prefect flows (thin) over plain step functions in flows/steps, plus the CLI."""
