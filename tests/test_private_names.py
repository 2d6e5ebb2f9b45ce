"""No module reaches another's underscore names (issue 26): a name that starts with one underscore
is its module's or its class's own, and may change without a look at who else uses it.

Every module of bot/ and motive/ is read with `ast`; found are `from X import _name` (and
`import a._b`), and `something._name` where `something` is not `self` or `cls`. Dunder names
(`__name__`, `__dict__`) are Python's, and allowed. The exceptions are listed below, each with
its reason; an exception that no longer matches anything fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "motive")

# Underscored names that are a library's public API, wherever they are read.
PUBLIC_NAMES = {
    "_mapping": "SQLAlchemy's Row._mapping is its documented API, underscored so that it cannot "
    "clash with a column's name",
}

# (module, what it reaches) -> why it may. TODO(room) entries are to be cleared by that room.
ALLOWED = {
    ("motive/ratelimit.py", "bucket._tokens"): "TokenBucket.for_limit, a classmethod of the "
    "bucket's own class, fills the bucket it has just built",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def reaches(source: str) -> list[tuple[int, str]]:
    """(line, what) for each underscore name of another module or object `source` reaches."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [
                (node.lineno, f"from {'.' * node.level}{node.module or ''} import {a.name}")
                for a in node.names
                if _private(a.name)
            ]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {a.name}")
                for a in node.names
                if any(_private(part) for part in a.name.split("."))
            ]
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own and node.attr not in PUBLIC_NAMES:
                found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_check_finds_what_it_is_meant_to() -> None:
    source = (
        "from bot.tracking.delivery import _maybe_shared, Deliverer\n"
        "from . import _sibling\n"
        "import bot._hidden.x\n"
        "tracker._finish(row)\n"
        "self.delivery._once(row)\n"
        "super()._fetch(row)\n"
        "self._fine, cls._fine, type(x).__name__, row._mapping\n"
    )
    assert reaches(source) == [
        (1, "from bot.tracking.delivery import _maybe_shared"),
        (2, "from . import _sibling"),
        (3, "import bot._hidden.x"),
        (4, "tracker._finish"),
        (5, "self.delivery._once"),
        (6, "super()._fetch"),
    ]


def test_no_module_reaches_another_modules_underscore_names() -> None:
    found: set[tuple[str, str]] = set()
    lines: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            for line, what in reaches(path.read_text()):
                found.add((module, what))
                if (module, what) not in ALLOWED:
                    lines.append(f"{module}:{line}: {what}")
    assert lines == [], "underscore names reached from outside their module or object"
    stale = sorted(set(ALLOWED) - found)
    assert stale == [], "exceptions that no longer match anything: remove them from ALLOWED"
