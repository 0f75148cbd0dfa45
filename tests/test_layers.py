"""Dependencies point one way: imports → members → unions, progress beside them.

unions/ (the ground floor) imports neither members/, imports/ nor progress/; members/
imports neither imports/ nor progress/. Shared code lists and validators live in
registry/ (registry/codes.py, registry/validators.py), below both. Migrations excluded.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "unions": {"members", "imports", "progress", "selfservice"},
    "members": {"imports", "progress", "selfservice"},
    "selfservice": {"imports", "progress"},
}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every import in the file, nested ones included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def app_files(app: str) -> list[Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_the_layers_below_it(app):
    files = app_files(app)
    assert files, f"no Python files under {app}/"
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in files
        for line, package in sorted(imported_packages(path))
        if package in FORBIDDEN[app]
    ]
    assert wrong == []


def test_the_check_sees_nested_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from progress.counts import SubtreeCounts\n")
    assert imported_packages(module) == {(2, "progress")}
