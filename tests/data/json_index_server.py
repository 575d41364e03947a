#!/usr/bin/env python3
"""A package index in the JSON simple API (PEP 691) for envpin's `catalog update` tests, on
127.0.0.1, serving ROOT as laid out by the test:

    ROOT/<path>/index.json     served for GET /<path>/ as application/vnd.pypi.simple.v1+json
    ROOT/<path>/index.html     served for GET /<path>/ as text/html (an index without the JSON API)
    ROOT/<path>                any other file, as is (Range requests honoured)

Every answer carries an ETag (the sha256 of the body); a request whose If-None-Match matches it
gets 304. Each request is appended to ROOT/requests.log as "PATH<TAB>If-None-Match<TAB>Range".
ROOT/faults.json (read on each request) makes a path misbehave:
    {"/cu130/torch/": {"status": 503, "times": 2}}   answer 503 the first 2 times (times absent: always)
    {"/x/": {"redirect": "http://localhost:PORT/x/"}} answer 302 to that URL
    {"/x/": {"content_type": "text/html"}}          serve the body under another content type (never 304)
    {"/x/": {"flood": 80}}                           answer 80 MiB of spaces
Usage: json_index_server.py ROOT PORT_FILE
"""
import hashlib
import http.server
import json
import os
import sys
import threading

ROOT = sys.argv[1]
PORT_FILE = sys.argv[2]
lock = threading.Lock()
served = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def fault(self):
        try:
            with open(os.path.join(ROOT, "faults.json")) as f:
                faults = json.load(f)
        except (OSError, ValueError):
            return None
        fault = faults.get(self.path)
        if fault is None:
            return None
        with lock:
            served[self.path] = served.get(self.path, 0) + 1
            count = served[self.path]
        if "times" in fault and count > fault["times"]:
            return None
        return fault

    def send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            with open(os.path.join(ROOT, "requests.log"), "a") as log:
                log.write(f"{self.path}\t{self.headers.get('If-None-Match', '')}\t{self.headers.get('Range', '')}\n")
        fault = self.fault() or {}
        if "status" in fault:
            return self.send(fault["status"], b"try again later\n", "text/plain", [("Retry-After", "0")])
        if "redirect" in fault:
            return self.send(302, b"", "text/plain", [("Location", fault["redirect"])])
        if "flood" in fault:
            size = fault["flood"] << 20
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(fault["flood"]):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        path = os.path.join(ROOT, self.path.split("?")[0].lstrip("/"))
        content_type = "application/octet-stream"
        if self.path.endswith("/"):
            if os.path.exists(os.path.join(path, "index.json")):
                path, content_type = os.path.join(path, "index.json"), "application/vnd.pypi.simple.v1+json"
            else:
                path, content_type = os.path.join(path, "index.html"), "text/html"
        content_type = fault.get("content_type", content_type)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            return self.send(404, b"not found\n", "text/plain")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag and "content_type" not in fault:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        requested = self.headers.get("Range", "")
        if requested.startswith("bytes="):
            first, _, last = requested[6:].partition("-")
            if first == "":
                start, end = max(0, len(body) - int(last)), len(body) - 1
            else:
                start, end = int(first), (int(last) if last else len(body) - 1)
            end = min(end, len(body) - 1)
            return self.send(206, body[start:end + 1], content_type,
                             [("ETag", etag), ("Content-Range", f"bytes {start}-{end}/{len(body)}")])
        self.send(200, body, content_type, [("ETag", etag)])


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
