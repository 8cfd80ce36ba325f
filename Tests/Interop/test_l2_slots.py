"""The slot protocol's sequencer side (Specs/protocol.md §2) against `lockstep l1`: a slot-end block and a signed
handoff for every L1 slot, announced on the `handoffs` subscription; no L2 block on a slot-end block until its L1
block is known, however late (a missed slot)."""
import json
import time

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address
from web3 import Web3

from l1node import L1Node, L2Node

MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()
SEQUENCER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/9").address
L1_CHAIN_ID, L2_CHAIN_ID = 31337, 313370


def handoff_signer(handoff, rollup):
    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "Handoff": [{"name": "l2ChainId", "type": "uint256"}, {"name": "l2BlockNumber", "type": "uint64"},
                        {"name": "l2BlockHash", "type": "bytes32"}, {"name": "l2StateRoot", "type": "bytes32"},
                        {"name": "l1TargetBlockNumber", "type": "uint64"}, {"name": "l1ParentHash", "type": "bytes32"}],
        },
        "primaryType": "Handoff",
        "domain": {"name": "Lockstep", "version": "1", "chainId": L1_CHAIN_ID, "verifyingContract": rollup},
        "message": {"l2ChainId": int(handoff["l2ChainId"], 16), "l2BlockNumber": int(handoff["l2BlockNumber"], 16),
                    "l2BlockHash": bytes.fromhex(handoff["l2BlockHash"][2:]),
                    "l2StateRoot": bytes.fromhex(handoff["l2StateRoot"][2:]),
                    "l1TargetBlockNumber": int(handoff["l1TargetBlockNumber"], 16),
                    "l1ParentHash": bytes.fromhex(handoff["l1ParentHash"][2:])},
    }
    return Account.recover_message(encode_typed_data(full_message=typed), signature=handoff["signature"])


def block(w3, number):
    return w3.provider.make_request("eth_getBlockByNumber", [hex(number), False])["result"]


def test_a_slot_end_block_and_handoff_every_slot():
    from websockets.sync.client import connect
    l1_node = L1Node("--slot-time", "2")
    l2_node = L2Node("--dev", "--block-time", "0.2", "--slot-time", "2", "--l1-poll-interval", "0.1",
                     "--l1-url", l1_node.url)
    try:
        l1 = Web3(Web3.HTTPProvider(l1_node.url))
        l2 = Web3(Web3.HTTPProvider(l2_node.url))
        rollup = to_checksum_address(l2.provider.make_request("lockstep_l2Status", [])["result"]["rollup"])
        with connect(l2_node.ws_url) as socket:
            socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["handoffs"]}))
            assert "result" in json.loads(socket.recv(timeout=10))
            handoffs = [json.loads(socket.recv(timeout=10))["params"]["result"] for _ in range(3)]
        targets = [int(h["l1TargetBlockNumber"], 16) for h in handoffs]
        assert targets == list(range(targets[0], targets[0] + 3))  # one per slot, none skipped
        for handoff in handoffs:
            assert handoff_signer(handoff, rollup) == SEQUENCER
            target = int(handoff["l1TargetBlockNumber"], 16)
            slot_end = block(l2, int(handoff["l2BlockNumber"], 16))
            assert slot_end["kind"] == "slotEnd" and slot_end["hash"] == handoff["l2BlockHash"]
            assert slot_end["stateRoot"] == handoff["l2StateRoot"]
            assert int(slot_end["l1AnchorNumber"], 16) == target - 1
            parent_on_l1 = l1.eth.get_block(target - 1)
            assert bytes.fromhex(handoff["l1ParentHash"][2:]) == bytes(parent_on_l1["hash"])
            # Nothing is built on the slot-end block before L1 block `target` exists.
            deadline = time.time() + 6
            while time.time() < deadline and block(l2, int(slot_end["number"], 16) + 1) is None:
                time.sleep(0.05)
            child = block(l2, int(slot_end["number"], 16) + 1)
            assert child is not None and child["parentHash"] == slot_end["hash"]
            assert int(child["l1AnchorNumber"], 16) >= target
            assert int(child["timestamp"], 16) >= l1.eth.get_block(target)["timestamp"]
            # The handoff came in the based window: before the target's slot start, after slotStart − window.
            assert int(slot_end["timestamp"], 16) <= l1.eth.get_block(target)["timestamp"]
        latest = l2.provider.make_request("lockstep_getHandoff", [])["result"]
        assert int(latest["l1TargetBlockNumber"], 16) >= targets[-1]
    finally:
        l2_node.stop()
        l1_node.stop()


def test_a_missed_slot_keeps_the_sequencer_paused_until_the_block_appears():
    # An L1 that only mines when told: its next block is "late" for as long as the test waits.
    l1_node = L1Node("--slot-time", "0")
    l2_node = L2Node("--dev", "--block-time", "0.2", "--slot-time", "1", "--l1-poll-interval", "0.1",
                     "--l1-url", l1_node.url)
    try:
        l1 = Web3(Web3.HTTPProvider(l1_node.url))
        l2 = Web3(Web3.HTTPProvider(l2_node.url))
        l1.provider.make_request("evm_mine", [])  # a fresh slot start, so the handoff for the next block comes due
        deadline = time.time() + 10
        slot_end = None
        while time.time() < deadline and slot_end is None:
            head = block(l2, l2.eth.block_number)
            if head["kind"] == "slotEnd":
                slot_end = head
            time.sleep(0.05)
        assert slot_end is not None, "no slot-end block within 10 s"
        target = int(slot_end["l1AnchorNumber"], 16) + 1
        time.sleep(2.5)  # the slot passes with no L1 block
        assert l2.eth.block_number == int(slot_end["number"], 16)  # paused, not resumed early
        l1.provider.make_request("evm_mine", [])
        assert l1.eth.block_number == target
        deadline = time.time() + 5
        while time.time() < deadline and l2.eth.block_number == int(slot_end["number"], 16):
            time.sleep(0.05)
        child = block(l2, int(slot_end["number"], 16) + 1)
        assert child is not None and child["parentHash"] == slot_end["hash"]
        assert int(child["l1AnchorNumber"], 16) >= target
    finally:
        l2_node.stop()
        l1_node.stop()
