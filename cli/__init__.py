"""The `locflow` command: every command group in its own module (`main` builds the parser)."""
