"""Input size limits shared by the loader and the check cache (kept apart from the loader so a
cached check does not import it)."""

MAX_NOTEBOOK_BYTES = 1 << 30  # 1 GB: larger is no notebook a person saved
