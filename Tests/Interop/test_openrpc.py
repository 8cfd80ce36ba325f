"""The OpenRPC documents (Specs/openrpc/*.json) against the servers: the documents are what
Specs/openrpc/generate.py writes, well formed, every server documents exactly the methods it serves
(`rpc_methods`), and every answer the interop suites received (recorded by the servers through
LOCKSTEP_RPC_RECORD, see conftest.py) validates against its method's result schema."""
import collections
import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

import jsonschema
import pytest

from test_devnet import Devnet, request

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "Specs" / "openrpc"
NAMES = ("l1", "l2", "builder", "prover")


def documents():
    return {name: json.loads((FOLDER / f"{name}.json").read_text()) for name in NAMES}


def test_the_documents_are_the_generators_output():
    spec = importlib.util.spec_from_file_location("generate", FOLDER / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    for name in NAMES:
        assert (FOLDER / f"{name}.json").read_text() == generate.render(name), \
            f"Specs/openrpc/{name}.json is stale: run python3 Specs/openrpc/generate.py"


def refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_the_documents_are_well_formed():
    for name, document in documents().items():
        assert document["openrpc"] == "1.2.6"
        names = [method["name"] for method in document["methods"]]
        assert len(names) == len(set(names)), f"{name}: a method is described twice"
        schemas = document["components"]["schemas"]
        for target in refs(document):
            assert target.startswith("#/components/schemas/") and target.split("/")[-1] in schemas, \
                f"{name}: unresolved {target}"
        for method in document["methods"]:
            assert method["summary"] and method["paramStructure"] == "by-position", method["name"]
            for param in method["params"]:
                jsonschema.Draft202012Validator.check_schema(param["schema"])
            jsonschema.Draft202012Validator.check_schema(method["result"]["schema"])
        for schema in schemas.values():
            jsonschema.Draft202012Validator.check_schema(schema)


def served(url):
    from web3 import Web3
    return set(request(Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})), "rpc_methods", []))


def test_every_served_method_is_documented_and_every_documented_one_served():
    """A devnet with the external-proof slot runs every kind of server: the L1, the L2 (with lockstep_devnetInfo),
    a builder (with lockstep_callBundle), two attestation provers and the external-test prover (zk_prove)."""
    docs = {name: {method["name"] for method in document["methods"]} for name, document in documents().items()}
    with tempfile.TemporaryDirectory() as data_dir:
        devnet = Devnet(data_dir, "--slot-time", "4", "--external-prover")
        try:
            info = devnet.info
            assert served(info["l1"]["url"]) == docs["l1"]
            assert served(info["l2"]["url"]) == docs["l2"]
            assert served(info["builders"][0]["url"]) == docs["builder"]
            attestation = served(info["provers"][0]["url"])
            external = served(info["externalProver"]["url"])
            assert attestation <= docs["prover"] and external <= docs["prover"]
            assert attestation | external == docs["prover"]
            assert "prover_prove" in attestation and "zk_prove" in external
            exercise(devnet)
        finally:
            devnet.stop()


def exercise(devnet):
    """Calls the methods the other suites leave out, so that their answers are recorded and validated too."""
    from web3 import Web3
    l1 = Web3(Web3.HTTPProvider(devnet.info["l1"]["url"], request_kwargs={"timeout": 30}))
    l2 = Web3(Web3.HTTPProvider(devnet.info["l2"]["url"], request_kwargs={"timeout": 30}))
    account = devnet.info["accounts"][1]["address"]
    target = "0x" + "5a" * 20
    for w3 in (l1, l2):
        for method, params in [("net_version", []), ("net_listening", []), ("net_peerCount", []), ("eth_syncing", []),
                               ("eth_mining", []), ("eth_hashrate", []), ("eth_coinbase", []), ("eth_blobBaseFee", []),
                               ("web3_sha3", ["0x68656c6c6f"]), ("eth_getUncleCountByBlockNumber", ["latest"])]:
            request(w3, method, params)
        sent = request(w3, "eth_sendTransaction", [{"from": account, "to": target, "value": "0x1"}])
        deadline = time.time() + 30
        while w3.provider.make_request("eth_getTransactionReceipt", [sent]).get("result") is None:
            assert time.time() < deadline, "the transaction was not mined"
            if w3 is l1:
                request(l1, "evm_mine", [])
            time.sleep(0.2)
        receipt = request(w3, "eth_getTransactionReceipt", [sent])
        number, block_hash = receipt["blockNumber"], receipt["blockHash"]
        request(w3, "eth_getBlockTransactionCountByNumber", [number])
        request(w3, "eth_getBlockTransactionCountByHash", [block_hash])
        request(w3, "eth_getUncleCountByBlockHash", [block_hash])
        request(w3, "eth_getTransactionByBlockNumberAndIndex", [number, receipt["transactionIndex"]])
        request(w3, "eth_getTransactionByBlockHashAndIndex", [block_hash, receipt["transactionIndex"]])
    for prefix in ("anvil", "hardhat"):
        request(l1, f"{prefix}_setCode", [target, "0x6000"])
        request(l1, f"{prefix}_setNonce", [target, "0x3"])
        request(l1, f"{prefix}_setStorageAt", [target, "0x1", "0x" + "00" * 31 + "07"])
        request(l1, f"{prefix}_setBalance", [target, "0x10"])
        request(l1, f"{prefix}_mine", ["0x1"])
    request(l1, "anvil_setCoinbase", [devnet.info["builders"][0]["address"]])


def validators():
    """For each method name, a validator of its result per document that describes it."""
    table = collections.defaultdict(list)
    for name, document in documents().items():
        registry_root = {"components": document["components"]}
        for method in document["methods"]:
            schema = dict(method["result"]["schema"])
            schema["components"] = registry_root["components"]
            table[method["name"]].append((name, jsonschema.Draft202012Validator(schema)))
    return table


@pytest.mark.runs_last
def test_every_recorded_answer_validates_against_the_documents():
    path = Path(os.environ["LOCKSTEP_RPC_RECORD"])
    assert path.exists(), f"nothing was recorded at {path}: the servers did not see LOCKSTEP_RPC_RECORD"
    table = validators()
    failures = collections.defaultdict(list)
    checked = collections.Counter()
    undocumented = collections.Counter()
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        method = entry["method"]
        if method not in table:
            if "error" not in entry:
                undocumented[method] += 1
            continue
        if "error" in entry:
            error = entry["error"]
            assert isinstance(error.get("code"), int) and isinstance(error.get("message"), str), entry
            continue
        checked[method] += 1
        problems = []
        for name, validator in table[method]:
            error = jsonschema.exceptions.best_match(validator.iter_errors(entry["result"]))
            if error is None:
                break
            problems.append(f"{name}: {error.message} at {list(error.absolute_path)}")
        else:
            failures[method].append((problems, json.dumps(entry["result"])[:300]))
    # Unknown names are the suites' own tests of -32601; they must all have been errors.
    assert not undocumented, f"answers (not errors) to undocumented methods: {dict(undocumented)}"
    report = []
    for method, cases in sorted(failures.items()):
        problems, sample = cases[0]
        report.append(f"{method} ({len(cases)} of {checked[method]}): {'; '.join(problems)}\n    {sample}")
    assert not report, "answers that do not validate against Specs/openrpc:\n" + "\n".join(report)
    documented = set(table)
    print(f"\nOpenRPC: {sum(checked.values())} answers of {len(checked)} methods validated; "
          f"not exercised by the suites: {sorted(documented - set(checked))}")
    assert len(checked) >= 0.6 * len(documented), f"only {len(checked)} of {len(documented)} methods were exercised"
