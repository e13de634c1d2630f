"""Rename a name where it is used as a variable (not attributes, keywords or parameters)."""

from __future__ import annotations

import libcst as cst


class _Renamer(cst.CSTTransformer):
    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        self.new = new

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.new) if updated.value == self.old else updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)  # obj.old stays obj.old

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        return updated.with_changes(name=original.name)


def rename(source: str, old: str, new: str) -> str:
    if old not in source:
        return source
    return cst.parse_module(source).visit(_Renamer(old, new)).code


class _DeadAssignments(cst.CSTTransformer):
    """``x = f()`` where nothing reads x becomes ``f()``; without a call it becomes ``pass``."""

    def __init__(self, dead: set[str]) -> None:
        super().__init__()
        self.dead = dead

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function's locals are its own business

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ExceptHandler(self, original, updated):
        """``except E as e:`` with e unused: ``except E:``."""
        if updated.name is not None and isinstance(updated.name.name, cst.Name) \
                and updated.name.name.value in self.dead:
            return updated.with_changes(name=None)
        return updated

    def leave_WithItem(self, original, updated):
        """``with open(p) as f:`` with f unused: ``with open(p):``."""
        if updated.asname is not None and isinstance(updated.asname.name, cst.Name) \
                and updated.asname.name.value in self.dead:
            return updated.with_changes(asname=None)
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.Assign):
            return updated
        assign = updated.body[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return updated
        if assign.targets[0].target.value not in self.dead:
            return updated
        if _has_call(assign.value):
            return updated.with_changes(body=[cst.Expr(assign.value)])
        return updated.with_changes(body=[cst.Pass()])


def _has_call(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Call):
        return True
    return any(_has_call(child) for child in node.children)


def drop_dead_assignments(source: str, dead: set[str]) -> str:
    if not dead:
        return source
    return cst.parse_module(source).visit(_DeadAssignments(dead)).code


def drop_dead_in_function(source: str) -> str:
    """The same clean-up inside a notebook function, or each method of a notebook class."""
    module = cst.parse_module(source)
    definition = module.body[0]
    if isinstance(definition, cst.FunctionDef):
        cleaned = _clean_function(module, definition)
    elif isinstance(definition, cst.ClassDef):
        members = [_clean_function(module, member) if isinstance(member, cst.FunctionDef) else member
                   for member in definition.body.body]
        cleaned = definition.with_changes(body=definition.body.with_changes(body=members))
    else:
        return source
    return module.with_changes(body=[cleaned, *module.body[1:]]).code


def _clean_function(module: cst.Module, function: cst.FunctionDef) -> cst.FunctionDef:
    import ast
    import textwrap

    node = ast.parse(textwrap.dedent(module.code_for_node(function))).body[0]
    dead = unread_names(node)
    if not dead:
        return function
    return function.with_changes(body=function.body.visit(_DeadAssignments(dead)))


def unread_names(node, keep: set[str] = frozenset()) -> set[str]:
    """Names a scope assigns (plain ``x = ...``, ``except ... as x``, ``with ... as x``) and never
    reads, apart from ``keep`` and names declared global or nonlocal."""
    import ast

    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    read |= {n.target.id for n in ast.walk(node)
             if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    declared = {name for n in ast.walk(node) if isinstance(n, (ast.Global, ast.Nonlocal))
                for name in n.names}
    assigned = {t.id for n in ast.walk(node) if isinstance(n, ast.Assign) and len(n.targets) == 1
                for t in [n.targets[0]] if isinstance(t, ast.Name)}
    assigned |= {n.name for n in ast.walk(node) if isinstance(n, ast.ExceptHandler) and n.name}
    assigned |= {item.optional_vars.id for n in ast.walk(node) if isinstance(n, (ast.With, ast.AsyncWith))
                 for item in n.items if isinstance(item.optional_vars, ast.Name)}
    return assigned - read - declared - set(keep)
