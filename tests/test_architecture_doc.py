"""docs/architecture.md is the map of the code: it names every app folder under newsdesk/, and
every source file it names exists. A new app, or a file moved or renamed, fails here until the
map says so."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "newsdesk"
MAP = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_folder_under_newsdesk_is_named():
    folders = sorted(
        path.name
        for path in PACKAGE.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )
    assert len(folders) > 20, folders
    missing = [name for name in folders if not re.search(rf"(?<![\w/]){name}/", MAP)]
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_every_source_file_it_names_exists():
    """`live/broker.py`, `core/pubsub.py`...: relative to newsdesk/, or to the repository."""
    named = set(re.findall(r"`((?:[\w-]+/)+[\w-]+\.py)`", MAP))
    assert len(named) > 20, named
    gone = sorted(
        path for path in named if not (PACKAGE / path).exists() and not (ROOT / path).exists()
    )
    assert not gone, f"docs/architecture.md names files that do not exist: {gone}"
