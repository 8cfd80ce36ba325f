#!/usr/bin/env python3
"""The kill -9 loop (issue 21's fault test): real processes, separate as in production (`lockstep l1` with the
EXECUTE precompile and the Rollup deployed, `lockstep l2` settling with two `lockstep prove` provers, `lockstep
builder` asking the same provers), each on a fixed port with its own data directory. While two clients send L2
transactions to the sequencer and cross-layer bundles to the builder, counting what was acknowledged, a killer
sends SIGKILL to the sequencer, the builder or a prover at a random point of a slot and restarts it on the same
port and data directory. Then it checks:

- lost = acknowledged and then unknown: every acknowledged transaction is mined on the L2 (or, for the last
  ones, known to it), and every acknowledged bundle has a status at the builder. Must be 0;
- every restart came up (a store a crash corrupted would not open);
- the chains continue: after the last kill the L1 and the L2 advance, the Rollup's settled head moves, and a new
  bundle lands.

The short version runs in `make test` (test_faults.py, about a minute); the long one is this script:
    LOCKSTEP_BIN=.build/release/lockstep .venv/bin/python Tests/Interop/fault_loop.py --minutes 30
It prints one line per kill and a report; it exits 1 if anything was lost or a check failed.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from l1node import binary  # noqa: E402
from test_l2_deposits import ACCOUNTS, ETHER, GWEI, L2_CHAIN_ID, deploy  # noqa: E402


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rpc(url, method, params, timeout=10):
    """The result, or raises RuntimeError with the JSON-RPC error, or OSError when the service does not answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(answer["error"]["message"])
    return answer["result"]


class Service:
    """`lockstep SERVICE --port PORT ARGS…` that can be killed and restarted on the same port and data directory."""

    def __init__(self, name, service, args, data_dir=None):
        self.name, self.service, self.args, self.data_dir = name, service, list(args), data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(data_dir or tempfile.mkdtemp()) / f"{name}.log"
        self.starts = 0
        self.process = None

    def start(self, timeout=60):
        command = [binary(), self.service, "--port", str(self.port), *self.args]
        if self.data_dir:
            command += ["--data-dir", self.data_dir]
        log = open(self.log_path, "a")
        log.write(f"--- start {self.starts + 1}\n")
        log.flush()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=dict(os.environ))
        log.close()
        deadline = time.time() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} at start {self.starts + 1}:\n"
                                   + self.tail())
            try:
                rpc(self.url, "rpc_methods", [], timeout=2)
                break
            except (OSError, RuntimeError):
                if time.time() > deadline:
                    raise RuntimeError(f"{self.name} did not answer within {timeout} s:\n" + self.tail())
                time.sleep(0.05)
        self.starts += 1
        return self

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines=30):
        return "".join(self.log_path.read_text().splitlines(keepends=True)[-lines:]) if self.log_path.exists() else ""


PAYEE = "0x" + "4a" * 20


def signed(account, chain_id, nonce, to, value):
    from web3 import Web3
    tx = dict(type=2, chainId=chain_id, nonce=nonce, to=Web3.to_checksum_address(to), value=value, gas=21_000, maxFeePerGas=100 * GWEI,
              maxPriorityFeePerGas=GWEI)
    raw = account.sign_transaction(tx)
    return "0x" + raw.raw_transaction.hex(), "0x" + raw.hash.hex()


class Clients:
    """A sender of L2 transactions (account 4, to the sequencer) and one of bundles (account 3, to the builder),
    each counting what was acknowledged. They keep going through restarts: a refused connection is retried."""

    def __init__(self, l1, l2, builder):
        self.l1, self.l2, self.builder = l1, l2, builder
        self.transactions, self.bundles = [], []
        self.refused = 0
        self.errors = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.send_transactions, daemon=True),
                        threading.Thread(target=self.send_bundles, daemon=True)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)

    def send_transactions(self):
        account = ACCOUNTS[4]
        nonce = None
        while not self.stopping.is_set():
            try:
                if nonce is None:
                    nonce = int(rpc(self.l2.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
                raw, tx_hash = signed(account, L2_CHAIN_ID, nonce, PAYEE, 1)
                answer = rpc(self.l2.url, "eth_sendRawTransaction", [raw], timeout=5)
                assert answer == tx_hash, (answer, tx_hash)
                self.transactions.append(tx_hash)
                nonce += 1
            except RuntimeError as error:
                # The node already has it (an answer lost to a kill) or the nonce moved: ask again.
                self.refused += 1
                nonce = None
                if "nonce" not in str(error) and "known" not in str(error):
                    time.sleep(0.2)
            except OSError:
                time.sleep(0.1)
            except Exception as error:  # a bug here must not pass as "nothing acknowledged"
                self.errors.append(repr(error))
                return
            time.sleep(random.uniform(0.05, 0.25))

    def send_bundles(self):
        account = ACCOUNTS[3]
        while not self.stopping.is_set():
            try:
                head = int(rpc(self.l1.url, "eth_blockNumber", []), 16)
                nonce = int(rpc(self.l2.url, "eth_getTransactionCount", [account.address, "latest"]), 16)
                # A new amount each time: every bundle is a new one (the bundle hash covers only the transactions).
                raw, _ = signed(account, L2_CHAIN_ID, nonce, ACCOUNTS[8].address, ETHER // 1000 + random.randrange(10**9))
                answer = rpc(self.builder.url, "lockstep_sendBundle",
                             [{"l2": [raw], "blockNumber": hex(head + random.choice((1, 2)))}], timeout=5)
                self.bundles.append(answer["bundleHash"])
            except RuntimeError:
                self.refused += 1
            except OSError:
                pass
            except Exception as error:
                self.errors.append(repr(error))
                return
            time.sleep(random.uniform(0.3, 0.8))


def run(kills=None, minutes=None, slot_time=4, seed=None, log=print):
    """Runs the loop for `kills` kills or `minutes` minutes; returns the report (a dict). Raises AssertionError when
    something was lost or a check failed."""
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="lockstep-faults-"))
    services = []
    try:
        l1 = Service("l1", "l1", ["--slot-time", str(slot_time), "--execute-precompile"]).start()
        services.append(l1)
        (root / "l2").mkdir()
        (root / "builder").mkdir()
        provers = [Service(f"prover{index}", "prove", ["--dev", "--key", "0x" + bytes(ACCOUNTS[key].key).hex()],
                           data_dir=str(root)) for index, key in ((1, 7), (2, 6))]
        for prover in provers:
            prover.start()
            services.append(prover)
        prover_args = [argument for prover in provers for argument in ("--prover-url", prover.url)]
        l2 = Service("l2", "l2", ["--dev", "--block-time", "0.5", "--slot-time", str(slot_time),
                                  "--based-window", str(slot_time * 3 / 4),
                                  "--l1-poll-interval", "0.1", "--l1-url", l1.url, *prover_args],
                     data_dir=str(root / "l2")).start()
        services.append(l2)
        from web3 import Web3
        w3_l1 = Web3(Web3.HTTPProvider(l1.url, request_kwargs={"timeout": 30}))
        w3_l2 = Web3(Web3.HTTPProvider(l2.url, request_kwargs={"timeout": 30}))
        rollup = deploy(w3_l1, w3_l2)
        builder = Service("builder", "builder", ["--dev", "--l1-url", l1.url, "--l2-url", l2.url,
                                                 "--slot-time", str(slot_time), *prover_args],
                          data_dir=str(root / "builder")).start()
        services.append(builder)

        clients = Clients(l1, l2, builder)
        clients.start()
        victims = {"sequencer": l2, "builder": builder, "prover": provers[0]}
        counts = {name: 0 for name in victims}
        started = time.time()
        deadline = started + minutes * 60 if minutes else None
        done = 0
        order = []
        while (kills is not None and done < kills) or (deadline is not None and time.time() < deadline):
            time.sleep(rng.uniform(0.2, slot_time))  # a random point of the slot
            if not order:  # each service in turn, in a random order each round
                order = rng.sample(sorted(victims), len(victims))
            name = order.pop()
            victim = victims[name]
            victim.kill()
            time.sleep(rng.uniform(0, 1))
            began = time.time()
            victim.start()
            counts[name] += 1
            done += 1
            log(f"kill {done}: {name} killed and back in {time.time() - began:.2f} s; acknowledged so far: "
                f"{len(clients.transactions)} transactions, {len(clients.bundles)} bundles")

        # The last kill is over: the chains must go on.
        l1_head, l2_head = w3_l1.eth.block_number, w3_l2.eth.block_number
        settled_before = rollup.functions.settledHead().call()[0]
        time.sleep(2 * slot_time)
        clients.stop()
        final_wait = time.time() + 30 + 4 * slot_time
        mined, known, unknown = 0, 0, []
        pending = list(clients.transactions)
        while pending and time.time() < final_wait:
            still = []
            for tx_hash in pending:
                if rpc(l2.url, "eth_getTransactionReceipt", [tx_hash]) is None:
                    still.append(tx_hash)
                else:
                    mined += 1
            pending = still
            if pending:
                time.sleep(0.5)
        for tx_hash in pending:
            if rpc(l2.url, "eth_getTransactionByHash", [tx_hash]) is None:
                unknown.append(tx_hash)
            else:
                known += 1
        statuses, lost_bundles = {}, []
        for bundle_hash in dict.fromkeys(clients.bundles):
            status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])
            if status is None:
                lost_bundles.append(bundle_hash)
            else:
                statuses[status["status"]] = statuses.get(status["status"], 0) + 1
        # A bundle sent now lands: the builder, the sequencer and the provers work after all of that.
        landed_after = False
        account = ACCOUNTS[2]
        for _attempt in range(6):
            head = w3_l1.eth.block_number
            while w3_l1.eth.block_number == head:
                time.sleep(0.05)
            raw, _ = signed(account, L2_CHAIN_ID, w3_l2.eth.get_transaction_count(account.address), ACCOUNTS[8].address,
                            ETHER // 100)
            bundle_hash = rpc(builder.url, "lockstep_sendBundle", [{"l2": [raw], "blockNumber": hex(head + 2)}])["bundleHash"]
            for _ in range(int(3 * slot_time / 0.2)):
                status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])["status"]
                if status in ("landed", "notLanded", "rejected", "expired"):
                    break
                time.sleep(0.2)
            if status == "landed":
                landed_after = True
                break
            log(f"a bundle after the kills: {rpc(builder.url, 'lockstep_getBundleStatus', [bundle_hash])}")
        settled_after = rollup.functions.settledHead().call()[0]
        report = {
            "kills": counts, "restarts": {service.name: service.starts - 1 for service in services},
            "seconds": round(time.time() - started),
            "transactions": {"acknowledged": len(clients.transactions), "mined": mined, "pending": known,
                             "lost": len(unknown)},
            "bundles": {"acknowledged": len(set(clients.bundles)), "statuses": statuses, "lost": len(lost_bundles)},
            "refusals": clients.refused,
            "chains": {"l1": [l1_head, w3_l1.eth.block_number], "l2": [l2_head, w3_l2.eth.block_number],
                       "settled": [settled_before, settled_after], "bundleLandedAfter": landed_after},
        }
        log(json.dumps(report, indent=2))
        problems = []
        if unknown:
            problems.append(f"{len(unknown)} acknowledged transactions are unknown to the L2: {unknown[:5]}")
        if lost_bundles:
            problems.append(f"{len(lost_bundles)} acknowledged bundles have no status: {lost_bundles[:5]}")
        if clients.errors:
            problems.append(f"a client failed: {clients.errors}")
        if not clients.transactions or not clients.bundles:
            problems.append("the clients got nothing acknowledged: the loop tested nothing")
        if w3_l1.eth.block_number <= l1_head or w3_l2.eth.block_number <= l2_head:
            problems.append("a chain stopped after the last kill")
        if settled_after <= settled_before:
            problems.append(f"the Rollup's settled head did not move after the last kill ({settled_before})")
        if not landed_after:
            problems.append("no bundle landed after the last kill")
        if problems:
            for service in services:
                log(f"--- {service.name} (last lines of {service.log_path})\n{service.tail()}")
        assert not problems, "; ".join(problems)
        return report
    finally:
        for service in reversed(services):
            service.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--kills", type=int, help="stop after this many kills")
    group.add_argument("--minutes", type=float, help="kill for this long (default 10)")
    parser.add_argument("--slot-time", type=int, default=4)
    parser.add_argument("--seed", type=int, help="the killer's random seed (default: random)")
    arguments = parser.parse_args()
    minutes = arguments.minutes if arguments.kills is None else None
    if arguments.kills is None and minutes is None:
        minutes = 10
    try:
        run(kills=arguments.kills, minutes=minutes, slot_time=arguments.slot_time, seed=arguments.seed)
    except AssertionError as error:
        print(f"FAILED: {error}")
        sys.exit(1)
    print("no acknowledged transaction or bundle lost; every restart came up; the chains continued")


if __name__ == "__main__":
    main()
