#!/usr/bin/env python3
"""A loopback JSON-RPC server that serves a state (accounts, code, storage) the way an Ethereum node does, so that
Lockstep's forked state can be tested over real HTTP. Load a state with lockstep_setState(accounts, {number: hash}); then the standard reads
answer from it: eth_getBalance, eth_getTransactionCount, eth_getCode, eth_getStorageAt, eth_getProof (only the
account fields and storageHash presence), eth_getBlockByNumber (hash only), eth_chainId, eth_blockNumber.

Fault injection, to prove that a failing upstream fails the simulation instead of producing a result:
lockstep_setFault(kind, after) lets `after` more HTTP requests through, then answers every later read request with
the fault until lockstep_setFault("none", 0). Kinds: "timeout" (answers after 2 s), "500" (HTTP 500), "reset" (TCP
reset, no answer), "malformed" (truncated JSON), "wrong_type" (an object where a quantity or bytes belong),
"rpc_error" (JSON-RPC error -32000). Control methods (lockstep_*) are never faulted.

Prints the port on stdout, then serves until killed or until its stdin closes. Stdlib only."""
import json, os, socket, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"accounts": {}, "blockHashes": {}, "lock": threading.Lock(), "requests": 0,
         "fault": "none", "faultAfter": 0}
EMPTY_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"


def norm(address):
    return address.lower()


def quantity(text):
    return hex(int(text, 16)) if isinstance(text, str) else hex(text)


def handle(request):
    method, params = request.get("method"), request.get("params", [])
    accounts = STATE["accounts"]
    if method == "lockstep_setState":
        with STATE["lock"]:
            STATE["accounts"] = {norm(a): v for a, v in params[0].items()}
            STATE["blockHashes"] = {int(n): h for n, h in (params[1] if len(params) > 1 else {}).items()}
        return True
    if method == "lockstep_setFault":
        with STATE["lock"]:
            STATE["fault"], STATE["faultAfter"] = params[0], int(params[1]) if len(params) > 1 else 0
        return True
    if method == "eth_chainId":
        return "0x1"
    if method == "eth_blockNumber":
        return "0x1"
    if method in ("eth_getBalance", "eth_getTransactionCount", "eth_getCode"):
        account = accounts.get(norm(params[0]))
        if method == "eth_getBalance":
            return quantity(account["balance"]) if account else "0x0"
        if method == "eth_getTransactionCount":
            return quantity(account["nonce"]) if account else "0x0"
        return account.get("code", "0x") if account else "0x"
    if method == "eth_getStorageAt":
        account = accounts.get(norm(params[0])) or {}
        key = int(params[1], 16)
        for slot, value in account.get("storage", {}).items():
            if int(slot, 16) == key:
                return "0x" + format(int(value, 16), "064x")
        return "0x" + "0" * 64
    if method == "eth_getProof":
        account = accounts.get(norm(params[0]))
        has_storage = bool(account) and any(int(v, 16) != 0 for v in account.get("storage", {}).values())
        return {"address": params[0], "balance": quantity(account["balance"]) if account else "0x0",
                "nonce": quantity(account["nonce"]) if account else "0x0",
                "storageHash": "0x" + "11" * 32 if has_storage else EMPTY_ROOT,
                "codeHash": None, "accountProof": [], "storageProof": []}
    if method == "eth_getBlockByNumber":
        number = 1 if params[0] == "latest" else int(params[0], 16)
        block_hash = STATE["blockHashes"].get(number)
        if number == 1:  # the head: a header with what execution needs
            return {"number": "0x1", "hash": block_hash or "0x" + "ab" * 32, "timestamp": "0x3e8",
                    "gasLimit": "0x1c9c380", "baseFeePerGas": "0x7", "miner": "0x" + "00" * 20,
                    "mixHash": "0x" + "00" * 32, "excessBlobGas": "0x0"}
        return {"number": hex(number), "hash": block_hash} if block_hash else None
    raise KeyError(method)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        STATE["requests"] += 1
        try:
            request = json.loads(body)
        except ValueError:
            return self.reply({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        requests = request if isinstance(request, list) else [request]
        fault = self.fault_for(requests)
        if fault == "timeout":
            time.sleep(2)
        elif fault == "500":
            return self.reply({"error": "injected"}, status=500)
        elif fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        elif fault == "malformed":
            return self.reply_raw(b'{"jsonrpc": "2.0", "id": 1, "resu')
        elif fault in ("wrong_type", "rpc_error"):
            error = {"code": -32000, "message": "header not found"}
            responses = [{"jsonrpc": "2.0", "id": item.get("id"), "result": {"unexpected": True}}
                         if fault == "wrong_type" else {"jsonrpc": "2.0", "id": item.get("id"), "error": error}
                         for item in requests]
            return self.reply(responses if isinstance(request, list) else responses[0])
        responses = []
        for item in requests:
            try:
                responses.append({"jsonrpc": "2.0", "id": item.get("id"), "result": handle(item)})
            except KeyError as error:
                responses.append({"jsonrpc": "2.0", "id": item.get("id"),
                                  "error": {"code": -32601, "message": f"method not found: {error}"}})
        self.reply(responses if isinstance(request, list) else responses[0])

    @staticmethod
    def fault_for(requests):
        """The fault this HTTP request gets, counting it against the requests let through first."""
        if all(str(item.get("method", "")).startswith("lockstep_") for item in requests if isinstance(item, dict)):
            return "none"
        with STATE["lock"]:
            if STATE["fault"] == "none":
                return "none"
            if STATE["faultAfter"] > 0:
                STATE["faultAfter"] -= 1
                return "none"
            return STATE["fault"]

    def reply(self, payload, status=200):
        self.reply_raw(json.dumps(payload).encode(), status)

    def reply_raw(self, data, status=200):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # Exit when the parent closes our stdin (or dies), so no server outlives its test.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()
