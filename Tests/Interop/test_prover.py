"""The attestation prover service (`lockstep prove`, Specs/protocol.md §8.2) with real processes: two provers (the
harness's accounts 7 and 6) attest the sequencer's settlements on `lockstep l1` with the EXECUTE precompile (2-of-3
policy), and a prover asked directly signs only what re-executes, refusing with the reason otherwise."""
import json
import time
import urllib.request

from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from l1node import L1Node, L2Node, ServiceNode
from protocol_py import attestation_signable
from test_l2_deposits import ACCOUNTS, artifact, deploy

SETTLED = keccak(b"Settled(bytes32,uint256,bytes32,bytes32,bytes32,bytes)")


class ProverNode(ServiceNode):
    service = "prove"


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_provers_attest_settlements_and_refuse_what_does_not_reexecute():
    l1_node = L1Node("--slot-time", "2", "--execute-precompile")
    first = ProverNode("--dev")  # development account 7
    second = ProverNode("--dev", "--key", "0x" + bytes(ACCOUNTS[6].key).hex())
    sequencer = L2Node("--dev", "--block-time", "0.5", "--slot-time", "2", "--l1-poll-interval", "0.2",
                       "--l1-url", l1_node.url, "--prover-url", first.url, "--prover-url", second.url)
    try:
        l1 = Web3(Web3.HTTPProvider(l1_node.url, request_kwargs={"timeout": 30}))
        l2 = Web3(Web3.HTTPProvider(sequencer.url, request_kwargs={"timeout": 30}))
        assert rpc(first.url, "prover_info", [])["result"]["prover"].lower() == ACCOUNTS[7].address.lower()
        rollup = deploy(l1, l2)

        # The sequencer settles with the two provers' attestations (it holds no prover key of its own here).
        deadline = time.time() + 60
        while rollup.functions.settledHead().call()[0] < 3:
            assert time.time() < deadline, "no settlement with the provers' attestations"
            time.sleep(0.3)
        for prover in (first, second):
            assert int(rpc(prover.url, "prover_info", [])["result"]["signed"], 16) > 0

        # Ask a prover directly for a settlement that L1 accepted: the same public inputs, signed by account 7.
        log = l1.eth.get_logs({"address": rollup.address, "fromBlock": 0, "toBlock": "latest",
                               "topics": ["0x" + SETTLED.hex()]})[0]
        transaction = l1.eth.get_transaction(log["transactionHash"])
        _, args = rollup.decode_function_input(transaction["input"])
        proofs = [(p["system"], p["data"]) if isinstance(p, dict) else tuple(p) for p in args["proofs"]]
        execute_proof = [data for system, data in proofs if system == 1][0]
        l1_block = args["l1BlockNumber"]
        request = {"mode": "settlement", "blockData": "0x" + bytes(args["blockData"]).hex(),
                   "executeProof": "0x" + bytes(execute_proof).hex(), "l1BlockNumber": hex(l1_block),
                   "l1ParentHash": "0x" + bytes(l1.eth.get_block(l1_block - 1)["hash"]).hex(),
                   "submitter": ACCOUNTS[9].address}
        answer = rpc(first.url, "prover_prove", [request])["result"]
        assert int(answer["blockNumber"], 16) == args["blockNumber"]
        assert answer["blockHash"] == "0x" + bytes(args["blockHash"]).hex()
        signable = attestation_signable(bytes.fromhex(answer["publicInputsHash"][2:]), rollup.address)
        assert Account.recover_message(signable, signature=bytes.fromhex(answer["signature"][2:])) == ACCOUNTS[7].address

        # Refusals, each with its reason; the prover keeps serving.
        def refused(changes):
            response = rpc(first.url, "prover_prove", [dict(request, **changes)])
            assert "error" in response, response
            return response["error"]["message"]
        assert "kinds or last anchor" in refused({"mode": "based"})
        assert "kinds or last anchor" in refused({"l1ParentHash": "0x" + "11" * 32})
        assert "claimed public inputs hash" in refused({"publicInputsHash": "0x" + "22" * 32})
        assert "refused" in refused({"executeProof": request["executeProof"][:-20]})
        # A block whose claimed state root is not what it executes to.
        data = bytearray(bytes(args["blockData"]))
        root = bytes(l2.eth.get_block(args["blockNumber"])["stateRoot"])
        position = bytes(data).rfind(root)
        assert position > 0
        data[position] ^= 0x01
        assert "state root" in refused({"blockData": "0x" + bytes(data).hex()})
        counts = rpc(first.url, "prover_info", [])["result"]
        assert int(counts["refused"], 16) == 5
    finally:
        for node in (sequencer, second, first, l1_node):
            node.stop()
