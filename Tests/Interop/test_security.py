"""The security rules of Specs/security.md with real processes: keys given by flag, file or environment are never
printed (nor echoed by an error), the builder limits each searcher's bundle rate, the L1's test methods can be
turned off, and an L2 outside dev mode signs nothing for anyone."""
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from fault_loop import Service
from l1node import binary

ROLLUP = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"


def call(url, method, params, headers=None):
    import urllib.request
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def signed_call(url, method, params, account):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    signature = Account.sign_message(encode_defunct(text="0x" + keccak(text=body).hex().removeprefix("0x")),
                                     account.key).signature.hex().removeprefix("0x")
    import urllib.request
    request = urllib.request.Request(url, data=body.encode(), headers={
        "Content-Type": "application/json", "X-Flashbots-Signature": f"{account.address}:0x{signature}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def forms(key_hex):
    bare = key_hex.removeprefix("0x").lower()
    return [bare, bare.upper(), bare[:32], bare[32:]]


def test_keys_from_flags_files_and_the_environment_are_never_printed(tmp_path):
    sequencer_key, builder_key, prover_key = ("0x" + secrets.token_hex(32) for _ in range(3))
    key_file = tmp_path / "builder.key"
    key_file.write_text(builder_key + "\n")
    l1 = Service("l1", "l1", ["--slot-time", "2"], data_dir=str(tmp_path)).start()
    services = [l1]
    try:
        l2 = Service("l2", "l2", ["--dev", "--sequencer-key", sequencer_key, "--rollup", ROLLUP, "--l1-url", l1.url,
                                  "--no-settlement", "--block-time", "0.5"], data_dir=str(tmp_path)).start()
        services.append(l2)
        builder = Service("builder", "builder", ["--builder-key-file", str(key_file), "--rollup", ROLLUP,
                                                 "--l1-url", l1.url, "--l2-url", l2.url, "--dev"],
                          data_dir=str(tmp_path)).start()
        services.append(builder)
        os.environ["LOCKSTEP_PROVER_KEY"] = prover_key
        try:
            prover = Service("prover", "prove", ["--rollup", ROLLUP], data_dir=str(tmp_path)).start()
        finally:
            del os.environ["LOCKSTEP_PROVER_KEY"]
        services.append(prover)
        # Answers, errors and a few slots of routine logging.
        for service in services:
            call(service.url, "rpc_methods", [])
            call(service.url, "no_such_method", [])
        call(builder.url, "lockstep_sendBundle", [{"l2": ["0x00"], "blockNumber": "0x99"}])
        call(prover.url, "prover_prove", [{"mode": "based"}])
        info = call(prover.url, "prover_info", [])["result"]
        assert info["prover"].lower() == Account.from_key(prover_key).address.lower()
        time.sleep(3)
    finally:
        for service in reversed(services):
            service.stop()
    logs = "".join(service.log_path.read_text() for service in services)
    for key in (sequencer_key, builder_key, prover_key):
        for form in forms(key):
            assert form not in logs, "a private key was printed"
    # The addresses are printed instead.
    assert Account.from_key(builder_key).address in logs


@pytest.mark.parametrize("command", [["l2", "--sequencer-key"], ["builder", "--builder-key"], ["prove", "--key"]])
def test_a_malformed_key_is_refused_without_echoing_it(command):
    almost = "0x" + secrets.token_hex(31) + "zz"
    arguments = [binary(), *command, almost, "--rollup", ROLLUP]
    if command[0] == "builder":
        arguments += ["--l1-url", "http://127.0.0.1:9", "--l2-url", "http://127.0.0.1:9"]
    result = subprocess.run(arguments, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "not a valid secp256k1 private key" in output, output
    assert almost[2:40] not in output


def test_the_builder_limits_each_searchers_bundle_rate(tmp_path):
    l1 = Service("l1", "l1", ["--slot-time", "2"], data_dir=str(tmp_path)).start()
    services = [l1]
    try:
        l2 = Service("l2", "l2", ["--dev", "--block-time", "0.5", "--l1-url", l1.url, "--no-settlement"],
                     data_dir=str(tmp_path)).start()
        services.append(l2)
        builder = Service("builder", "builder", ["--dev", "--l1-url", l1.url, "--l2-url", l2.url,
                                                 "--max-bundle-rate", "5"], data_dir=str(tmp_path)).start()
        services.append(builder)
        first, second = Account.create(), Account.create()
        codes = [signed_call(builder.url, "lockstep_sendBundle", [{"blockNumber": "0x99", "l2": ["0x00"]}], first)
                 ["error"]["code"] for _ in range(8)]
        # The first five are read (and refused as malformed); then the allowance is spent.
        assert codes[:5] == [-32602] * 5 and -32005 in codes[5:], codes
        limited = signed_call(builder.url, "lockstep_sendBundle", [{"blockNumber": "0x99"}], first)["error"]
        assert limited["code"] == -32005 and first.address in limited["message"] and "retry in" in limited["message"]
        # Another searcher has an allowance of its own; and the first one's comes back.
        assert signed_call(builder.url, "lockstep_sendBundle", [{"blockNumber": "0x99", "l2": ["0x00"]}],
                           second)["error"]["code"] == -32602
        time.sleep(1.1)
        assert signed_call(builder.url, "lockstep_sendBundle", [{"blockNumber": "0x99", "l2": ["0x00"]}],
                           first)["error"]["code"] == -32602
        # Unsigned bundles share ten times the rate.
        codes = [call(builder.url, "lockstep_sendBundle", [{"blockNumber": "0x99", "l2": ["0x00"]}])["error"]["code"]
                 for _ in range(60)]
        assert codes.count(-32602) >= 50 and -32005 in codes, codes
    finally:
        for service in reversed(services):
            service.stop()


def test_the_l1_test_methods_can_be_turned_off():
    node = Service("l1", "l1", ["--no-test-methods"]).start()
    try:
        served = call(node.url, "rpc_methods", [])["result"]
        assert "eth_call" in served and not [name for name in served if name.split("_")[0] in ("evm", "anvil", "hardhat")]
        assert call(node.url, "evm_mine", [])["error"]["code"] == -32601
    finally:
        node.stop()


def test_an_l2_outside_dev_mode_signs_for_nobody(tmp_path):
    key = "0x" + secrets.token_hex(32)
    node = Service("l2", "l2", ["--sequencer-key", key, "--rollup", ROLLUP, "--block-time", "0.5"],
                   data_dir=str(tmp_path)).start()
    try:
        assert call(node.url, "eth_accounts", [])["result"] == []
        error = call(node.url, "eth_sendTransaction", [{"from": Account.create().address, "value": "0x1"}])["error"]
        assert error["code"] in (-32000, -32601), error
    finally:
        node.stop()
