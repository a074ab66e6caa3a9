"""The chat page: serves web/ and forwards POST /api/message to Rasa's REST channel.

Standard library only, like the supervisor (scripts/stack.py) that wires it up.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def _post_json(url: str, payload: dict, timeout: float) -> tuple[int, object]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    try:
        return status, json.loads(body or b"null")
    except ValueError:
        return status, body.decode(errors="replace")


class ChatPageHandler(SimpleHTTPRequestHandler):
    """Serves web/ and forwards POST /api/message to Rasa's REST channel."""

    rasa_url = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, directory=str(WEB_DIR), **kwargs)

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        if self.path != "/api/message":
            self._send_json(404, {"error": "unknown endpoint"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= 16_384:
            self._send_json(413, {"error": "message body missing or too large"})
            return
        try:
            payload = json.loads(self.rfile.read(length))
            sender, message = str(payload["sender"]), str(payload["message"])
        except (ValueError, KeyError, TypeError):
            self._send_json(400, {"error": "expected JSON with 'sender' and 'message'"})
            return
        try:
            status, replies = _post_json(
                f"{self.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message}, timeout=30
            )
        except (urllib.error.URLError, OSError):
            status, replies = 502, {"error": "Rasa server not reachable"}
        self._send_json(status, replies)

    def _send_json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet: request lines would end up in the terminal of `make run`."""


def start_chat_page(host: str, port: int, rasa_url: str) -> ThreadingHTTPServer:
    """Serve the chat page in a daemon thread; the caller stops it with shutdown() and server_close()."""
    handler = type("Handler", (ChatPageHandler,), {"rasa_url": rasa_url})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
