"""Public functions of the rules layer carry type hints (parameters and return).

``app/services``, ``app/workflow`` and ``app/plugins`` are what views, the API, the CLI,
workers and third-party plugins call; their signatures are their contract.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app/services", "app/workflow", "app/plugins", "app/ledgers")


def _public(name: str) -> bool:
    return not name.startswith("_")


def missing_hints(source: str, filename: str = "<source>") -> list[str]:
    """``file:line name(param)`` for every public function or method lacking a hint."""
    tree = ast.parse(source)
    out: list[str] = []

    def check(fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: str, is_method: bool) -> None:
        where = f"{filename}:{fn.lineno} {owner}{fn.name}"
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
        if is_method and args and args[0].arg in ("self", "cls"):
            args = args[1:]
        out.extend(f"{where}({a.arg})" for a in args if a.annotation is None)
        for extra in (fn.args.vararg, fn.args.kwarg):
            if extra is not None and extra.annotation is None:
                out.append(f"{where}(*{extra.arg})")
        if fn.returns is None and fn.name != "__init__":
            out.append(f"{where} -> ?")

    def visit(body: list[ast.stmt], owner: str, in_class: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if _public(node.name) or (in_class and node.name == "__init__"):
                    check(node, owner, in_class)
            elif isinstance(node, ast.ClassDef) and _public(node.name):
                visit(node.body, f"{owner}{node.name}.", True)

    visit(tree.body, "", False)
    return out


def test_public_functions_of_the_rules_layer_have_type_hints():
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            missing += missing_hints(path.read_text(encoding="utf-8"),
                                     str(path.relative_to(ROOT)))
    assert missing == [], f"{len(missing)} missing type hints:\n" + "\n".join(missing[:80])


def test_the_check_sees_a_missing_hint():
    source = ("def ok(a: int) -> int: ...\n"
              "def bad(a, b: int): ...\n"
              "def _private(a): ...\n"
              "class C:\n"
              "    def m(self, x) -> None: ...\n")
    assert missing_hints(source) == ["<source>:2 bad(a)", "<source>:2 bad -> ?",
                                     "<source>:5 C.m(x)"]
