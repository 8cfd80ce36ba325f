#!/usr/bin/env python3
"""The slot protocol soak (issue: slot protocol acceptance): `lockstep l1` with 2 s slots and the EXECUTE precompile,
the harness contracts, a sequencer (`lockstep l2 --l1-url`, settling every slot) and a follower (`lockstep l2
--follow`), for --minutes minutes of L2 transactions and L1 deposits. It prints progress every 30 s and, at the
end, a JSON summary; it exits 1 when a check fails:

- a slot-end block and a handoff for every L1 block after the first handoff (from the `handoffs` subscription);
- every transaction the sequencer acknowledged (eth_sendRawTransaction answered its hash) has a receipt;
- every deposit is delivered once;
- the follower's head hash equals the sequencer's block at that number, and it is at or past the settled head.

Run it from the repository root after `make build`:  .venv/bin/python Deploy/soak/slot_soak.py --minutes 10
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../Tests/Interop"))

from web3 import Web3  # noqa: E402

from l1node import L1Node, L2Node  # noqa: E402
from test_l2_deposits import ACCOUNTS, ETHER, GWEI, L2_CHAIN_ID, deploy, deposit  # noqa: E402


def web3(node):
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="L2 transactions per second")
    parser.add_argument("--slot-time", type=float, default=2)
    parser.add_argument("--block-time", type=float, default=0.5)
    args = parser.parse_args()

    started = time.time()
    genesis = str(int(started) - 5)
    common = ["--dev", "--genesis-timestamp", genesis, "--l1-poll-interval", "0.2"]
    slot = str(args.slot_time)
    with tempfile.TemporaryDirectory() as sequencer_dir, tempfile.TemporaryDirectory() as follower_dir:
        l1_node = L1Node("--slot-time", slot, "--execute-precompile")
        sequencer = L2Node(*common, "--block-time", str(args.block_time), "--slot-time", slot, "--l1-url", l1_node.url,
                           data_dir=sequencer_dir)
        follower = None
        try:
            l1, l2 = web3(l1_node), web3(sequencer)
            rollup = deploy(l1, l2)
            follower = L2Node(*common, "--follow", "--l1-url", l1_node.url, data_dir=follower_dir)
            derived = web3(follower)

            handoffs = {}
            stop, stop_watching = threading.Event(), threading.Event()

            def watch_handoffs():
                from websockets.sync.client import connect
                with connect(sequencer.ws_url) as socket:
                    socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["handoffs"]}))
                    socket.recv(timeout=10)
                    while not stop_watching.is_set():
                        try:
                            message = json.loads(socket.recv(timeout=1))
                        except TimeoutError:
                            continue
                        handoff = message["params"]["result"]
                        handoffs[int(handoff["l1TargetBlockNumber"], 16)] = (int(handoff["l2BlockNumber"], 16), time.time())

            acknowledged, refused = [], []

            def send_transactions():
                senders = ACCOUNTS[2:5]
                nonces = {s.address: l2.eth.get_transaction_count(s.address, "pending") for s in senders}
                count = 0
                while not stop.is_set():
                    sender = senders[count % len(senders)]
                    tx = dict(chainId=L2_CHAIN_ID, nonce=nonces[sender.address], to="0x" + "77" * 20, value=count + 1,
                              gas=21_000, maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI)
                    try:
                        acknowledged.append(l2.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
                        nonces[sender.address] += 1
                    except Exception as error:  # refused: not acknowledged, so not counted as lost
                        refused.append(str(error))
                    count += 1
                    time.sleep(1 / args.rate)

            threads = [threading.Thread(target=watch_handoffs, daemon=True),
                       threading.Thread(target=send_transactions, daemon=True)]
            for thread in threads:
                thread.start()

            deposits = []
            end = time.time() + args.minutes * 60
            next_report, next_deposit = time.time() + 30, time.time() + 5
            while time.time() < end:
                time.sleep(0.5)
                if time.time() >= next_deposit:
                    recipient = Web3.to_checksum_address("0x" + os.urandom(20).hex())
                    deposit(l1, rollup, ACCOUNTS[1], recipient, ETHER // 100)
                    deposits.append(recipient)
                    next_deposit += 60
                if time.time() >= next_report:
                    next_report += 30
                    print(f"[{time.time() - started:5.0f} s] L1 {l1.eth.block_number}  L2 {l2.eth.block_number}  "
                          f"settled {rollup.functions.settledHead().call()[0]}  follower {derived.eth.block_number}  "
                          f"handoffs {len(handoffs)}  acknowledged {len(acknowledged)}", flush=True)
            stop.set()
            threads[1].join(5)
            l1_at_stop = l1.eth.block_number

            # Let the last transactions land and settle.
            time.sleep(3 * args.slot_time + 2)
            stop_watching.set()
            threads[0].join(5)
            l1_head = l1.eth.block_number
            first = min(handoffs) if handoffs else l1_head
            missing_handoffs = [n for n in range(first, l1_at_stop + 1) if n not in handoffs]
            lost = [h.hex() for h in acknowledged
                    if l2.provider.make_request("eth_getTransactionReceipt", ["0x" + bytes(h).hex()])["result"] is None]
            undelivered = [r for r in deposits if l2.eth.get_balance(r) != ETHER // 100]
            settled = rollup.functions.settledHead().call()
            deadline = time.time() + 30
            while derived.eth.block_number < settled[0] and time.time() < deadline:
                time.sleep(0.5)
            follower_head = derived.eth.get_block("latest")
            parity = follower_head["hash"] == l2.eth.get_block(follower_head["number"])["hash"]
            summary = {
                "minutes": args.minutes, "slotTime": args.slot_time, "blockTime": args.block_time,
                "l1Blocks": l1_head, "l2Blocks": l2.eth.block_number,
                "handoffs": len(handoffs), "l1BlocksChecked": l1_at_stop - first + 1,
                "missingHandoffs": missing_handoffs[:20], "missingHandoffCount": len(missing_handoffs),
                "acknowledged": len(acknowledged), "refused": len(refused), "lost": len(lost),
                "deposits": len(deposits), "undelivered": len(undelivered),
                "settledHead": settled[0], "followerHead": follower_head["number"], "followerParity": parity,
            }
            print(json.dumps(summary, indent=2))
            ok = (not missing_handoffs and not lost and not undelivered and parity
                  and follower_head["number"] >= settled[0])
            return 0 if ok else 1
        finally:
            for node in (follower, sequencer, l1_node):
                if node is not None:
                    node.stop()


if __name__ == "__main__":
    sys.exit(main())
