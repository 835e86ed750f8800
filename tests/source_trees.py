"""Syntax trees of Newsdesk's own source, for the tests that read the code (imports, writes).

CPython 3.11 before 3.11.8 (gh-106905) can leave `ast.parse` broken for the rest of a process
after an earlier parse hit the recursion limit, raising "SystemError: AST constructor
recursion depth mismatch" for any source afterwards; the whole suite ran into it. Then the
files are parsed in a fresh interpreter instead, all in one, and the trees sent back pickled.
"""

import ast
import functools
import pickle
import subprocess
import sys
from pathlib import Path

import newsdesk

_PARSE_ALL = """
import ast, pickle, sys
paths = sys.stdin.read().split("\\0")
trees = {path: ast.parse(open(path, encoding="utf-8").read(), filename=path) for path in paths}
sys.stdout.buffer.write(pickle.dumps(trees))
"""


def parse(path):
    """The module's tree (`path` a pathlib.Path of a file in the repository)."""
    try:
        return ast.parse(path.read_text(), filename=str(path))
    except SystemError:
        package = Path(newsdesk.__file__).parent
        folder = package if path.is_relative_to(package) else path.parent
        return _parsed_elsewhere(folder)[str(path)]


@functools.cache
def _parsed_elsewhere(folder):
    paths = [str(path) for path in sorted(folder.rglob("*.py"))]
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_ALL],
        input="\0".join(paths).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return pickle.loads(done.stdout)  # noqa: S301 - our own child's output
