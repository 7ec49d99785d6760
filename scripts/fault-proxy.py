#!/usr/bin/env python3
"""An HTTP proxy in front of the AWS emulator that injects one fault at a time, for the fault
matrix both shells are tested against (lambda/tests/fixtures/fault-matrix.json).

    fault-proxy.py --upstream http://127.0.0.1:4566   # prints "listening <port>" when ready

Requests pass through to the emulator unchanged until a fault is set:

    PUT /__fault {"target": "TrentService.Sign", "kind": "status", "status": 400, "body": "..."}
    DELETE /__fault

`target` is matched against the X-Amz-Target header (the AWS JSON protocol names the operation
there). Kinds: `status` (answer with status and body), `reset` (close the connection with a TCP
reset), `delay` (wait `delay_ms`, then pass through).
"""
import argparse
import http.client
import http.server
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse

fault_lock = threading.Lock()
fault = None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, *args):  # quiet: the tests print what matters
        pass

    def reply(self, status, body, content_type="application/x-amz-json-1.1"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def do_PUT(self):
        global fault
        if self.path != "/__fault":
            return self.forward()
        with fault_lock:
            fault = json.loads(self.body())
        self.reply(204, "")

    def do_DELETE(self):
        global fault
        if self.path != "/__fault":
            return self.forward()
        self.body()
        with fault_lock:
            fault = None
        self.reply(204, "")

    def do_GET(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def forward(self):
        body = self.body()
        with fault_lock:
            active = fault
        if active and self.headers.get("x-amz-target") == active["target"]:
            kind = active["kind"]
            if kind == "status":
                return self.reply(active["status"], active.get("body", ""))
            if kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if kind == "delay":
                time.sleep(active["delay_ms"] / 1000)
        upstream = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port,
                                              timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["host"] = self.upstream.netloc
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        except OSError as error:
            return self.reply(502, json.dumps({"message": f"proxy: {error}"}))
        finally:
            upstream.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection",
                                    "server", "date"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up on a delayed answer (its timeout) is expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Proxy.upstream = urllib.parse.urlsplit(args.upstream)
    server = Server(("127.0.0.1", args.port), Proxy)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
