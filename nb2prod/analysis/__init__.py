"""Pure analysis of notebook code with the standard library's ``ast``: no I/O, no execution."""
