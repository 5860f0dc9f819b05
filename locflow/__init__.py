"""locflow: gettext catalogues and docs through machine translation, glossaries and review.

One import name for the whole distribution. The folders at the repository top (catalog/,
connectors/, glossaries/, db/, pipeline/, flows/, review/, cli/) are mapped under it by
setuptools' `package-dir`, so they are only ever imported as `locflow.<folder>`.
"""

__version__ = "0.1.0"
