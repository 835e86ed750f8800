"""The apps' imports form a layered map: `core` imports no feature app, and no two apps import
each other, however indirectly (docs/development.md, "How the apps may import each other").

Read from the source with `ast`, so nothing is imported. Every import of `newsdesk.<app>`
from a module of another app counts, wherever it stands: at the top of a module, under
`if TYPE_CHECKING:`, or inside a function. An import deferred into a function is still a
dependency, so it cannot hide a circle; it is only a way to put off a costly load, and every
one that crosses apps is listed in DEFERRED with the reason, so that a new one is a decision.
Imports inside one app are not checked (an app may defer an import of its own modules).
"""

import ast
from collections import defaultdict
from pathlib import Path

import newsdesk
from tests import source_trees

PACKAGE = Path(newsdesk.__file__).parent
APPS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())

DEFERRED = {
    # AppConfig.ready() is where Django says to connect signals: the models are loaded then.
    ("newsdesk/parts/apps.py", "pagecache"),
}

PENDING: set = set()
"""Imports a change in flight will remove (file, module), left out of the circle check until
then; a line here that no longer matches an import fails test_pending_entries_still_exist."""


def module_parts(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(node, path):
    """The dotted names an import statement reaches: `from newsdesk import live` reaches
    newsdesk.live, `from .models import X` the module's sibling."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module_parts(path)
        base = base if path.name == "__init__.py" else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    if module == "newsdesk":
        return [f"newsdesk.{alias.name}" for alias in node.names]
    return [module]


def cross_app_imports():
    """(importing file, its app, imported module, imported app, deferred into a function)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = module_parts(path)
        if len(parts) < 2 or parts[1] not in APPS:
            continue
        tree = source_trees.parse(path)
        found.extend(_walk(tree, path, parts[1], deferred=False))
    return found


def _walk(node, path, app, deferred):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for module in imported_modules(child, path):
                names = [*module.split("."), ""]
                if names[0] == "newsdesk" and names[1] in APPS and names[1] != app:
                    relative = path.relative_to(PACKAGE.parent).as_posix()
                    yield relative, app, module, names[1], deferred
        inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _walk(child, path, app, inner)


def dependencies():
    graph = defaultdict(set)
    for relative, app, module, imported, _ in cross_app_imports():
        if (relative, module) not in PENDING:
            graph[app].add(imported)
    return graph


def circles(graph):
    """Strongly connected groups of more than one app (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(app):
        index[app] = low[app] = len(index)
        stack.append(app)
        on_stack.add(app)
        for other in sorted(graph.get(app, ())):
            if other not in index:
                visit(other)
                low[app] = min(low[app], low[other])
            elif other in on_stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == app:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for app in sorted(graph):
        if app not in index:
            visit(app)
    return groups


def test_the_walk_finds_imports_of_every_kind():
    """The checks below are only as good as this reading of the source."""
    found = {
        (relative, module, deferred) for relative, _, module, _, deferred in cross_app_imports()
    }
    assert ("newsdesk/live/models.py", "newsdesk.core.forms", False) in found
    assert ("newsdesk/parts/apps.py", "newsdesk.pagecache.actions", True) in found
    assert len(APPS) > 15 and {"core", "live", "articles", "accounts"} <= set(APPS)


def test_core_imports_no_feature_app():
    found = [
        f"{relative} imports {module}"
        for relative, app, module, _, _ in cross_app_imports()
        if app == "core" and (relative, module) not in PENDING
    ]
    assert found == [], "core is what every app builds on: move the code to the app it serves"


def test_no_app_imports_an_app_that_imports_it_back():
    graph = dependencies()
    found = circles(graph)
    where = [
        f"{relative}: {module}"
        for relative, app, module, imported, _ in cross_app_imports()
        if any(app in group and imported in group for group in found)
        and (relative, module) not in PENDING
    ]
    assert found == [], "import circle among apps:\n" + "\n".join(where)


def test_cross_app_imports_inside_functions_are_the_listed_ones():
    deferred = {
        (relative, imported)
        for relative, _, _, imported, is_deferred in cross_app_imports()
        if is_deferred
    }
    assert deferred == DEFERRED, "import at the top of the module, or list it with a reason"


def test_pending_exceptions_are_still_needed():
    """An exception that no longer matches an import is removed, not left to hide the next."""
    present = {(relative, module) for relative, _, module, _, _ in cross_app_imports()}
    assert PENDING - present == set()
