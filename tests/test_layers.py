"""The packages import only what stands below them (DESIGN.md, "Layout"), so a change
can be followed downwards by reading, and news travels upwards by signals."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "storefront"

# DESIGN.md's layers, top to bottom; a package may import the ones ranked lower.
# notices and shopify stand beside cart and articles (they use the catalogue and
# inventory, and staff uses them); templating helps checkout render the catalogue;
# media (photo files) stands at the bottom beside inventory and mail.
RANK = {
    "api": 8,
    "staff": 7,
    "returns": 6, "account": 6,
    "checkout": 5,
    "cart": 4, "articles": 4, "notices": 4, "shopify": 4, "templating": 4,
    "catalogue": 3,
    "inventory": 2, "mail": 2, "media": 2,
}
# What every layer may use: settings, the database, column helpers, domain errors,
# the signals, request-input parsing, CSV rows and their problems, currencies, links on
# PUBLIC_URL, error pages, logging and security headers.
SHARED = {"extensions", "config", "database", "models", "exceptions", "signals", "inputs", "links",
          "csvrows", "money", "errors", "logs", "security"}
# Entry points and tools at the very top: the factory, demo data, deploy checks, digests.
TOP = {"__init__", "demo", "deploy", "digests", "health", "gunicorn_settings"}
INVENTORY_MAY_IMPORT = {"extensions", "database", "models", "exceptions", "signals"}


def imports(path):
    """The first-level storefront modules and packages that the file at `path` imports."""
    here = ["storefront", *path.relative_to(PACKAGE).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = here[:len(here) - node.level + 1] + (node.module or "").split(".")
            target = [part for part in target if part]
            if len(target) == 1:  # from .. import a, b
                found.update(alias.name for alias in node.names)
            else:
                found.add(target[1])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("storefront."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("storefront."))
    return found


def layer_of(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


FILES = sorted(PACKAGE.rglob("*.py"))


def test_the_import_reader_sees_relative_and_absolute_imports(tmp_path):
    assert {"inventory", "signals", "catalogue"} <= imports(PACKAGE / "notices" / "service.py")
    assert imports(PACKAGE / "inventory" / "service.py") >= {"signals", "database"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    layer = layer_of(path)
    targets = imports(path) - {layer}
    if layer in TOP or layer == "pagecache":
        return
    if layer in SHARED or layer not in RANK:
        # Shared modules (and new ones not placed yet) stand below every layer.
        upward = sorted(targets - SHARED)
        assert not upward, (f"{path.name} is shared by every layer but imports {upward}; "
                            f"place it in RANK in tests/test_layers.py if it is a layer")
        return
    upward = sorted(t for t in targets - SHARED
                    if t != "pagecache" and RANK.get(t, 99) >= RANK[layer])
    assert not upward, f"{layer} ({path.name}) imports {upward}, which stand above or beside it"


def test_inventory_imports_only_what_stands_below_it():
    for path in (PACKAGE / "inventory").rglob("*.py"):
        assert imports(path) - {"inventory"} <= INVENTORY_MAY_IMPORT, path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_views_know_the_page_cache(path):
    # The cache hears of changes by signals; models and services never call it.
    if "pagecache" in imports(path):
        assert path.name == "routes.py" or path == PACKAGE / "__init__.py", path


def test_signals_stand_below_everything():
    assert imports(PACKAGE / "signals.py") <= {"extensions"}
