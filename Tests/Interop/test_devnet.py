"""`lockstep devnet` end to end with web3.py: the harness's genesis, `lockstep demo`'s two scenarios, the README's
searcher walkthrough run exactly as printed, two competing builders, and a restart with `--data-dir` mid-run.
The devnet runs as one process (2 builders, 4 s slots) on free ports; `devnet.json` says where."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from l1node import binary

REPO = Path(__file__).resolve().parents[2]
GWEI = 10**9
ETHER = 10**18


class Devnet:
    """A running `lockstep devnet`; `info` is its devnet.json."""

    def __init__(self, data_dir, *args):
        self.data_dir = data_dir
        info_path = Path(data_dir) / "devnet.json"
        if info_path.exists():
            info_path.unlink()
        command = [binary(), "devnet", "--l1-port", "0", "--l2-port", "0", "--builder-port", "0", "--prover-port", "0",
                   "--data-dir", data_dir, *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        stdin=subprocess.DEVNULL)
        self.output = []
        threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True).start()
        deadline = time.time() + 60
        while not info_path.exists():
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("lockstep devnet did not start:\n" + "".join(self.output))
            time.sleep(0.1)
        time.sleep(0.2)  # written atomically, but the servers may still be announcing
        self.info = json.loads(info_path.read_text())
        self.l1 = Web3(Web3.HTTPProvider(self.info["l1"]["url"], request_kwargs={"timeout": 30}))
        self.l2 = Web3(Web3.HTTPProvider(self.info["l2"]["url"], request_kwargs={"timeout": 30}))

    def builder(self, index):
        return Web3(Web3.HTTPProvider(self.info["builders"][index]["url"], request_kwargs={"timeout": 30}))

    def stop(self, kill=False):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def devnet():
    with tempfile.TemporaryDirectory() as data_dir:
        node = Devnet(data_dir, "--slot-time", "4", "--builders", "2")
        try:
            yield node
        finally:
            node.stop()


def request(w3, method, params):
    answer = w3.provider.make_request(method, params)
    assert "error" not in answer, answer
    return answer["result"]


def contract(w3, info, layer, name, abi):
    return w3.eth.contract(address=info["contracts"][layer][name], abi=info["abis"][abi])


def test_the_harness_starts_with_contracts_and_funded_accounts_on_both_chains(devnet):
    info = devnet.info
    assert request(devnet.l2, "lockstep_devnetInfo", []) == info
    assert devnet.l1.eth.chain_id == info["l1"]["chainId"] == 31337
    assert devnet.l2.eth.chain_id == info["l2"]["chainId"] == 313370
    assert len(info["builders"]) == 2 and len(info["provers"]) == 2
    for layer, w3 in (("l1", devnet.l1), ("l2", devnet.l2)):
        for name, address in info["contracts"][layer].items():
            if address is None:
                assert name == "externalVerifier"  # the external-proof slot is not configured by default
                continue
            assert len(w3.eth.get_code(address)) > 0, f"{layer} {name} has no code"
    rollup = contract(devnet.l1, info, "l1", "rollup", "Rollup")
    assert rollup.functions.sequencer().call() == info["sequencer"]
    assert rollup.functions.threshold().call() == 2
    # The Rollup's genesis is the L2's block 0.
    assert rollup.functions.head().call()[1] == bytes(devnet.l2.eth.get_block(0)["hash"])
    assert rollup.functions.verifiers(0).call() == info["contracts"]["l1"]["attestationVerifier"]
    vault = contract(devnet.l1, info, "l1", "vault", "TokenVault")
    assert vault.functions.l2Token().call() == info["contracts"]["l2"]["token"]
    l1_token = contract(devnet.l1, info, "l1", "token", "DemoToken")
    l2_token = contract(devnet.l2, info, "l2", "token", "BridgedToken")
    for account in info["accounts"][1:]:
        # Account 0 deployed and provided the liquidity; the others hold 10,000 of each on each chain (the tests move
        # some from accounts 1-4; the sequencer, builders and provers earn and pay fees: account 5 keeps its balances).
        if account["index"] == 5:
            assert l1_token.functions.balanceOf(account["address"]).call() == 10_000 * ETHER
            assert l2_token.functions.balanceOf(account["address"]).call() == 10_000 * ETHER
            assert devnet.l2.eth.get_balance(account["address"]) == 10_000 * ETHER
    # Every bridged token is backed by one the vault holds.
    assert l1_token.functions.balanceOf(vault.address).call() == l2_token.functions.totalSupply().call()
    for layer, w3 in (("l1", devnet.l1), ("l2", devnet.l2)):
        amm = contract(w3, info, layer, "amm", "ConstantProductAMM")
        assert amm.functions.ethReserve().call() == 100 * ETHER
        assert amm.functions.tokenReserve().call() == 200_000 * ETHER


def test_the_demo_lands_its_bundle_atomically_and_nothing_of_the_failing_one(devnet):
    result = subprocess.run([binary(), "demo", "--devnet", devnet.info["l2"]["url"], "--account", "1"],
                            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "landed atomically on both layers" in result.stdout
    assert "nothing landed on either layer" in result.stdout
    assert "assertion: token balance below minimum" in result.stdout
    # What the demo says happened, checked independently: account 1's DEMO moved across the bridge.
    info = devnet.info
    l1_token = contract(devnet.l1, info, "l1", "token", "DemoToken")
    assert l1_token.functions.balanceOf(info["accounts"][1]["address"]).call() > 10_000 * ETHER


def test_the_readme_walkthrough_lands_a_cross_layer_bundle_as_printed(devnet, tmp_path):
    readme = (REPO / "README.md").read_text()
    match = re.search(r"<!-- searcher-walkthrough:start -->\n```python\n(.*?)```\n<!-- searcher-walkthrough:end -->",
                      readme, re.S)
    assert match, "the README has no searcher walkthrough"
    script = tmp_path / "walkthrough.py"
    script.write_text(match.group(1))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, LOCKSTEP_L2_URL=devnet.info["l2"]["url"]), stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("landed"), result.stdout
    # The swap is in a based block of the L2.
    searcher = devnet.info["accounts"][2]["address"]
    l2_token = contract(devnet.l2, devnet.info, "l2", "token", "BridgedToken")
    assert l2_token.functions.balanceOf(searcher).call() > 10_000 * ETHER


def signed(account, chain_id, nonce, to, value, gas=21_000):
    tx = dict(chainId=chain_id, nonce=nonce, to=to, value=value, gas=gas, maxFeePerGas=100 * GWEI,
              maxPriorityFeePerGas=GWEI)
    return "0x" + account.sign_transaction(tx).raw_transaction.hex()


def wait_for_final(builder, bundle_hash, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = request(builder, "lockstep_getBundleStatus", [bundle_hash])
        if status["status"] in ("landed", "notLanded", "rejected"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"bundle {bundle_hash} did not end: {status}")


def test_of_two_competing_builders_the_more_valuable_based_block_lands(devnet):
    info = devnet.info
    l2_chain = info["l2"]["chainId"]
    low, high = (Account.from_key(info["accounts"][i]["privateKey"]) for i in (3, 4))
    builders = [devnet.builder(0), devnet.builder(1)]
    for _attempt in range(4):
        head = devnet.l1.eth.block_number
        while devnet.l1.eth.block_number == head:  # early in a slot, before the handoff
            time.sleep(0.05)
        target = head + 2
        # The same slot, one bundle to each builder: builder 1 is paid 0.001 ETH, builder 2 0.05 ETH.
        cheap = {"l2": [signed(low, l2_chain, devnet.l2.eth.get_transaction_count(low.address),
                               info["builders"][0]["address"], ETHER // 1000)], "blockNumber": hex(target)}
        rich = {"l2": [signed(high, l2_chain, devnet.l2.eth.get_transaction_count(high.address),
                              info["builders"][1]["address"], ETHER // 20)], "blockNumber": hex(target)}
        cheap_hash = request(builders[0], "lockstep_sendBundle", [cheap])["bundleHash"]
        rich_hash = request(builders[1], "lockstep_sendBundle", [rich])["bundleHash"]
        outcomes = [wait_for_final(builders[0], cheap_hash), wait_for_final(builders[1], rich_hash)]
        if outcomes[1]["status"] == "landed":
            break
    assert outcomes[1]["status"] == "landed", outcomes
    assert outcomes[0]["status"] == "notLanded", outcomes
    # The L1 block holds builder 2's submission only, and the L2 adopted its based block.
    block = devnet.l1.eth.get_block(target, full_transactions=True)
    submitters = [tx["from"] for tx in block["transactions"] if tx["to"] == info["contracts"]["l1"]["rollup"]]
    assert info["builders"][1]["address"] in submitters and info["builders"][0]["address"] not in submitters
    deadline = time.time() + 10
    while devnet.l2.eth.get_transaction_count(high.address) == 0 and time.time() < deadline:
        time.sleep(0.1)
    receipts = [devnet.l2.eth.get_block(n, full_transactions=True) for n in range(devnet.l2.eth.block_number, 0, -1)]
    based = [b for b in receipts if any(tx["from"] == high.address for tx in b["transactions"])]
    assert based and devnet.l2.provider.make_request(
        "eth_getBlockByNumber", [hex(based[0]["number"]), False])["result"]["kind"] == "based"
    assert devnet.l2.eth.get_balance(info["builders"][1]["address"]) > 10_000 * ETHER


def test_a_restart_with_the_data_dir_continues_both_chains_and_the_bundles(devnet):
    info = devnet.info
    rollup = contract(devnet.l1, info, "l1", "rollup", "Rollup")
    before = dict(l1=devnet.l1.eth.block_number, l2=devnet.l2.eth.block_number,
                  l1_hash=devnet.l1.eth.get_block(2)["hash"], l2_hash=devnet.l2.eth.get_block(2)["hash"],
                  settled=rollup.functions.settledHead().call()[0])
    # A bundle acknowledged for a block far ahead: it must still be waiting after the crash.
    waiting = Account.from_key(info["accounts"][5]["privateKey"])
    far = {"l2": [signed(waiting, info["l2"]["chainId"], 0, info["builders"][0]["address"], ETHER // 1000)],
           "blockNumber": hex(before["l1"] + 60)}
    far_hash = request(devnet.builder(0), "lockstep_sendBundle", [far])["bundleHash"]
    devnet.stop(kill=True)  # mid-run, without warning
    restarted = Devnet(devnet.data_dir, "--slot-time", "4", "--builders", "2")
    devnet.__dict__.update(restarted.__dict__)
    assert devnet.l1.eth.block_number >= before["l1"] and devnet.l2.eth.block_number >= before["l2"]
    assert devnet.l1.eth.get_block(2)["hash"] == before["l1_hash"]
    assert devnet.l2.eth.get_block(2)["hash"] == before["l2_hash"]
    # Both chains move on, and settlement continues from where it was.
    deadline = time.time() + 30
    rollup = contract(devnet.l1, devnet.info, "l1", "rollup", "Rollup")
    while rollup.functions.settledHead().call()[0] <= before["settled"] or devnet.l2.eth.block_number <= before["l2"]:
        assert time.time() < deadline, "the restarted devnet does not settle"
        time.sleep(0.2)
    status = request(devnet.builder(0), "lockstep_getBundleStatus", [far_hash])
    assert status["status"] == "received" and int(status["blockNumber"], 16) == before["l1"] + 60, status


def test_an_external_l1_gets_the_contracts_deployed_and_an_attestation_only_policy():
    """`lockstep devnet --l1-url` against `lockstep l1` without the EXECUTE precompile: the deployer key deploys the
    contracts there, the Rollup takes the attestation alone, the demo's bundle lands, settlement goes on, and a restart
    finds the deployment in the data directory instead of deploying again."""
    from l1node import L1Node
    l1_node = L1Node("--slot-time", "4")
    devnet = None
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            devnet = Devnet(data_dir, "--l1-url", l1_node.url, "--slot-time", "4")
            info = devnet.info
            assert info["l1"]["url"] == l1_node.url and info["l1"]["builtIn"] is False
            assert info["l1"]["executePrecompile"] is False and info["contracts"]["l1"]["executeVerifier"] is None
            rollup = contract(devnet.l1, info, "l1", "rollup", "Rollup")
            assert rollup.functions.threshold().call() == 1
            assert rollup.functions.verifiers(1).call() == "0x" + "00" * 20
            deployment = json.loads((Path(data_dir) / "deployment.json").read_text())
            assert deployment["rollup"] == info["contracts"]["l1"]["rollup"]
            result = subprocess.run([binary(), "demo", "--devnet", info["l2"]["url"], "--scenario", "swap"],
                                    capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
            assert result.returncode == 0, result.stdout + result.stderr
            deadline = time.time() + 30
            while rollup.functions.settledHead().call()[0] == 0:
                assert time.time() < deadline, "the sequencer does not settle on the external L1:\n" + "".join(devnet.output)
                time.sleep(0.2)
            nonce = devnet.l1.eth.get_transaction_count(deployment["deployer"])
            devnet.stop()
            devnet = Devnet(data_dir, "--l1-url", l1_node.url, "--slot-time", "4")
            assert devnet.info["contracts"] == info["contracts"]
            assert devnet.l1.eth.get_transaction_count(deployment["deployer"]) == nonce  # nothing deployed again
            assert not any("deploying the harness contracts" in line for line in devnet.output)
    finally:
        if devnet is not None:
            devnet.stop()
        l1_node.stop()


def test_the_external_proof_slot_counts_when_configured():
    """`lockstep devnet --external-prover`: ExternalVerifier (a signature check standing in for a zk verifier, and
    saying so) in the Rollup's slot 2 and a policy that needs all three proofs; the builder's based block and the
    sequencer's settlements carry the test prover's proof, and the Rollup accepts them only because it verifies."""
    with tempfile.TemporaryDirectory() as data_dir:
        devnet = Devnet(data_dir, "--slot-time", "4", "--external-prover")
        try:
            info = devnet.info
            external = info["contracts"]["l1"]["externalVerifier"]
            rollup = contract(devnet.l1, info, "l1", "rollup", "Rollup")
            assert rollup.functions.verifiers(2).call() == external and rollup.functions.threshold().call() == 3
            verifier = devnet.l1.eth.contract(address=external, abi=info["abis"]["ExternalVerifier"])
            assert verifier.functions.isTestStandIn().call() is True
            prover = Web3(Web3.HTTPProvider(info["externalProver"]["url"]))
            assert "does not prove" in request(prover, "prover_info", [])["kind"]
            result = subprocess.run([binary(), "demo", "--devnet", info["l2"]["url"], "--scenario", "swap"],
                                    capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
            assert result.returncode == 0, result.stdout + result.stderr
            deadline = time.time() + 30
            while rollup.functions.settledHead().call()[0] == 0:
                assert time.time() < deadline, "no settlement with the external proof:\n" + "".join(devnet.output)
                time.sleep(0.2)
            assert int(request(prover, "prover_info", [])["signed"], 16) >= 2  # a based block and a settlement
            # It refuses what does not re-execute, like the attestation provers.
            answer = prover.provider.make_request("zk_prove", [{
                "mode": "based", "blockData": "0x00", "executeProof": "0x00", "l1BlockNumber": "0x1",
                "l1ParentHash": "0x" + "00" * 32, "submitter": info["builders"][0]["address"]}])
            assert "refused" in answer["error"]["message"]
        finally:
            devnet.stop()
