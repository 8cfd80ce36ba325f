"""Faults, with real processes (issue 21): the kill -9 loop's short version (fault_loop.py has the long one), an L1
endpoint that times out, answers HTTP 500, resets the connection or answers garbage while the builder simulates and
submits, and a full or read-only data directory. Each checks that the service says what went wrong, keeps running or
stops cleanly, loses nothing it acknowledged, and carries on once the fault is gone."""
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from web3 import Web3

import fault_loop
from fault_loop import Service, rpc, signed
from test_l2_deposits import ACCOUNTS, ETHER, L2_CHAIN_ID, deploy


def test_kill_9_of_sequencer_builder_and_prover_in_a_loop_loses_nothing_acknowledged():
    report = fault_loop.run(kills=6, slot_time=4)
    assert report["transactions"]["lost"] == 0 and report["bundles"]["lost"] == 0
    assert all(count == 2 for count in report["kills"].values()), report["kills"]


class FaultProxy:
    """An HTTP proxy in front of the L1 that misbehaves on demand, for the methods named (all when None):
    `ok`, `http500`, `reset` (the connection is closed with a TCP reset, no answer), `garbage` (HTTP 200, not JSON),
    `wrong` (a JSON-RPC answer whose result has the wrong type) and `slow` (answers after 8 s)."""

    def __init__(self, upstream):
        self.upstream, self.mode, self.methods, self.faults = upstream, "ok", None, 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    parsed = json.loads(body)
                    calls = parsed if isinstance(parsed, list) else [parsed]
                    names = {call.get("method") for call in calls if isinstance(call, dict)}
                except ValueError:
                    names, calls = set(), []
                mode = proxy.mode if proxy.methods is None or names & proxy.methods else "ok"
                if mode != "ok":
                    proxy.faults += 1
                if mode == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if mode == "slow":
                    time.sleep(8)
                if mode == "http500":
                    return self.answer(500, b"internal server error")
                if mode == "garbage":
                    return self.answer(200, b"<html>not json</html>")
                if mode == "wrong":
                    wrong = [{"jsonrpc": "2.0", "id": call.get("id"), "result": {"unexpected": True}} for call in calls]
                    return self.answer(200, json.dumps(wrong if isinstance(parsed, list) else wrong[0]).encode())
                request = urllib.request.Request(proxy.upstream, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self.answer(response.status, response.read())
                except urllib.error.HTTPError as error:
                    self.answer(error.code, error.read())

            def answer(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, mode, methods=None):
        self.mode, self.methods = mode, methods

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def faulty_l1():
    """`lockstep l1` (EXECUTE, 4 s slots) with the Rollup, `lockstep l2` on it directly, and a builder that reaches
    the L1 (reads, simulation, submission) only through a FaultProxy."""
    root = Path(tempfile.mkdtemp(prefix="lockstep-l1-faults-"))
    services = []
    try:
        l1 = Service("l1", "l1", ["--slot-time", "4", "--execute-precompile"], data_dir=str(root)).start()
        services.append(l1)
        (root / "l2").mkdir()
        l2 = Service("l2", "l2", ["--dev", "--block-time", "0.5", "--slot-time", "4", "--based-window", "3",
                                  "--no-settlement", "--l1-poll-interval", "0.1", "--l1-url", l1.url],
                     data_dir=str(root / "l2")).start()
        services.append(l2)
        w3_l1 = Web3(Web3.HTTPProvider(l1.url, request_kwargs={"timeout": 30}))
        w3_l2 = Web3(Web3.HTTPProvider(l2.url, request_kwargs={"timeout": 30}))
        deploy(w3_l1, w3_l2)
        proxy = FaultProxy(l1.url)
        (root / "builder").mkdir()
        builder = Service("builder", "builder", ["--dev", "--l1-url", proxy.url, "--l2-url", l2.url, "--slot-time", "4"],
                          data_dir=str(root / "builder")).start()
        services.append(builder)
        yield w3_l1, w3_l2, proxy, builder
        proxy.stop()
    finally:
        for service in reversed(services):
            service.stop()
        shutil.rmtree(root, ignore_errors=True)


def send_and_wait(w3_l1, w3_l2, builder, account):
    """Sends an L2-only bundle for the block after next and returns its final status."""
    head = w3_l1.eth.block_number
    while w3_l1.eth.block_number == head:
        time.sleep(0.05)
    head += 1
    raw, _ = signed(account, L2_CHAIN_ID, w3_l2.eth.get_transaction_count(account.address), ACCOUNTS[8].address,
                    ETHER // 100)
    bundle_hash = rpc(builder.url, "lockstep_sendBundle", [{"l2": [raw], "blockNumber": hex(head + 1)}])["bundleHash"]
    deadline = time.time() + 25
    while True:
        status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])
        if status["status"] in ("landed", "notLanded", "rejected"):
            return status
        assert time.time() < deadline, f"no final status: {status}\n{builder.tail()}"
        time.sleep(0.2)


@pytest.mark.parametrize("mode", ["http500", "reset", "garbage", "wrong", "slow"])
def test_a_failing_l1_endpoint_at_submission_is_reported_and_survived(faulty_l1, mode):
    w3_l1, w3_l2, proxy, builder = faulty_l1
    proxy.set(mode, {"eth_sendBundle"})
    try:
        faults = proxy.faults
        status = send_and_wait(w3_l1, w3_l2, builder, ACCOUNTS[2])
        assert proxy.faults > faults, "the fault was not exercised"
        assert status["status"] == "notLanded", status
        assert "every L1 endpoint refused the bundle" in status["reason"], f"{status}\n{builder.tail()}"
    finally:
        proxy.set("ok")
    assert builder.process.poll() is None, builder.tail()
    assert send_and_wait(w3_l1, w3_l2, builder, ACCOUNTS[2])["status"] == "landed", builder.tail()


@pytest.mark.parametrize("mode", ["http500", "reset", "garbage", "wrong"])
def test_a_failing_l1_endpoint_during_simulation_is_reported_and_survived(faulty_l1, mode):
    """Every call to the L1 fails for two slots (head polling, forked state, proofs, submission)."""
    w3_l1, w3_l2, proxy, builder = faulty_l1
    account = ACCOUNTS[3]
    head = w3_l1.eth.block_number
    raw, _ = signed(account, L2_CHAIN_ID, w3_l2.eth.get_transaction_count(account.address), ACCOUNTS[8].address,
                    ETHER // 100)
    bundle_hash = rpc(builder.url, "lockstep_sendBundle", [{"l2": [raw], "blockNumber": hex(head + 2)}])["bundleHash"]
    proxy.set(mode)
    try:
        time.sleep(8)
        assert proxy.faults > 0
        assert builder.process.poll() is None, builder.tail()
        status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])
        assert status is not None and status["status"] != "landed", status
    finally:
        proxy.set("ok")
    # The bundle sent into the fault ends with a reason, once its block has passed.
    deadline = time.time() + 20
    while (status := rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash]))["status"] not in ("notLanded", "rejected"):
        assert time.time() < deadline, f"{status}\n{builder.tail()}"
        time.sleep(0.2)
    assert status.get("reason"), status
    assert send_and_wait(w3_l1, w3_l2, builder, ACCOUNTS[3])["status"] == "landed", builder.tail()


def mount_tmpfs(path, size):
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")


def test_a_full_disk_refuses_what_it_cannot_keep_and_loses_nothing_acknowledged():
    """The L2's data directory on a small tmpfs, filled up while a client sends transactions: what was acknowledged
    is kept, what could not be written is refused with an error, and after space is freed the node (restarted if
    it stopped) goes on from where it was."""
    root = Path(tempfile.mkdtemp(prefix="lockstep-disk-"))
    mount_tmpfs(root, "16m")
    node = None
    try:
        node = Service("l2", "l2", ["--dev", "--block-time", "0.2"], data_dir=str(root))
        node.log_path = Path(tempfile.mkdtemp()) / "l2.log"
        node.start()
        account = ACCOUNTS[5]
        acknowledged, refusals = [], []
        nonce = 0
        for _ in range(10):  # before the disk fills up: acknowledged
            raw, tx_hash = signed(account, L2_CHAIN_ID, nonce, fault_loop.PAYEE, 1)
            rpc(node.url, "eth_sendRawTransaction", [raw])
            acknowledged.append(tx_hash)
            nonce += 1
        filler = root / "filler"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
            except OSError:
                pass  # the disk is full
        full_since = time.time()
        while time.time() - full_since < 6:
            raw, tx_hash = signed(account, L2_CHAIN_ID, nonce, fault_loop.PAYEE, 1)
            try:
                rpc(node.url, "eth_sendRawTransaction", [raw], timeout=5)
                acknowledged.append(tx_hash)
                nonce += 1
            except RuntimeError as error:
                refusals.append(str(error))
                if "nonce" in str(error):
                    nonce = int(rpc(node.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
            except OSError as error:
                refusals.append(f"no answer: {error}")
                if node.process.poll() is not None:
                    break
            time.sleep(0.05)
        assert refusals, "nothing was refused on a full disk"
        assert any("full" in refusal or "space" in refusal for refusal in refusals), refusals[:3]
        stopped = node.process.poll() is not None
        filler.unlink()
        if stopped:
            log = node.log_path.read_text()
            assert "space" in log.lower() or "full" in log.lower() or "disk" in log.lower(), log[-3000:]
            node.start()
        deadline = time.time() + 30
        for tx_hash in acknowledged:
            while rpc(node.url, "eth_getTransactionReceipt", [tx_hash]) is None:
                assert rpc(node.url, "eth_getTransactionByHash", [tx_hash]) is not None, f"lost: {tx_hash}"
                assert time.time() < deadline, f"not mined after the disk was freed: {tx_hash}\n{node.tail()}"
                time.sleep(0.2)
        head = int(rpc(node.url, "eth_blockNumber", []), 16)
        time.sleep(1)
        assert int(rpc(node.url, "eth_blockNumber", []), 16) > head, "the chain did not go on after space was freed"
        print(f"\nfull disk: {len(acknowledged)} acknowledged, {len(refusals)} refused "
              f"(first: {refusals[0][:200]}), node {'stopped and restarted' if stopped else 'kept running'}")
    finally:
        if node:
            node.stop()
        subprocess.run(["umount", str(root)])
        shutil.rmtree(root, ignore_errors=True)


def test_a_read_only_data_directory_is_a_clear_error_and_changes_nothing():
    root = Path(tempfile.mkdtemp(prefix="lockstep-ro-"))
    mount_tmpfs(root, "64m")
    try:
        node = Service("l2", "l2", ["--dev", "--block-time", "0.2"], data_dir=str(root))
        node.log_path = Path(tempfile.mkdtemp()) / "l2.log"
        node.start()
        time.sleep(1)
        node.stop()
        files = {path.name: path.read_bytes() for path in root.iterdir() if path.is_file()}
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        with pytest.raises(RuntimeError, match="exited"):
            node.start(timeout=20)
        log = node.log_path.read_text().split("--- start 2")[-1]
        assert "read-only" in log.lower() or "readonly" in log.lower(), log
        subprocess.run(["mount", "-o", "remount,rw", str(root)], check=True)
        assert {path.name: path.read_bytes() for path in root.iterdir() if path.is_file()} == files
        node.start()
        assert int(rpc(node.url, "eth_blockNumber", []), 16) > 0
        node.stop()
    finally:
        subprocess.run(["umount", str(root)])
        shutil.rmtree(root, ignore_errors=True)


def test_the_stages_are_timed_in_the_prometheus_metrics(faulty_l1):
    """After the tests above, the builder's /metrics has the auction's histogram and every method's."""
    _, _, _, builder = faulty_l1
    with urllib.request.urlopen(builder.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    assert "# TYPE lockstep_stage_seconds histogram" in text
    for stage in ("builder:auction", "builder:drafts", "rpc:lockstep_sendBundle", "rpc:lockstep_getBundleStatus"):
        counts = [line for line in text.splitlines() if line.startswith(f'lockstep_stage_seconds_count{{stage="{stage}"}}')]
        assert counts and int(counts[0].split()[-1]) > 0, (stage, text[-2000:])
    buckets = [line for line in text.splitlines()
               if line.startswith('lockstep_stage_seconds_bucket{stage="builder:auction"')]
    values = [int(line.split()[-1]) for line in buckets]
    assert values == sorted(values) and buckets[-1].split("le=")[1].startswith('"+Inf"'), buckets


def test_a_slow_prover_is_left_out_and_the_builder_says_why(faulty_l1, tmp_path):
    """Two real provers under a 2-of-3 policy, one behind a proxy that answers after 8 s: the builder gives up on it
    at its 2 s deadline, the attestation falls short, and the joint simulation's failure names the slow prover.
    Once it answers in time, the same bundle simulates."""
    w3_l1, w3_l2, _, _ = faulty_l1
    honest = Service("prover7", "prove", ["--dev"], data_dir=str(tmp_path)).start()
    second = Service("prover6", "prove", ["--dev", "--key", "0x" + bytes(ACCOUNTS[6].key).hex()],
                     data_dir=str(tmp_path)).start()
    slow = FaultProxy(second.url)
    slow.set("slow", {"prover_prove"})
    builder = None
    try:
        builder = Service("slow-builder", "builder", [
            "--dev", "--l1-url", w3_l1.provider.endpoint_uri, "--l2-url", w3_l2.provider.endpoint_uri,
            "--slot-time", "4", "--prover-url", honest.url, "--prover-url", slow.url], data_dir=str(tmp_path)).start()
        account = ACCOUNTS[5]

        def call_bundle():
            raw, _ = signed(account, L2_CHAIN_ID, w3_l2.eth.get_transaction_count(account.address),
                            ACCOUNTS[8].address, ETHER // 100)
            for _ in range(20):
                answer = call_json(builder.url, "lockstep_callBundle",
                                   [{"l2": [raw], "blockNumber": hex(w3_l1.eth.block_number + 1)}])
                if "result" in answer:
                    return answer["result"]
                time.sleep(0.5)  # no handoff yet
            raise AssertionError(answer)

        result = call_bundle()
        assert result["ok"] is False and slow.url in result["failure"]["reason"], result
        assert "time" in result["failure"]["reason"].lower(), result["failure"]
        slow.set("ok")
        result = call_bundle()
        assert result["ok"] is True, result
    finally:
        slow.stop()
        for service in (builder, second, honest):
            if service:
                service.stop()


def call_json(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())
