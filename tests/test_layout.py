"""The package layout holds: services never import pages or the API, and pages and API
never import each other (annotator/__init__.py describes the layout)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "annotator"
SERVICE_PACKAGES = ("annotation", "curation", "exports", "projects", "deployment")
TOP_LEVEL_SERVICES = (
    "models.py",
    "permissions.py",
    "audit.py",
    "api_tokens.py",
    "untrusted_json.py",
    "wording.py",
)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            modules.add(name)
            modules.update(f"{name}.{alias.name}" for alias in node.names)
    return modules


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def service_modules() -> list[Path]:
    paths = [PACKAGE / name for name in TOP_LEVEL_SERVICES]
    for package in SERVICE_PACKAGES:
        paths.extend(sorted((PACKAGE / package).glob("*.py")))
    return paths


def test_imported_modules_resolves_relative_imports():
    modules = imported_modules(PACKAGE / "web" / "annotate.py")

    assert "annotator.annotation.spans" in modules
    assert "annotator.web.forms" in modules


@pytest.mark.parametrize("path", service_modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_services_import_neither_pages_nor_api(path):
    upward = {
        module
        for module in imported_modules(path)
        if within(module, "annotator.web") or within(module, "annotator.api")
    }

    assert upward == set()


@pytest.mark.parametrize(("package", "other"), [("web", "annotator.api"), ("api", "annotator.web")])
def test_pages_and_api_do_not_import_each_other(package, other):
    for path in sorted((PACKAGE / package).glob("*.py")):
        assert not {module for module in imported_modules(path) if within(module, other)}, path
