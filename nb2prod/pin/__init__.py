"""Dependency pinning: collect imports and installs, map them to distributions, find versions, lock."""
