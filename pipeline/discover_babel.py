"""Babel's own settings for a project's catalogues, read without running anything: the
options of its setuptools commands (`extract_messages`, `init_catalog`, `update_catalog`,
`compile_catalog`) in setup.cfg, babel.cfg or pyproject.toml."""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Mapping
from pathlib import PurePosixPath

BABEL_SECTIONS = ("extract_messages", "init_catalog", "update_catalog", "compile_catalog")

Group = tuple[str, str | None]
"""(base folder, domain): `<base>/<ll>/LC_MESSAGES/<domain>.po`; domain None: `<base>/<ll>.po`."""


def babel_settings(files: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The options of Babel's commands, from setup.cfg / babel.cfg text (configparser) and
    pyproject.toml (`[tool.distutils.<command>]`, as setuptools reads it, or
    `[tool.babel.<command>]`); the first file naming an option wins. `files`: name -> text."""
    out: dict[str, dict[str, str]] = {}
    for name, text in files.items():
        sections = _toml_sections(text) if name.endswith(".toml") else _cfg_sections(text)
        for section, options in sections.items():
            for key, value in options.items():
                out.setdefault(section, {}).setdefault(key.replace("-", "_"), value.strip())
    return out


def _cfg_sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {s: dict(parser[s]) for s in parser.sections() if s in BABEL_SECTIONS}


def _toml_sections(text: str) -> dict[str, dict[str, str]]:
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return {}
    out: dict[str, dict[str, str]] = {}
    for owner in ("distutils", "babel"):
        table = tool.get(owner, {})
        for section in BABEL_SECTIONS:
            options = table.get(section) if isinstance(table, dict) else None
            if isinstance(options, dict):
                out[section] = {k: str(v) for k, v in options.items() if isinstance(v, str)}
    return out


def babel_template(settings: Mapping[str, Mapping[str, str]]) -> tuple[str | None, Group | None]:
    """The template Babel's settings name, and where they put the catalogues (output_dir and
    domain of init/update_catalog), each None when not set."""
    pot = settings.get("extract_messages", {}).get("output_file")
    for section in ("update_catalog", "init_catalog", "compile_catalog"):
        opts = settings.get(section, {})
        pot = pot or opts.get("input_file")
        out_dir = opts.get("output_dir") or opts.get("directory")
        if out_dir:
            domain = opts.get("domain") or (PurePosixPath(pot).stem if pot else "messages")
            return _clean(pot), (_clean(out_dir) or ".", domain)
    return _clean(pot), None


def _clean(path: str | None) -> str | None:
    if not path:
        return None
    return str(PurePosixPath(path.strip().replace("\\", "/").removeprefix("./")))
