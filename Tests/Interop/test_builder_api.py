"""The builder's bundle intake (`lockstep builder`, Specs/builder-api.md) with real processes: `lockstep l1`, `lockstep
l2` and the builder over HTTP. Bundle hashes are recomputed here from Specs/protocol.md §9.2; X-Flashbots-Signature
headers are made with eth-account as Flashbots clients make them; statuses survive kill -9."""
import json
import tempfile
import time
import urllib.request
import uuid

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from l1node import L1Node, L2Node, ServiceNode
from test_l2_deposits import ACCOUNTS, GWEI, L1_CHAIN_ID, L2_CHAIN_ID


class BuilderNode(ServiceNode):
    service = "builder"


def raw_tx(account, chain_id, nonce, value=1):
    tx = dict(chainId=chain_id, nonce=nonce, to="0x" + "77" * 20, value=value, gas=21_000,
              maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=GWEI)
    signed = account.sign_transaction(tx)
    return "0x" + signed.raw_transaction.hex(), bytes(signed.hash)


def bundle_hash(l1_before, l2, l1_after):
    def leg(hashes):
        return keccak(b"".join(hashes))
    return "0x" + keccak(leg(l1_before) + leg(l2) + leg(l1_after)).hex()


def call(url, method, params, signer=None, raw_header=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    headers = {"Content-Type": "application/json"}
    if signer is not None:
        message = encode_defunct(text="0x" + keccak(body).hex())
        headers["X-Flashbots-Signature"] = f"{signer.address}:0x{signer.sign_message(message).signature.hex()}"
    if raw_header is not None:
        headers["X-Flashbots-Signature"] = raw_header
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def error_of(answer):
    assert "error" in answer, answer
    return answer["error"]["message"]


@pytest.fixture(scope="module")
def services():
    with tempfile.TemporaryDirectory() as data_dir:
        l1 = L1Node("--slot-time", "86400")
        l2 = L2Node("--dev", "--block-time", "1")
        builder = BuilderNode("--dev", "--l1-url", l1.url, "--l2-url", l2.url, data_dir=data_dir)
        try:
            yield l1, l2, builder, data_dir
        finally:
            builder.stop()
            l2.stop()
            l1.stop()


def l1_head(l1):
    return int(call(l1.url, "eth_blockNumber", [])["result"], 16)


def test_a_bundle_is_acknowledged_with_its_hash_and_kept(services):
    l1, _, builder, _ = services
    before, before_hash = raw_tx(ACCOUNTS[1], L1_CHAIN_ID, 0)
    l2_tx, l2_hash = raw_tx(ACCOUNTS[1], L2_CHAIN_ID, 0)
    target = l1_head(l1) + 1
    answer = call(builder.url, "lockstep_sendBundle",
                  [{"l1Before": [before], "l2": [l2_tx], "blockNumber": hex(target), "revertingTxHashes": ["0x" + l2_hash.hex()]}])
    expected = bundle_hash([before_hash], [l2_hash], [])
    assert answer["result"] == {"bundleHash": expected}
    # The same bundle again (decimal block number this time) is the same bundle.
    again = call(builder.url, "lockstep_sendBundle", [{"l1Before": [before], "l2": [l2_tx], "blockNumber": target,
                                                       "revertingTxHashes": ["0x" + l2_hash.hex()]}])
    assert again["result"]["bundleHash"] == expected
    status = call(builder.url, "lockstep_getBundleStatus", [expected])["result"]
    assert status["status"] == "received" and int(status["blockNumber"], 16) == target and "searcher" not in status
    assert call(builder.url, "lockstep_getBundleStatus", ["0x" + "11" * 32])["result"] is None


@pytest.mark.parametrize("bundle, message", [
    ({"l2": ["0x02"], "blockNumber": "0x10"}, "l2[0]"),
    ({"l2": "nope", "blockNumber": "0x10"}, "l2"),
    ({"l2": [], "blockNumber": "0x10"}, "empty bundle"),
    ({"l1before": [], "blockNumber": "0x10"}, "unknown bundle field 'l1before'"),
    ({"l2": ["L2"]}, "blockNumber"),
    ({"l2": ["L2"], "blockNumber": "0x10", "minTimestamp": 9, "maxTimestamp": 3}, "minTimestamp"),
    ({"l2": ["L2"], "blockNumber": "0x10", "revertingTxHashes": ["0x" + "22" * 32]}, "not a transaction of the bundle"),
    ({"l2": ["L1"], "blockNumber": "0x10"}, "chain id 31337, but l2 runs on chain 313370"),
    ({"l1Before": ["L2"], "blockNumber": "0x10"}, "chain id 313370, but l1Before runs on chain 31337"),
    ({"l2": ["L2", "L2"], "blockNumber": "0x10"}, "appears twice"),
    ({"l2": ["L2"], "blockNumber": "0x10", "replacementUuid": "not-a-uuid"}, "not a UUID"),
    ({"l2": ["L2"], "blockNumber": "0x10", "replacementUuid": str(uuid.uuid4())}, "needs an X-Flashbots-Signature"),
    ({"l2": ["L2"], "blockNumber": "0x0"}, "not after the L1 head"),
    ({"l2": ["L2"] * 40, "blockNumber": "0x10"}, "at most 32 transactions"),
])
def test_malformed_bundles_are_refused_with_the_reason(services, bundle, message):
    _, _, builder, _ = services
    l1_tx, _ = raw_tx(ACCOUNTS[2], L1_CHAIN_ID, 0)
    l2_tx, _ = raw_tx(ACCOUNTS[2], L2_CHAIN_ID, 0)
    substitutes = {"L1": l1_tx, "L2": l2_tx}
    for key in ("l1Before", "l2", "l1After"):
        if isinstance(bundle.get(key), list):
            bundle[key] = [substitutes.get(item, item) for item in bundle[key]]
    if bundle.get("l2") and len(bundle["l2"]) == 40:
        bundle["l2"] = [raw_tx(ACCOUNTS[2], L2_CHAIN_ID, n)[0] for n in range(40)]
    assert message in error_of(call(builder.url, "lockstep_sendBundle", [bundle]))
    # The service keeps answering.
    assert call(builder.url, "lockstep_getBundleStatus", ["0x" + "33" * 32])["result"] is None


def test_bad_signatures_are_refused(services):
    _, _, builder, _ = services
    l2_tx, _ = raw_tx(ACCOUNTS[3], L2_CHAIN_ID, 0)
    params = [{"l2": [l2_tx], "blockNumber": "0x10"}]
    assert "must be <address>:<signature>" in error_of(call(builder.url, "lockstep_sendBundle", params, raw_header="junk"))
    forged = f"{ACCOUNTS[3].address}:0x" + "11" * 65
    assert "does not match" in error_of(call(builder.url, "lockstep_sendBundle", params, raw_header=forged))


def test_replacement_cancellation_and_ownership_survive_a_crash(services):
    l1, l2, builder, data_dir = services
    searcher, other = Account.create(), Account.create()
    target = hex(l1_head(l1) + 5)
    key = str(uuid.uuid4())
    first_tx, _ = raw_tx(ACCOUNTS[4], L2_CHAIN_ID, 0)
    first = call(builder.url, "lockstep_sendBundle",
                 [{"l2": [first_tx], "blockNumber": target, "replacementUuid": key, "replacementNonce": 1}],
                 signer=searcher)["result"]["bundleHash"]
    # Only its searcher sees a signed bundle's status.
    assert "belongs to another searcher" in error_of(call(builder.url, "lockstep_getBundleStatus", [first]))
    assert "belongs to another searcher" in error_of(call(builder.url, "lockstep_getBundleStatus", [first], signer=other))
    status = call(builder.url, "lockstep_getBundleStatus", [{"bundleHash": first}], signer=searcher)["result"]
    assert status["status"] == "received" and status["searcher"].lower() == searcher.address.lower()

    # A stale replacement is refused; a newer one replaces.
    second_tx, _ = raw_tx(ACCOUNTS[4], L2_CHAIN_ID, 0, value=2)
    stale = call(builder.url, "lockstep_sendBundle",
                 [{"l2": [second_tx], "blockNumber": target, "replacementUuid": key, "replacementNonce": 1}], signer=searcher)
    assert "stale replacement" in error_of(stale)
    answer = call(builder.url, "lockstep_sendBundle",
                  [{"l2": [second_tx], "blockNumber": target, "replacementUuid": key, "replacementNonce": 2}],
                  signer=searcher)["result"]
    second = answer["bundleHash"]
    assert answer["replaced"] == first
    assert call(builder.url, "lockstep_getBundleStatus", [first], signer=searcher)["result"]["status"] == "replaced"

    # Another searcher cannot cancel it; its own searcher can, by lockstep_cancelBundle.
    assert "no active bundle" in error_of(call(builder.url, "lockstep_cancelBundle", [{"replacementUuid": key}], signer=other))
    assert "needs an X-Flashbots-Signature" in error_of(call(builder.url, "lockstep_cancelBundle", [{"replacementUuid": key}]))
    cancelled = call(builder.url, "lockstep_cancelBundle", [{"replacementUuid": key}], signer=searcher)["result"]
    assert cancelled == {"cancelled": second}

    # An empty bundle with a live replacementUuid cancels too.
    third_tx, _ = raw_tx(ACCOUNTS[5], L2_CHAIN_ID, 0)
    third = call(builder.url, "lockstep_sendBundle", [{"l2": [third_tx], "blockNumber": target, "replacementUuid": key}],
                 signer=searcher)["result"]["bundleHash"]
    answer = call(builder.url, "lockstep_sendBundle", [{"blockNumber": target, "replacementUuid": key}], signer=searcher)
    assert answer["result"] == {"bundleHash": None, "cancelled": third}

    # kill -9: every status is still there.
    builder.stop(kill=True)
    restarted = BuilderNode("--dev", "--l1-url", l1.url, "--l2-url", l2.url, data_dir=data_dir)
    try:
        statuses = {h: call(restarted.url, "lockstep_getBundleStatus", [h], signer=searcher)["result"]["status"]
                    for h in (first, second, third)}
        assert statuses == {first: "replaced", second: "cancelled", third: "cancelled"}
        # A bundle whose target block passes without it is not landed.
        fresh_tx, _ = raw_tx(ACCOUNTS[6], L2_CHAIN_ID, 0)
        head = l1_head(l1)
        late = call(restarted.url, "lockstep_sendBundle", [{"l2": [fresh_tx], "blockNumber": hex(head + 1)}])["result"]["bundleHash"]
        call(l1.url, "evm_mine", [])
        deadline = time.time() + 10
        while call(restarted.url, "lockstep_getBundleStatus", [late])["result"]["status"] != "notLanded":
            assert time.time() < deadline, "the bundle was not marked notLanded after its block"
            time.sleep(0.2)
    finally:
        restarted.stop()
