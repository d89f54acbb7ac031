"""A minimal OpenAI-compatible server on 127.0.0.1 for the benchmarks.

Streams are rendered once per size, then sent as a real server sends them: one
chunked-encoding write per event, so a client sees the events arrive one by one.
The model id picks the reply: `bench/chunks-N` streams N chunks of text
(non-streaming: the same text in one JSON body); `bench/chunks-N-delay-MS` first waits
MS milliseconds after the headers, as a model thinks before its first token. GET
.../models lists N generated models when the base URL has `/catalogue-N/` in it.

Run as a script, it serves until killed and prints its base URL on the first line, so
the benchmarks can run it in a process of its own (its memory and CPU then stay out of
the measured commands' figures).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK_TEXT = "word "


@lru_cache(maxsize=8)
def stream_events(model: str, chunks: int) -> tuple[bytes, ...]:
    events = []
    for index in range(chunks):
        chunk = {
            "id": "gen-bench",
            "model": model,
            "provider": "Bench",
            "choices": [{"index": 0, "delta": {"content": CHUNK_TEXT}, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
        if index == 0:
            events.append(": OPENROUTER PROCESSING\n\n")
    final = {
        "id": "gen-bench",
        "model": model,
        "provider": "Bench",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": chunks, "total_tokens": chunks + 3},
    }
    events.append(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n")
    return tuple(b"%x\r\n%s\r\n" % (len(event.encode()), event.encode()) for event in events)


def whole_body(model: str, chunks: int) -> bytes:
    return json.dumps(
        {
            "id": "gen-bench",
            "object": "chat.completion",
            "model": model,
            "provider": "Bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": CHUNK_TEXT * chunks},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": chunks, "total_tokens": chunks + 3},
        }
    ).encode()


@lru_cache(maxsize=4)
def catalogue_body(size: int) -> bytes:
    """A model list shaped like OpenRouter's, `size` models long."""
    models = [
        {
            "id": f"vendor{index % 40}/model-{index}",
            "canonical_slug": f"vendor{index % 40}/model-{index}",
            "name": f"Vendor {index % 40}: Model {index}",
            "created": 1_750_000_000 + index,
            "description": "A generated model for the benchmarks. " * 8,
            "context_length": 131_072,
            "architecture": {"modality": "text->text", "input_modalities": ["text"]},
            "pricing": {"prompt": "0.000003", "completion": "0.000015", "request": "0"},
            "top_provider": {"context_length": 131_072, "max_completion_tokens": 16_384},
            "supported_parameters": ["max_tokens", "temperature", "top_p", "stop"],
        }
        for index in range(size)
    ]
    return json.dumps({"data": models}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        model = str(request.get("model", "bench/chunks-1"))
        match = re.search(r"chunks-(\d+)(?:-delay-(\d+))?", model)
        chunks = int(match.group(1)) if match else 1
        delay = int(match.group(2)) / 1000 if match and match.group(2) else 0.0
        self.send_response(200)
        if request.get("stream"):
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            if delay:
                time.sleep(delay)
            for event in stream_events(model, chunks):
                self.wfile.write(event)
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        body = whole_body(model, chunks)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        match = re.search(r"/catalogue-(\d+)/", self.path)
        size = int(match.group(1)) if match else 0
        body = catalogue_body(size) if self.path.endswith("/models") else b'{"data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early is not the server's problem here


def start() -> tuple[Server, str]:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/api/v1"


if __name__ == "__main__":
    _, url = start()
    print(url, flush=True)
    # Serve until stdin closes: when the benchmark ends, however it ends, so does this.
    sys.stdin.read()
