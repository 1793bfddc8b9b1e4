"""Imports run one way: tasks → services → models.

A service queues a task by its name (apps.core.queue.enqueue), so no module but a tasks
module imports a tasks module, and models import no services: a tasks.py may then import
its services freely without an import cycle at django.setup().
"""

import ast
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2] / "apps"


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved to dotted names."""
    package = ".".join(path.relative_to(APPS.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def _modules(name: str) -> list[Path]:
    return sorted(p for p in APPS.rglob("*.py") if p.stem == name or p.parent.name == name)


def _non_task_modules() -> list[Path]:
    return sorted(
        p for p in APPS.rglob("*.py") if p.stem != "tasks" and "migrations" not in p.parts
    )


@pytest.mark.parametrize("path", _non_task_modules(), ids=lambda p: str(p.relative_to(APPS)))
def test_only_tasks_modules_import_tasks(path):
    tasks = sorted(n for n in _imports(path) if n.split(".")[-1] == "tasks")
    assert not tasks, f"{path.relative_to(APPS)} imports {tasks}: enqueue the task by name"


@pytest.mark.parametrize("path", _modules("models"), ids=lambda p: str(p.relative_to(APPS)))
def test_models_import_no_services(path):
    services = sorted(n for n in _imports(path) if n.split(".")[-1] in {"services", "tasks"})
    assert not services, f"{path.relative_to(APPS)} imports {services}"


def test_the_checks_see_a_relative_tasks_import(tmp_path):
    """The parser resolves `from . import tasks` (the shape that used to be in services)."""
    module = APPS / "cases" / "services.py"
    fake = module.with_name("zz_probe_services.py")
    try:
        fake.write_text("from . import tasks\nfrom .tasks import send_interaction\n")
        assert {"apps.cases.tasks", "apps.cases.tasks.send_interaction"} <= _imports(fake)
    finally:
        fake.unlink()
