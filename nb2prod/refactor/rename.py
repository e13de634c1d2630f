"""Rename a name where it is used as a variable (not attributes, keywords or parameters)."""

from __future__ import annotations

import libcst as cst

from nb2prod.refactor.fastcst import FastTransformer


class _Renamer(FastTransformer):
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
