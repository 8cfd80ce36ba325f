"""Transactions of every type, signed by eth-account and decoded by Lockstep, and the other way round."""
import json

import pytest
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ACCOUNT = Account.from_key(KEY)
RECIPIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DELEGATE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

ACCESS_LIST = [{"address": RECIPIENT, "storageKeys": ["0x" + "00" * 31 + "01", "0x" + "ab" * 32]}]

TRANSACTIONS = {
    "legacy-pre-eip155": {"nonce": 0, "gasPrice": 10**9, "gas": 21000, "to": RECIPIENT, "value": 1, "data": "0x"},
    "legacy-eip155": {"chainId": 1, "nonce": 5, "gasPrice": 2 * 10**9, "gas": 50000, "to": RECIPIENT,
                      "value": 10**18, "data": "0xdeadbeef"},
    "legacy-create": {"chainId": 31337, "nonce": 0, "gasPrice": 10**9, "gas": 100000, "to": b"",
                      "value": 0, "data": "0x6000600055"},
    "eip2930": {"type": 1, "chainId": 1, "nonce": 3, "gasPrice": 10**9, "gas": 60000, "to": RECIPIENT,
                "value": 0, "data": "0x1234", "accessList": ACCESS_LIST},
    "eip1559": {"type": 2, "chainId": 1, "nonce": 9, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
                "gas": 21000, "to": RECIPIENT, "value": 12345, "data": "0x"},
    "eip1559-access-list": {"type": 2, "chainId": 17000, "nonce": 2**40, "maxFeePerGas": 2**70,
                            "maxPriorityFeePerGas": 2**60, "gas": 900000, "to": RECIPIENT, "value": 2**200,
                            "data": "0x" + "00ff" * 100, "accessList": ACCESS_LIST},
    "eip4844": {"type": 3, "chainId": 1, "nonce": 1, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
                "gas": 100000, "to": RECIPIENT, "value": 0, "data": "0x", "maxFeePerBlobGas": 10**9,
                "blobVersionedHashes": ["0x01" + "aa" * 31, "0x01" + "bb" * 31]},
}


def sign_set_code():
    """An EIP-7702 transaction with two authorizations signed by eth-account."""
    authorizations = [
        ACCOUNT.sign_authorization({"chainId": 1, "address": DELEGATE, "nonce": 1}),
        Account.from_key("0x" + "11" * 32).sign_authorization({"chainId": 0, "address": DELEGATE, "nonce": 0}),
    ]
    tx = {"type": 4, "chainId": 1, "nonce": 0, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
          "gas": 100000, "to": RECIPIENT, "value": 0, "data": "0x", "accessList": [],
          "authorizationList": authorizations}
    return tx, ACCOUNT.sign_transaction(tx), authorizations


def signed_cases():
    cases = [(name, tx, ACCOUNT.sign_transaction(tx)) for name, tx in TRANSACTIONS.items()]
    tx, signed, _ = sign_set_code()
    cases.append(("eip7702", tx, signed))
    return cases


@pytest.mark.parametrize("name,tx,signed", signed_cases(), ids=lambda value: value if isinstance(value, str) else "")
def test_lockstep_decodes_eth_account_transactions(lockstep, name, tx, signed):
    raw = "0x" + signed.raw_transaction.hex().removeprefix("0x")
    decoded = json.loads(lockstep("tx", "decode", raw).stdout)
    assert decoded["hash"] == "0x" + signed.hash.hex().removeprefix("0x")
    assert decoded["from"] == ACCOUNT.address
    assert int(decoded["nonce"], 16) == tx["nonce"]
    assert int(decoded["value"], 16) == tx["value"]
    assert int(decoded["gas"], 16) == tx["gas"]
    assert int(decoded["r"], 16) == signed.r and int(decoded["s"], 16) == signed.s
    if "chainId" in tx:
        assert int(decoded["chainId"], 16) == tx["chainId"]


def test_lockstep_recovers_eip7702_authorities(lockstep):
    _, signed, authorizations = sign_set_code()
    decoded = json.loads(lockstep("tx", "decode", "0x" + signed.raw_transaction.hex().removeprefix("0x")).stdout)
    authorities = [entry["authority"] for entry in decoded["authorizationList"]]
    assert authorities == [ACCOUNT.address, Account.from_key("0x" + "11" * 32).address]
    assert [int(entry["nonce"], 16) for entry in decoded["authorizationList"]] == [a.nonce for a in authorizations]


@pytest.mark.parametrize("name", list(TRANSACTIONS) + ["eip7702"])
def test_eth_account_recovers_lockstep_transactions(lockstep, name):
    if name == "eip7702":
        tx = {"type": 4, "chainId": 1, "nonce": 0, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
              "gas": 100000, "to": RECIPIENT, "value": 0, "data": "0x",
              "authorizationList": [{"chainId": 1, "address": DELEGATE, "nonce": 1}]}
    else:
        tx = dict(TRANSACTIONS[name])
    payload = {key: (value if not isinstance(value, int) or value < 2**53 else hex(value)) for key, value in tx.items()}
    if payload.get("to") == b"":
        payload.pop("to")
    result = json.loads(lockstep("tx", "sign", "--key", KEY, json.dumps(payload)).stdout)
    raw = bytes.fromhex(result["raw"][2:])
    assert Account.recover_transaction(raw) == ACCOUNT.address
    # The transaction hash is keccak of the canonical bytes (TypedTransaction.hash() is the signing hash instead).
    from eth_utils import keccak as _keccak
    assert "0x" + _keccak(raw).hex() == result["hash"]
    if raw[0] < 0x7f:
        typed = TypedTransaction.from_bytes(HexBytes(raw))
        assert typed.transaction_type == raw[0]
    if name == "eip7702":
        # eth-account must recover the authority of the authorization that Lockstep signed.
        auth = result["transaction"]["authorizationList"][0]
        from eth_account.datastructures import SignedSetCodeAuthorization  # noqa: F401 (availability check)
        from eth_account._utils.signing import to_standard_v  # noqa: F401
        import rlp
        from eth_utils import keccak
        message = b"\x05" + rlp.encode([int(auth["chainId"], 16), bytes.fromhex(auth["address"][2:]), int(auth["nonce"], 16)])
        recovered = Account._recover_hash(keccak(message), vrs=(int(auth["yParity"], 16), int(auth["r"], 16), int(auth["s"], 16)))
        assert recovered == ACCOUNT.address
    # And the same transaction signed by eth-account is byte-identical (RFC 6979 signatures are deterministic).
    if name != "eip7702":
        expected = ACCOUNT.sign_transaction(tx)
        assert result["raw"] == "0x" + expected.raw_transaction.hex().removeprefix("0x")


@pytest.mark.parametrize("raw,message", [
    ("0xzz", "invalid character"),
    ("deadbeef", "does not start with 0x"),
    ("0x", "empty transaction"),
    ("0x02c0", "malformed"),
    ("0x0a", "unsupported transaction type"),
    ("0xf86c8085", "malformed"),
])
def test_bad_input_is_a_clear_error(lockstep, raw, message):
    result = lockstep("tx", "decode", raw, check=False)
    assert result.returncode != 0
    assert message in (result.stderr + result.stdout)
    assert "Fatal error" not in result.stderr


def test_sign_rejects_bad_key_and_json(lockstep):
    result = lockstep("tx", "sign", "--key", "0x00", "{}", check=False)
    assert result.returncode != 0 and "invalid private key" in result.stderr
    result = lockstep("tx", "sign", "--key", KEY, "[1,2]", check=False)
    assert result.returncode != 0 and "JSON object" in result.stderr
    result = lockstep("tx", "sign", "--key", KEY, '{"gas": 21000, "gasPrice": 1, "bogus": 1}', check=False)
    assert result.returncode != 0 and "bogus" in result.stderr
