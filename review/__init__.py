"""Reviewer workflow: users and roles, review actions (shared by CLI and web UI), the UI."""
