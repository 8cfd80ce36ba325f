#!/usr/bin/env python3
"""A loopback JSON-RPC 2.0 server with fault injection, for testing Lockstep's JSONRPCClient over real HTTP.

The behaviour is chosen by the JSON-RPC method name, so one server serves every test:

  eth_blockNumber            -> "0x10"
  eth_getBalance             -> a quantity derived from params[0] (int(address, 16) % 2**64, as hex)
  echo                       -> the params, unchanged
  echo_headers               -> {"headers": {lower-case name: value}, "bodySHA256": hex digest of the raw body}
  stats                      -> {"requests": HTTP requests served, "connections": TCP connections accepted,
                                 "clientPorts": distinct client ports seen, "hits": {key: count}}
  fault_rpc_error            -> error {code: -32000, message: "execution reverted", data: "0x08c379a0"}
  fault_500:<key>            -> HTTP 500 every time (hits counted under <key>)
  fault_500_once:<key>       -> HTTP 500 the first time <key> is seen, then "ok"
  fault_429_once:<key>       -> HTTP 429 the first time <key> is seen, then "ok"
  fault_timeout              -> sleeps params[0] milliseconds (default 5000), then "late"
  fault_reset:<key>          -> reads the request, then resets the TCP connection (RST) without answering
  fault_malformed            -> HTTP 200 with a truncated JSON body
  fault_wrong_id             -> a response whose id is not the request's
  fault_no_result            -> a response object with neither result nor error
  anything else              -> error -32601 method not found

A batch is answered in reverse order (JSON-RPC allows any order), so clients must match responses by id; a batch
holding any fault_* HTTP-level method gets that fault for the whole HTTP request.

Prints the port on stdout, then serves until killed or until its stdin closes (so a crashed test run cannot leave
it behind). Stdlib only.
"""
import hashlib
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {"requests": 0, "connections": 0, "ports": set(), "hits": {}}


def hit(key):
    with LOCK:
        STATS["hits"][key] = STATS["hits"].get(key, 0) + 1
        return STATS["hits"][key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # without it every response waits ~40 ms for the delayed ACK

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1
            STATS["ports"].add(self.client_address[1])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with LOCK:
            STATS["requests"] += 1
        try:
            request = json.loads(body)
        except ValueError:
            return self.reply(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        items = request if isinstance(request, list) else [request]
        methods = [item.get("method", "") if isinstance(item, dict) else "" for item in items]

        # Faults that affect the whole HTTP exchange.
        for method in methods:
            name, _, key = method.partition(":")
            if name == "fault_500":
                hit(key)
                return self.reply(500, {"error": "injected failure"})
            if name in ("fault_500_once", "fault_429_once") and hit(method) == 1:
                return self.reply(500 if name == "fault_500_once" else 429, {"error": "injected failure"})
            if name == "fault_reset":
                hit(key)
                # SO_LINGER with a zero timeout turns close() into a TCP RST.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if name == "fault_malformed":
                return self.reply_raw(200, b'{"jsonrpc": "2.0", "id": 1, "result": ')
            if name == "fault_timeout":
                params = items[0].get("params") or [5000]
                time.sleep(params[0] / 1000)

        responses = [self.answer(item, body) for item in items]
        if isinstance(request, list):
            self.reply(200, list(reversed(responses)))
        else:
            self.reply(200, responses[0])

    def answer(self, item, body):
        if not isinstance(item, dict):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
        request_id, method, params = item.get("id"), item.get("method", ""), item.get("params", [])
        name = method.partition(":")[0]

        def result(value):
            return {"jsonrpc": "2.0", "id": request_id, "result": value}

        if method == "eth_blockNumber":
            return result("0x10")
        if method == "eth_getBalance":
            return result(hex(int(params[0], 16) % 2**64))
        if method == "echo":
            return result(params)
        if method == "echo_headers":
            return result({"headers": {k.lower(): v for k, v in self.headers.items()},
                           "bodySHA256": hashlib.sha256(body).hexdigest()})
        if method == "stats":
            with LOCK:
                return result({"requests": STATS["requests"], "connections": STATS["connections"],
                               "clientPorts": len(STATS["ports"]), "hits": dict(STATS["hits"])})
        if method == "fault_rpc_error":
            return {"jsonrpc": "2.0", "id": request_id,
                    "error": {"code": -32000, "message": "execution reverted", "data": "0x08c379a0"}}
        if method == "fault_wrong_id":
            return {"jsonrpc": "2.0", "id": 987654321, "result": "0x1"}
        if method == "fault_no_result":
            return {"jsonrpc": "2.0", "id": request_id}
        if name in ("fault_500_once", "fault_429_once"):
            return result("ok")
        if name == "fault_timeout":
            return result("late")
        return {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": f"method not found: {method}"}}

    def reply(self, status, payload):
        self.reply_raw(status, json.dumps(payload).encode())

    def reply_raw(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def exit_when_stdin_closes():
    sys.stdin.read()
    import os
    os._exit(0)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()
