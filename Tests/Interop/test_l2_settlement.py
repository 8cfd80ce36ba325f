"""Settlement and derivation from L1 (Specs/protocol.md §7.4, §10) with real processes: `lockstep l1` with the
EXECUTE precompile and the harness's 2-of-3 policy (attestation + execute), a sequencer `lockstep l2 --l1-url` that
settles its blocks every slot, and a follower `lockstep l2 --follow` that derives the chain from the Rollup's
`Settled` events alone and must reach the sequencer's block hashes, across a kill -9."""
import tempfile
import time

import rlp
from eth_utils import keccak
from web3 import Web3

from l1node import L1Node, L2Node
from test_l2_deposits import ACCOUNTS, ETHER, GWEI, L2_CHAIN_ID, artifact, deploy, deposit, transact, wait_for_balance

SETTLED = keccak(b"Settled(bytes32,uint256,bytes32,bytes32,bytes32,bytes)")
SENT_TO_L1 = keccak(b"SentToL1(bytes32,bytes32,uint256,address,address,uint256,bytes)")
MESSENGER = Web3.to_checksum_address("0x1000000000000000000000000000000000000001")


def web3(node):
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def send_transfers(l2, sender, count):
    hashes = []
    nonce = l2.eth.get_transaction_count(sender.address, "pending")
    for i in range(count):
        tx = dict(chainId=L2_CHAIN_ID, nonce=nonce + i, to="0x" + "77" * 20, value=1000 + i, gas=21_000,
                  maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=GWEI)
        hashes.append(l2.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
    return hashes


def test_the_sequencer_settles_every_slot_and_a_follower_derives_the_same_chain():
    genesis_timestamp = str(int(time.time()) - 5)
    common = ["--dev", "--genesis-timestamp", genesis_timestamp, "--l1-poll-interval", "0.2"]
    with tempfile.TemporaryDirectory() as follower_dir:
        l1_node = L1Node("--slot-time", "2", "--execute-precompile")
        sequencer = L2Node(*common, "--block-time", "0.5", "--slot-time", "2", "--l1-url", l1_node.url)
        follower = None
        try:
            l1, l2 = web3(l1_node), web3(sequencer)
            rollup = deploy(l1, l2)
            follower = L2Node(*common, "--follow", "--l1-url", l1_node.url, data_dir=follower_dir)
            derived = web3(follower)

            recipient = "0x" + "5c" * 20
            deposit(l1, rollup, ACCOUNTS[1], Web3.to_checksum_address(recipient), ETHER)
            transfers = send_transfers(l2, ACCOUNTS[3], 5)
            wait_for_balance(l2, Web3.to_checksum_address(recipient), ETHER)
            last = max(l2.eth.wait_for_transaction_receipt(h, timeout=30)["blockNumber"] for h in transfers)

            # A withdrawal of 0.25 ETH to a fresh L1 address, from a sequenced block.
            payee = Web3.to_checksum_address("0x" + "5d" * 20)
            messenger = l2.eth.contract(address=MESSENGER, abi=artifact("L2Messenger")["abi"])
            withdrawer = ACCOUNTS[4]
            tx = messenger.functions.sendToL1(payee, b"").build_transaction(
                {"from": withdrawer.address, "value": ETHER // 4, "gas": 300_000, "chainId": L2_CHAIN_ID,
                 "nonce": l2.eth.get_transaction_count(withdrawer.address, "pending"),
                 "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI})
            receipt = l2.eth.wait_for_transaction_receipt(
                l2.eth.send_raw_transaction(withdrawer.sign_transaction(tx).raw_transaction), timeout=30)
            withdrawal_id = [bytes(log["topics"][1]) for log in receipt["logs"] if bytes(log["topics"][0]) == SENT_TO_L1][0]
            last = max(last, receipt["blockNumber"])

            # The Rollup's settled head passes the transfers' block, and every settlement carries its blocks' data.
            settled = wait_until(lambda: (lambda head: head if head[0] >= last else None)(
                rollup.functions.settledHead().call()), 60, f"the settled head to reach L2 block {last}")
            assert bytes(settled[1]) == bytes(l2.eth.get_block(settled[0])["hash"])
            logs = l1.eth.get_logs({"address": rollup.address, "fromBlock": 0, "toBlock": "latest",
                                    "topics": ["0x" + SETTLED.hex()]})
            assert len(logs) >= 2
            covered = 0
            for log in logs:
                data = bytes(log["data"])
                block_data = data[32 * 6: 32 * 6 + int.from_bytes(data[32 * 5: 32 * 6], "big")]
                blocks = rlp.decode(block_data)
                for header, _transactions, _deposits in blocks:
                    assert int.from_bytes(header[8], "big") == covered + 1  # ranges are consecutive
                    assert header[21] in (b"", b"\x01")  # sequenced or slot-end only
                    covered += 1
                assert "0x" + keccak(rlp.encode(blocks[-1][0])).hex() == "0x" + bytes(log["topics"][1]).hex()
            # Every L1 slot after the first settlements carries one (the sequencer settles every slot).
            numbers = sorted({log["blockNumber"] for log in logs})
            assert numbers[-1] - numbers[0] <= 2 * (len(numbers) - 1)

            # After settlement the withdrawal is provable with the node's inclusion proof, and executable once.
            proof = wait_until(lambda: (lambda answer: answer if answer["settled"] else None)(
                l2.provider.make_request("lockstep_getWithdrawalProof", ["0x" + withdrawal_id.hex()])["result"]),
                30, "the withdrawal's settlement")
            assert int(proof["l2BlockNumber"], 16) == receipt["blockNumber"]
            transact(l1, ACCOUNTS[0], rollup.functions.proveWithdrawal(
                bytes.fromhex(proof["rangeEndHash"][2:]), withdrawal_id, int(proof["index"], 16),
                [bytes.fromhex(p[2:]) for p in proof["proof"]]).build_transaction({"from": ACCOUNTS[0].address}))
            assert rollup.functions.withdrawals(withdrawal_id).call() == 1  # VERIFIED
            origin_key = bytes(12) + bytes.fromhex(withdrawer.address[2:])
            transact(l1, ACCOUNTS[0], rollup.functions.executeFromL2(
                origin_key, 0, withdrawer.address, payee, ETHER // 4, b"").build_transaction({"from": ACCOUNTS[0].address}))
            assert l1.eth.get_balance(payee) == ETHER // 4
            assert rollup.functions.withdrawals(withdrawal_id).call() == 2  # EXECUTED
            assert l2.provider.make_request("lockstep_getWithdrawalProof", ["0x" + "00" * 32])["result"] is None

            # The follower derives the same chain from L1 alone, and refuses transactions.
            wait_until(lambda: derived.eth.block_number >= settled[0], 30, "the follower to derive the settled blocks")
            for number in range(0, settled[0] + 1):
                assert derived.eth.get_block(number)["hash"] == l2.eth.get_block(number)["hash"], number
            assert derived.eth.get_balance(Web3.to_checksum_address(recipient)) == ETHER
            tx = dict(chainId=L2_CHAIN_ID, nonce=0, to="0x" + "77" * 20, value=1, gas=21_000,
                      maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=GWEI)
            answer = derived.provider.make_request(
                "eth_sendRawTransaction", ["0x" + ACCOUNTS[4].sign_transaction(tx).raw_transaction.hex()])
            assert "sequences nothing" in answer["error"]["message"]

            # kill -9 and restart: the follower continues from its log and keeps up.
            follower.stop(kill=True)
            follower = L2Node(*common, "--follow", "--l1-url", l1_node.url, data_dir=follower_dir)
            derived = web3(follower)
            assert derived.eth.block_number >= settled[0]
            target = rollup.functions.settledHead().call()[0] + 2
            wait_until(lambda: rollup.functions.settledHead().call()[0] >= target, 30, "two more settled blocks")
            head = rollup.functions.settledHead().call()
            wait_until(lambda: derived.eth.block_number >= head[0], 30, "the restarted follower to catch up")
            assert derived.eth.get_block(head[0])["hash"] == l2.eth.get_block(head[0])["hash"]
        finally:
            for node in (follower, sequencer, l1_node):
                if node is not None:
                    node.stop()
