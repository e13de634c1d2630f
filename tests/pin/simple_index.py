"""A PEP 691 JSON simple index on 127.0.0.1 that reports upload times (PEP 700), for --as-of."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@contextmanager
def serve_index(wheels: dict[Path, str]) -> Iterator[str]:
    """Serve ``wheels`` (file -> ISO upload time); yields the index URL."""
    files = {path.name: (path.read_bytes(), uploaded) for path, uploaded in wheels.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = [part for part in self.path.split("/") if part]
            if len(parts) == 2 and parts[0] == "simple":
                body, kind = _project_page(parts[1], files), JSON_TYPE
            elif len(parts) == 2 and parts[0] == "files" and parts[1] in files:
                body, kind = files[parts[1]][0], "application/octet-stream"
            else:
                body, kind = None, ""
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def _project_page(project: str, files: dict[str, tuple[bytes, str]]) -> bytes | None:
    prefix = project.replace("-", "_") + "-"
    entries = [{"filename": name, "url": f"/files/{name}", "upload-time": uploaded,
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
               for name, (data, uploaded) in files.items() if name.startswith(prefix)]
    if not entries:
        return None
    return json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": entries,
                       "versions": sorted({e["filename"].split("-")[1] for e in entries})}).encode()
