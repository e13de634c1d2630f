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
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params,
                 *(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param))]
        return any(param.name.value == self.old for param in every)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append("class")

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef):
        self.scopes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.shadowed += self._shadows(node)
        self.scopes.append("def")

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.shadowed -= self._shadows(original)
        self.scopes.pop()
        if self.scopes and self.scopes[-1] == "class":  # a method: `obj.step` still finds it
            return updated.with_changes(name=original.name)
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.shadowed += self._shadows(node)

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda):
        self.shadowed -= self._shadows(original)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if updated.value != self.old or self.shadowed:
            return updated
        return updated.with_changes(value=self.new)

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
