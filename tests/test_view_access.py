"""No view code reaches a row but through the scoped accessor: no ``session.get``, no
``datamodel.get``, no ``select(...)`` outside ``scoped(...)`` (parsed from the source, so a
new view module is checked as soon as it exists)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEW_CODE = sorted((ROOT / "app" / "views").glob("*.py"))
# Modules not yet converted to the accessor (none: keep it that way).
PENDING: set[str] = set()


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def unscoped_reads(source: str) -> list[str]:
    """Line numbers and calls of ``source`` that fetch rows around the accessor."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" \
                and _name(func.value) in ("session", "datamodel"):
            found.append(f"{node.lineno}: {_name(func.value)}.get")
        elif _name(func) == "select":
            # Allowed only inside scoped(<select ...>, Model).
            up, inside = node, False
            while up in parents:
                parent = parents[up]
                if isinstance(parent, ast.Call) and _name(parent.func) == "scoped" \
                        and parent.args and parent.args[0] is up:
                    inside = True
                    break
                if not isinstance(parent, (ast.Attribute, ast.Call)):
                    break
                up = parent
            if not inside:
                found.append(f"{node.lineno}: select outside scoped()")
    return found


def test_view_code_reaches_rows_only_through_the_accessor():
    problems = []
    for path in VIEW_CODE:
        rel = path.relative_to(ROOT).as_posix()
        if rel in PENDING:
            continue
        problems += [f"{rel}:{p}" for p in unscoped_reads(path.read_text(encoding="utf-8"))]
    assert problems == [], "\n".join(problems)


def test_the_check_finds_a_session_get_and_a_bare_select():
    source = ("def show(pk):\n"
              "    a = db.session.get(Project, pk)\n"
              "    b = self.datamodel.get(pk)\n"
              "    c = db.session.scalars(select(Project).where(Project.id == pk))\n"
              "    d = db.session.scalars(scoped(select(Project).where(Project.id == pk),\n"
              "                                  Project))\n")
    assert unscoped_reads(source) == ["2: session.get", "3: datamodel.get",
                                      "4: select outside scoped()"]
