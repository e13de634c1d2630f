"""Differential testing: run a notebook and its generated project, compare their values."""
