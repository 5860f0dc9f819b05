"""Pure domain: segments, translation forms, placeholders, plurals and checks (no I/O)."""
