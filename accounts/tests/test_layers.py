"""The apps depend one way: accounts <- mentorship <- applications <- matching.
A lower layer reaches the data of the higher ones only through registries the
higher ones fill (``accounts.personal_data``, seed_demo's demo modules); the
admin and the URL conf may wire anything together."""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = ["accounts", "mentorship", "applications", "matching"]
WIRING = {"admin.py", "urls.py"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
    return names


def test_no_app_imports_a_higher_layer():
    wrong = []
    for index, app in enumerate(LAYERS):
        higher = set(LAYERS[index + 1 :])
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            relative = path.relative_to(settings.BASE_DIR)
            if path.name in WIRING or "tests" in relative.parts:
                continue
            wrong += [
                f"{relative} imports {name}" for name in imported_apps(path) & higher
            ]
    assert wrong == []
