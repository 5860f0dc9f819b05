"""Does `make demo` write the same bytes from two checkouts? (for refactors)

    make demo                                  # in each checkout (or the same one, twice)
    python -m bench.compare_demo OLD/build/demo NEW/build/demo [--log OLD.log NEW.log]

Every file under the two demo folders is compared byte for byte, except the SQLite database
(`.locflow/`). `PO-Revision-Date` carries the minute of the run, so its value (same length in
.po and .mo) is blanked in both before comparing. With `--log`, the two `make demo` outputs
are compared the same way, after dropping the lines that name a checkout's own path.
Exit 0 when everything is equal, 1 otherwise (each difference named).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REVISION_DATE = re.compile(rb"PO-Revision-Date: \d{4}-\d\d-\d\d \d\d:\d\d[+-]\d{4}")
BLANK_DATE = b"PO-Revision-Date: YYYY-MM-DD HH:MM+ZZZZ"


def files_of(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes with the revision date blanked (the database left out)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] != ".locflow":
            out[str(rel)] = REVISION_DATE.sub(BLANK_DATE, path.read_bytes())
    return out


def log_lines(path: Path) -> list[str]:
    """The demo's console output without the lines that differ by checkout only."""
    return [line for line in path.read_text().splitlines() if not line.startswith("cd ")]


def differences(old: Path, new: Path) -> list[str]:
    a, b = files_of(old), files_of(new)
    found = [f"only in {old}: {name}" for name in sorted(a.keys() - b.keys())]
    found += [f"only in {new}: {name}" for name in sorted(b.keys() - a.keys())]
    found += [f"differs: {name}" for name in sorted(a.keys() & b.keys()) if a[name] != b[name]]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--log", nargs=2, type=Path, metavar=("OLD_LOG", "NEW_LOG"))
    args = parser.parse_args(argv)
    found = differences(args.old, args.new)
    if args.log and log_lines(args.log[0]) != log_lines(args.log[1]):
        found.append("the two `make demo` outputs differ")
    for line in found:
        print(line)
    count = len(files_of(args.new))
    print(f"{count} files compared: " + ("identical" if not found else f"{len(found)} differ"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
