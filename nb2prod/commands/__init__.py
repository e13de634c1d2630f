"""One module per CLI command: each turns options into output and returns an exit code."""
