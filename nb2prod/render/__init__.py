"""Rendering generated projects from jinja2 templates (manifests, discovery, rendering)."""
