"""benchmarks/run.py's report writer: a re-run part replaces only its own section."""

from benchmarks import run


def section(name, text):
    return f"<!-- part: {name} -->\n## {name}\n\n{text}\n<!-- end of part -->\n"


def test_a_rerun_part_keeps_notes_between_parts_and_other_parts(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(
        run.HEADER
        + section("pages", "old pages figures")
        + "\n## A note written by hand\n\nKept as it is.\n\n"
        + section("search", "old search figures")
    )
    run.write_report({"search": section("search", "new search figures")}, report)
    text = report.read_text()
    assert "new search figures" in text and "old search figures" not in text
    assert "old pages figures" in text
    assert "## A note written by hand\n\nKept as it is.\n" in text
    assert text.index("old pages figures") < text.index("A note written by hand")
    assert text.index("A note written by hand") < text.index("new search figures")


def test_a_part_not_yet_in_the_report_is_added_at_the_end(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    run.write_report({"pages": section("pages", "pages figures")}, report)
    run.write_report({"feeds": section("feeds", "feeds figures")}, report)
    text = report.read_text()
    assert text.startswith("# Benchmarks\n")
    assert text.index("pages figures") < text.index("feeds figures")
    assert text.count("<!-- part: pages -->") == 1
