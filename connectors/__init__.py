"""Connectors to the outside world: file formats (gettext PO) and translation engines."""
