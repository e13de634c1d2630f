"""Rename a name where it is used as a variable (not attributes, keywords or parameters, nor a
method's name, nor inside a function or lambda that has a parameter of that name: there it is
the parameter)."""

from __future__ import annotations

import libcst as cst

from nb2prod.refactor.fastcst import FastTransformer


class _Renamer(FastTransformer):
    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        self.new = new
        self.shadowed = 0  # inside functions whose parameter has the old name
        self.scopes: list[str] = []  # "class" or "def", innermost last

    def _shadows(self, node: cst.FunctionDef | cst.Lambda) -> bool:
        return self.old in parameter_names(node.params)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # a class body that binds the name (a method, an attribute) means its own there
        self.scopes.append("own class" if self.old in _class_bindings(node) else "class")

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef):
        self.scopes.pop()
        return updated.with_changes(name=original.name) if self._in_own_class() else updated

    def _in_own_class(self) -> bool:
        return bool(self.scopes) and self.scopes[-1] == "own class"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.shadowed += self._shadows(node)
        self.scopes.append("def")

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.shadowed -= self._shadows(original)
        self.scopes.pop()
        if self.scopes and self.scopes[-1].endswith("class"):  # a method: `obj.step` finds it
            return updated.with_changes(name=original.name)
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.shadowed += self._shadows(node)

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda):
        self.shadowed -= self._shadows(original)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if updated.value != self.old or self.shadowed or self._in_own_class():
            return updated
        return updated.with_changes(value=self.new)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)  # obj.old stays obj.old

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        return updated.with_changes(name=original.name)


def parameter_names(params: cst.Parameters) -> set[str]:
    """The names a function's or lambda's parameters bind."""
    every = [*params.posonly_params, *params.params, *params.kwonly_params,
             *(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param))]
    return {param.name.value for param in every}


def _class_bindings(node: cst.ClassDef) -> set[str]:
    """The names a class body binds itself: its methods, nested classes and attributes."""
    found = set()
    for statement in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            found.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
                    else [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) \
                    else []
                found.update(t.value for t in targets if isinstance(t, cst.Name))
    return found


def rename(source: str, old: str, new: str) -> str:
    if old not in source:
        return source
    return cst.parse_module(source).visit(_Renamer(old, new)).code
