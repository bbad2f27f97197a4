"""Layering: domain rules and services are plain Python, free of Reflex."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "selfservice"


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", ["domain", "services", "persistence", "auth", "i18n"])
def test_layer_does_not_import_reflex_or_ui(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = {m for m in imported_modules(path) if m.split(".")[0] == "reflex" or m.startswith("selfservice.ui")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_domain_does_not_touch_the_database():
    for path in (PACKAGE / "domain").rglob("*.py"):
        bad = {
            m for m in imported_modules(path) if m.split(".")[0] in ("sqlalchemy", "sqlmodel") or m.startswith("selfservice.persistence")
        }
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
