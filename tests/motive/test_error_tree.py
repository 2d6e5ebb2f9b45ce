"""The exception tree drawn in motive/errors.py's docstring is the tree the code defines: every
class, under its parent, each with its line, so the drawing cannot go stale."""

from __future__ import annotations

import importlib
import pkgutil
import re

import motive
import motive.errors
from motive.errors import MotiveError

# A class's line: `│   ` (or four spaces) per level above its parent, `├── ` or `└── `, the name.
NAMED = re.compile(r"^((?:[│ ]   )*)([├└]── )?([A-Z][A-Za-z]*Error)\b(.*)$")


def drawn() -> dict[str, str | None]:
    """Each class the docstring draws, with the class it hangs from (None for the root)."""
    doc = motive.errors.__doc__ or ""
    lines = doc.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("    MotiveError "))
    parents: dict[str, str | None] = {}
    above: list[str] = []  # the open branch, root first
    for line in lines[start:]:
        if not line.strip():
            break
        m = NAMED.match(line.removeprefix("    "))
        if m is None:
            continue  # the rest of the line above
        prefix, branch, name, said = m.groups()
        assert (branch is None) == (prefix == "" and not above), line  # only the root has no branch
        assert said.strip(), f"{name} is drawn without its line"
        assert name not in parents, f"{name} is drawn twice"
        depth = m.start(3) // 4
        del above[depth:]
        assert len(above) == depth, f"{name} is drawn below no class"
        parents[name] = above[-1] if above else None
        above.append(name)
    return parents


def defined() -> dict[str, type[BaseException]]:
    """Every subclass of MotiveError in the code (all of motive imported), by name."""
    for module in pkgutil.walk_packages(motive.__path__, "motive."):
        importlib.import_module(module.name)
    found: dict[str, type[BaseException]] = {}
    todo: list[type[BaseException]] = [MotiveError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("tests."):
            continue  # a test's own stand-in, not part of the library
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def test_the_drawing_names_every_class_under_its_parent() -> None:
    tree = drawn()
    classes = defined()
    assert set(tree) == set(classes)
    assert MotiveError.__bases__ == (Exception,)
    assert tree["MotiveError"] is None
    for name, cls in classes.items():
        if cls is MotiveError:
            continue
        assert len(cls.__bases__) == 1, name
        assert tree[name] == cls.__bases__[0].__name__, name


def test_every_class_lives_in_errors_and_is_exported_by_the_package() -> None:
    for name, cls in defined().items():
        assert cls.__module__ == "motive.errors", name
        assert name in motive.__all__, name
        assert getattr(motive, name) is cls
