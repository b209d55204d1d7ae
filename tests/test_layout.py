"""The layout stays readable at a glance: no module of the app over 400 lines, and no
import cycle among the modules of `app/api` (each layer imports only what is below it)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def test_no_module_of_the_app_is_over_400_lines() -> None:
    long = {
        str(f.relative_to(APP)): n
        for f in APP.rglob("*.py")
        if (n := len(f.read_text().splitlines())) > 400
    }
    assert long == {}


def _imports(folder: Path) -> dict[str, set[str]]:
    """Each module of `folder` (dotted) and the modules of `folder` it imports."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        name = ".".join(path.relative_to(APP.parent).with_suffix("").parts).removesuffix(
            ".__init__"
        )
        found[name] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found[name] |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found[name] |= {a.name for a in node.names}
    return {m: {d for d in deps if d in found and d != m} for m, deps in found.items()}


def test_no_import_cycle_inside_app_api() -> None:
    graph = _imports(APP / "api")
    assert "app.api.cors" in graph["app.api.edge"]  # the graph is the real one
    cycles: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for imported in graph[module]:
            walk(imported, [*path, module])
        done.add(module)

    for module in graph:
        walk(module, [])
    assert cycles == []
