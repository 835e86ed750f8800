"""The split of the SQLite suite into shards that run side by side (scripts/test.sh)."""

import json

import pytest

from tests.conftest import DURATIONS_FILE, shard_files

FILES = [f"test_{letter}.py" for letter in "abcdefghij"]


def test_every_file_is_in_exactly_one_shard():
    for count in (1, 2, 3):
        shards = [shard_files(FILES, f"{number}/{count}") for number in range(1, count + 1)]
        assert sorted(name for shard in shards for name in shard) == FILES


def test_the_split_is_the_same_in_every_process_and_order():
    assert shard_files(FILES, "1/2") == shard_files(list(reversed(FILES)), "1/2")


def test_known_slow_files_are_spread_over_the_shards(monkeypatch, tmp_path):
    durations = tmp_path / "durations.json"
    durations.write_text('{"test_a.py": 100, "test_b.py": 90, "test_c.py": 20}')
    monkeypatch.setattr("tests.conftest.DURATIONS_FILE", durations)
    first, second = shard_files(FILES, "1/2"), shard_files(FILES, "2/2")
    assert "test_a.py" in first and "test_b.py" in second
    # The longest first, each to the shard with less so far; unknown files count 5 s.
    assert first == {"test_a.py", "test_d.py", "test_e.py", "test_f.py", "test_h.py", "test_j.py"}
    assert second == {"test_b.py", "test_c.py", "test_g.py", "test_i.py"}


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_malformed_shard_is_refused(shard):
    with pytest.raises(pytest.UsageError, match="expected K/N"):
        shard_files(FILES, shard)


def test_the_recorded_durations_name_existing_test_files():
    names = {path.name for path in DURATIONS_FILE.parent.glob("test_*.py")}
    assert DURATIONS_FILE.exists(), "tests/durations.json evens the shards: see tests/conftest.py"
    stale = set(json.loads(DURATIONS_FILE.read_text())) - names
    assert not stale, f"tests/durations.json names files that are gone: {sorted(stale)}"
