"""The builder's bundle intake on PostgreSQL (issue 21, Specs/builder-api.md "Intake replicas"): a real PostgreSQL
server (Debian's package, started here in a temporary directory), two `lockstep builder --intake-only` replicas and
the simulating `lockstep builder --postgres`, on `lockstep l1` and `lockstep l2`. Bundles are sent to both
replicas; one is killed with SIGKILL midway. Every bundle a replica acknowledged reaches the builder, gets a status
at the surviving replica, and bundles land."""
import glob
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from fault_loop import Service, free_port, rpc, signed
from test_l2_deposits import ACCOUNTS, ETHER, L2_CHAIN_ID, deploy
from test_security import signed_call


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free loopback port (run as the `postgres` user when we are root)."""

    def __init__(self):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            raise RuntimeError("PostgreSQL is not installed: Deploy/install-deps.sh installs Debian's postgresql")
        self.bin = Path(binaries[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="lockstep-pg-"))
        self.as_user = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        data = self.root / "data"
        self.run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.run("pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o",
                 f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")
        self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE lockstep")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/lockstep"

    def run(self, program, *args):
        result = subprocess.run([*self.as_user, str(self.bin / program), *args], capture_output=True, text=True,
                                timeout=120, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def sql(self, statement):
        return self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "lockstep", "-tA",
                        "-c", statement).strip()

    def stop(self):
        try:
            self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    postgres = PostgresServer()
    root = Path(tempfile.mkdtemp(prefix="lockstep-intake-"))
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
        (root / "builder").mkdir()
        builder = Service("builder", "builder", ["--dev", "--l1-url", l1.url, "--l2-url", l2.url, "--slot-time", "4",
                                                 "--postgres", postgres.url], data_dir=str(root / "builder")).start()
        services.append(builder)
        replicas = [Service(f"replica{index}", "builder", ["--intake-only", "--postgres", postgres.url,
                                                           "--l1-url", l1.url, "--l2-url", l2.url], data_dir=str(root))
                    for index in (1, 2)]
        for replica in replicas:
            replica.start()
            services.append(replica)
        yield postgres, w3_l1, w3_l2, builder, replicas
    finally:
        for service in reversed(services):
            service.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_nothing_a_replica_acknowledged_is_lost_when_it_is_killed(cluster):
    postgres, w3_l1, w3_l2, builder, (first, second) = cluster
    account = ACCOUNTS[3]
    acknowledged = []
    started = time.time()
    killed = False
    while time.time() - started < 14:
        if not killed and time.time() - started > 6:
            first.kill()
            killed = True
        replica = random.choice([second] if killed else [first, second])
        head = w3_l1.eth.block_number
        raw, _ = signed(account, L2_CHAIN_ID, w3_l2.eth.get_transaction_count(account.address), ACCOUNTS[8].address,
                        ETHER // 1000 + random.randrange(10**9))
        try:
            answer = rpc(replica.url, "lockstep_sendBundle", [{"l2": [raw], "blockNumber": hex(head + 2)}], timeout=5)
            acknowledged.append((answer["bundleHash"], replica.name))
        except (OSError, RuntimeError):
            pass
        time.sleep(random.uniform(0.1, 0.4))
    assert killed and len({name for _, name in acknowledged}) == 2, acknowledged
    time.sleep(10)  # two slots: every target block has passed
    final = {}
    for bundle_hash, _ in acknowledged:
        at_builder = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])
        at_replica = rpc(second.url, "lockstep_getBundleStatus", [bundle_hash])
        assert at_builder is not None, f"the builder never took {bundle_hash}"
        assert at_replica is not None and at_replica["status"] == at_builder["status"], (at_replica, at_builder)
        final[at_builder["status"]] = final.get(at_builder["status"], 0) + 1
    assert final.get("landed", 0) >= 1, final
    assert set(final) <= {"landed", "notLanded", "rejected"}, final
    rows = int(postgres.sql("SELECT count(*) FROM lockstep_intake WHERE kind = 'bundle'"))
    assert rows >= len(acknowledged)
    print(f"\nintake replicas: {len(acknowledged)} acknowledged ({rows} rows), statuses {final}")


def test_a_signed_bundle_is_replaced_and_cancelled_through_different_replicas(cluster):
    _, w3_l1, w3_l2, builder, (_, second) = cluster
    searcher = Account.create()
    account = ACCOUNTS[4]
    nonce = w3_l2.eth.get_transaction_count(account.address)
    target = hex(w3_l1.eth.block_number + 50)
    one, _ = signed(account, L2_CHAIN_ID, nonce, ACCOUNTS[8].address, 1)
    two, _ = signed(account, L2_CHAIN_ID, nonce, ACCOUNTS[8].address, 2)
    uuid = "7f3c2a10-0000-4000-8000-000000000001"
    first = signed_call(second.url, "lockstep_sendBundle", [{"l2": [one], "blockNumber": target,
                                                             "replacementUuid": uuid}], searcher)["result"]["bundleHash"]
    deadline = time.time() + 10
    while signed_call(builder.url, "lockstep_getBundleStatus", [first], searcher).get("result") is None:
        assert time.time() < deadline, "the builder did not take the bundle"
        time.sleep(0.1)
    answer = signed_call(second.url, "lockstep_sendBundle", [{"l2": [two], "blockNumber": target,
                                                              "replacementUuid": uuid}], searcher)["result"]
    assert answer["replaced"] == first
    # Statuses of a signed bundle are its searcher's only, at the replicas too.
    assert "another searcher" in signed_call(second.url, "lockstep_getBundleStatus", [first],
                                             Account.create())["error"]["message"]
    deadline = time.time() + 10
    while signed_call(second.url, "lockstep_getBundleStatus", [first], searcher)["result"]["status"] != "replaced":
        assert time.time() < deadline, "the replacement did not reach the builder"
        time.sleep(0.1)
    cancelled = signed_call(second.url, "lockstep_cancelBundle", [{"replacementUuid": uuid}], searcher)["result"]
    assert cancelled["cancelled"] == answer["bundleHash"]
    deadline = time.time() + 10
    while signed_call(builder.url, "lockstep_getBundleStatus", [answer["bundleHash"]], searcher)["result"]["status"] != "cancelled":
        assert time.time() < deadline, "the cancellation did not reach the builder"
        time.sleep(0.1)
