"""Test servers that speak real HTTP (OpenAI-compatible, …)."""
