"""Documentation that cannot silently fall behind the code."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment_variables():
    settings_source = (ROOT / "newsdesk" / "settings.py").read_text()
    return set(re.findall(r"env\.get\(\s*[\"']([A-Z_]+)[\"']", settings_source))


def test_settings_read_the_documented_variables():
    assert {"DATABASE_URL", "NEWSDESK_SECRET_KEY", "NEWSDESK_TIME_ZONE"} <= environment_variables()


def test_every_environment_variable_is_documented():
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in environment_variables():
        assert f"### `{name}`" in configuration, f"{name} has no section in docs/configuration.md"
        assert f"`{name}`" in readme, f"{name} is missing from the README's table"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
