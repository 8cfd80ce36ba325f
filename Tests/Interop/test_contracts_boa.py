"""The Lockstep contracts (Sources/Contracts) executed by titanoboa's py-evm, against Specs/protocol.md.

Every contract is deployed from its shipped artifact (Sources/Contracts/artifacts), and every encoding is checked
against the independent implementation in protocol_py.py. Signatures are made with the development keys (§1):
sequencer = account 9, attestation provers = accounts 7, 6, 5.

The EXECUTE precompile (§8.3) does not exist in py-evm. Two stand-ins are registered at 0x0101 where needed:
- `execute_echo_stub` returns the `witness` argument as its output. It executes nothing; it lets the tests check
  ExecuteVerifier's comparison of an output with the public inputs and the tag's rules, and nothing more.
- `execute_via_lockstep` runs the real implementation, `$LOCKSTEP_BIN protocol execute`; those tests are skipped
  when the command is not available.
"""
import json
import os
import subprocess
from pathlib import Path

import boa
import pytest
import rlp
from boa.contracts.abi.abi_contract import ABIContractFactory
from boa.vm.py_evm import deregister_raw_precompile, register_raw_precompile
from eth.exceptions import Revert, VMError
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

import protocol_py as P

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "Sources" / "Contracts" / "artifacts"

L1_BLOCK = 1000
GENESIS_HASH = keccak(b"l2 genesis")
GENESIS_STATE_ROOT = keccak(b"l2 genesis state")
STAND_IN_PROVER = P.dev_account(3)  # signs for the external slot's stand-in verifier (§8.4: a signing test prover)
USER = P.dev_account(0)
OTHER_USER = P.dev_account(1)

SYSTEM_ATTESTATION, SYSTEM_EXECUTE, SYSTEM_EXTERNAL = 0, 1, 2
DEPOSIT_PENDING, DEPOSIT_CONSUMED = 1, 2
WITHDRAWAL_NONE, WITHDRAWAL_VERIFIED, WITHDRAWAL_EXECUTED = 0, 1, 2


# ---------------------------------------------------------------------------------------------------------------
# Deployment from the artifacts

def _abi_type(entry) -> str:
    kind = entry["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in entry["components"]) + ")" + kind[len("tuple"):]
    return kind


def artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def deploy(name: str, *args, env=None):
    """Deploys `name` from its artifact's bytecode with ABI-encoded constructor arguments."""
    env = env or boa.env
    art = artifact(name)
    constructor = next((e for e in art["abi"] if e["type"] == "constructor"), {"inputs": []})
    types = [_abi_type(i) for i in constructor["inputs"]]
    address, _ = env.deploy_code(bytecode=bytes.fromhex(art["bytecode"][2:]) + abi_encode(types, list(args)))
    with boa.swap_env(env):
        return ABIContractFactory.from_abi_dict(art["abi"], name=name).at(address)


def install_predeploy(name: str, address: str, env):
    """Puts a contract's runtime code at `address`, as the L2 genesis does (§4.1): no constructor runs."""
    art = artifact(name)
    env.set_code(address, bytes.fromhex(art["runtimeBytecode"][2:]))
    with boa.swap_env(env):
        return ABIContractFactory.from_abi_dict(art["abi"], name=name).at(address)


def events(contract, name: str, computation=None) -> list:
    """The `name` events the contract emitted in its last call (or in `computation`), decoded into dicts."""
    abi = next(e for e in contract.abi if e.get("type") == "event" and e["name"] == name)
    topic = keccak(f"{name}({','.join(_abi_type(i) for i in abi['inputs'])})".encode())
    indexed = [i for i in abi["inputs"] if i["indexed"]]
    plain = [i for i in abi["inputs"] if not i["indexed"]]
    found = []
    for entry in sorted((computation or contract._computation).get_raw_log_entries()):
        _, address, topics, data = entry
        if to_checksum_address(address) != to_checksum_address(contract.address):
            continue
        if topics[0].to_bytes(32, "big") != topic:
            continue
        values = {}
        for i, t in zip(indexed, topics[1:]):
            values[i["name"]] = abi_decode([i["type"]], t.to_bytes(32, "big"))[0]
        for i, v in zip(plain, abi_decode([_abi_type(i) for i in plain], data)):
            values[i["name"]] = v
        for i in abi["inputs"]:
            if i["type"] == "address":
                values[i["name"]] = to_checksum_address(values[i["name"]])
        found.append(values)
    return found


def last_gas(contract) -> int:
    return contract._computation.get_gas_used()


def create_address(sender: str, nonce: int) -> str:
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def l1_hash(number: int) -> bytes:
    """The hash of L1 block `number` in these tests."""
    return keccak(b"l1 block" + number.to_bytes(8, "big"))


def goto_l1_block(number: int, env=None):
    """Makes the next transactions run in L1 block `number`, whose ancestors have the hashes l1_hash(n)."""
    env = env or boa.env
    env.evm.patch.block_number = number
    env.evm.patch.prev_hashes = [l1_hash(number - 1 - i) for i in range(256)]


def b32(label: str) -> bytes:
    return keccak(label.encode())


# ---------------------------------------------------------------------------------------------------------------
# The L1 world: a Rollup with the attestation verifier (provers 7, 6, 5, any 2), the execute verifier, and a
# signing stand-in in the external slot, policy 2-of-3.

class World:
    def __init__(self, external_stand_in=True, threshold=2):
        boa.env.evm.patch.chain_id = P.L1_CHAIN_ID
        goto_l1_block(L1_BLOCK)
        deployer = boa.env.eoa
        nonce = boa.env.evm.vm.state.get_nonce(bytes.fromhex(str(deployer)[2:]))
        verifier_count = 3 if external_stand_in else 2
        rollup_address = create_address(str(deployer), nonce + verifier_count)
        provers = sorted((a.address for a in P.PROVERS), key=lambda a: int(a, 16))
        self.attestation = deploy("AttestationVerifier", rollup_address, provers, 2)
        self.execute = deploy("ExecuteVerifier", P.L2_CHAIN_ID)
        self.stand_in = deploy("AttestationVerifier", rollup_address, [STAND_IN_PROVER.address], 1) \
            if external_stand_in else None
        verifiers = [self.attestation.address, self.execute.address,
                     self.stand_in.address if self.stand_in else "0x" + "00" * 20]
        self.rollup = deploy("Rollup", P.SEQUENCER.address, P.L2_CHAIN_ID, GENESIS_HASH, GENESIS_STATE_ROOT,
                             verifiers, threshold)
        assert self.rollup.address == rollup_address

    # -- proofs ------------------------------------------------------------------------------------------------

    def proofs(self, inputs: P.PublicInputs, systems=(SYSTEM_ATTESTATION, SYSTEM_EXTERNAL), execute_output=None):
        h = inputs.hash()
        proofs = []
        for system in systems:
            if system == SYSTEM_ATTESTATION:
                proofs.append((system, P.attestation_proof(P.PROVERS[:2], h, self.rollup.address)))
            elif system == SYSTEM_EXTERNAL:
                proofs.append((system, P.attestation_proof([STAND_IN_PROVER], h, self.rollup.address)))
            elif system == SYSTEM_EXECUTE:
                proofs.append((system, execute_output if execute_output is not None else echo_output(inputs)))
            else:
                proofs.append((system, b"\x00" * 65))
        return proofs

    # -- handoffs and based blocks ---------------------------------------------------------------------------

    def handoff(self, slot_end_number=10, slot_end_hash=None, slot_end_state=None, target=None, parent_hash=None,
                l2_chain_id=P.L2_CHAIN_ID):
        target = boa.env.evm.patch.block_number if target is None else target
        return P.Handoff(
            l2ChainId=l2_chain_id,
            l2BlockNumber=slot_end_number,
            l2BlockHash=slot_end_hash or b32(f"slot-end {slot_end_number}"),
            l2StateRoot=slot_end_state or b32(f"slot-end state {slot_end_number}"),
            l1TargetBlockNumber=target,
            l1ParentHash=l1_hash(target - 1) if parent_hash is None else parent_hash,
        )

    def sign_handoff(self, handoff: P.Handoff, signer=P.SEQUENCER) -> bytes:
        return P.sign(signer, handoff.signable(self.rollup.address))

    def based_inputs(self, handoff, parent, block_hash, post_state_root, deposit_ids, withdrawal_ids, block_data,
                     submitter):
        """parent = (number, hash, stateRoot) of the block the based block builds on."""
        return P.PublicInputs(
            tag=P.BASED_TAG, l2ChainId=P.L2_CHAIN_ID,
            parentBlockNumber=parent[0], parentBlockHash=parent[1], parentStateRoot=parent[2],
            blockNumber=parent[0] + 1, blockHash=block_hash, postStateRoot=post_state_root,
            inboxHash=P.inbox_hash(deposit_ids), outboxRoot=P.outbox_root(withdrawal_ids),
            l1BlockNumber=boa.env.evm.patch.block_number, l1ParentHash=handoff.l1ParentHash,
            submitter=submitter, blockDataHash=keccak(block_data),
        )

    def submit_based(self, handoff, *, parent=None, label="based", deposit_ids=(), withdrawal_ids=(),
                     block_data=None, sender=P.BUILDER.address, signature=None, systems=None, proofs=None,
                     inputs_override=None):
        """Submits a based block; `parent` defaults to the handoff's slot-end block. Returns the public inputs."""
        parent = parent or (handoff.l2BlockNumber, handoff.l2BlockHash, handoff.l2StateRoot)
        block_data = block_data if block_data is not None else rlp.encode([label.encode()])
        block_hash, post_state_root = b32(label), b32(label + " state")
        inputs = self.based_inputs(handoff, parent, block_hash, post_state_root, list(deposit_ids),
                                   list(withdrawal_ids), block_data, sender)
        proof_inputs = inputs_override or inputs
        if proofs is None:
            proofs = self.proofs(proof_inputs, **({"systems": systems} if systems else {}))
        with boa.env.prank(sender):
            self.rollup.submitBased(
                handoff.as_tuple(), signature if signature is not None else self.sign_handoff(handoff),
                block_hash, post_state_root, list(deposit_ids), list(withdrawal_ids), block_data, proofs)
        self.last = self.rollup._computation
        return inputs

    # -- settlement ------------------------------------------------------------------------------------------

    def settle_inputs(self, block_number, block_hash, post_state_root, l1_block_number, deposit_ids, outbox_root,
                      block_data, submitter):
        settled = self.rollup.settledHead()
        return P.PublicInputs(
            tag=P.SETTLEMENT_TAG, l2ChainId=P.L2_CHAIN_ID,
            parentBlockNumber=settled[0], parentBlockHash=settled[1], parentStateRoot=settled[2],
            blockNumber=block_number, blockHash=block_hash, postStateRoot=post_state_root,
            inboxHash=P.inbox_hash(deposit_ids), outboxRoot=outbox_root,
            l1BlockNumber=l1_block_number, l1ParentHash=l1_hash(l1_block_number - 1),
            submitter=submitter, blockDataHash=keccak(block_data),
        )

    def settle(self, block_number, *, block_hash=None, post_state_root=None, l1_block_number=None, deposit_ids=(),
               withdrawal_ids=(), block_data=None, sender=P.SEQUENCER.address, systems=None, proofs=None):
        block_hash = block_hash or b32(f"sequenced {block_number}")
        post_state_root = post_state_root or b32(f"sequenced state {block_number}")
        l1_block_number = l1_block_number or boa.env.evm.patch.block_number
        block_data = block_data if block_data is not None else rlp.encode([f"range to {block_number}".encode()])
        outbox_root = P.outbox_root(list(withdrawal_ids))
        inputs = self.settle_inputs(block_number, block_hash, post_state_root, l1_block_number, list(deposit_ids),
                                    outbox_root, block_data, sender)
        if proofs is None:
            proofs = self.proofs(inputs, **({"systems": systems} if systems else {}))
        with boa.env.prank(sender):
            self.rollup.settle(block_number, block_hash, post_state_root, l1_block_number, list(deposit_ids),
                               outbox_root, block_data, proofs)
        self.last = self.rollup._computation
        return inputs

    def deposit(self, to="0x" + "42" * 20, data=b"hello", value=0, sender=USER.address):
        with boa.env.prank(sender):
            boa.env.set_balance(sender, boa.env.get_balance(sender) + value)
            deposit_id = self.rollup.sendToL2(to, data, value=value)
        return deposit_id


@pytest.fixture(scope="module")
def world():
    return World()


@pytest.fixture(autouse=True)
def isolated():
    """Every test starts from the module's deployments: state and block patches are rolled back after it."""
    with boa.env.anchor():
        yield


# ---------------------------------------------------------------------------------------------------------------
# EXECUTE precompile stand-ins

def echo_output(inputs: P.PublicInputs, **changes) -> bytes:
    """The 11-word EXECUTE output (§8.3) that matches `inputs`; `changes` overrides fields."""
    based = inputs.tag == P.BASED_TAG
    fields = {
        "parentBlockNumber": inputs.parentBlockNumber, "parentBlockHash": inputs.parentBlockHash,
        "blockNumber": inputs.blockNumber, "blockHash": inputs.blockHash, "postStateRoot": inputs.postStateRoot,
        "inboxHash": inputs.inboxHash, "outboxRoot": inputs.outboxRoot,
        "l1AnchorNumber": inputs.l1BlockNumber - 1, "l1AnchorHash": inputs.l1ParentHash,
        "blockCount": inputs.blockNumber - inputs.parentBlockNumber, "kinds": 4 if based else 3,
    }
    fields.update(changes)
    return abi_encode(["uint256", "bytes32", "uint256", "bytes32", "bytes32", "bytes32", "bytes32", "uint256",
                       "bytes32", "uint256", "uint256"], list(fields.values()))


class ExecuteEchoStub:
    """A stand-in for EXECUTE that returns its `witness` argument: it checks only the input's ABI shape."""

    def __init__(self):
        self.calls = []

    def __call__(self, computation):
        data = computation.msg.data_as_bytes
        l2_chain_id, parent_state_root, block_data, witness = abi_decode(["uint256", "bytes32", "bytes", "bytes"], data)
        self.calls.append((l2_chain_id, parent_state_root, block_data, witness))
        computation.consume_gas(50_000 + 4 * len(data), reason="EXECUTE echo stub")
        if witness == b"fail":
            raise VMError("EXECUTE echo stub: told to fail")
        computation.output = witness
        return computation


@pytest.fixture
def execute_echo_stub():
    stub = ExecuteEchoStub()
    register_raw_precompile(P.EXECUTE_PRECOMPILE, stub, force=True)
    yield stub
    deregister_raw_precompile(P.EXECUTE_PRECOMPILE)


def lockstep_binary():
    path = os.environ.get("LOCKSTEP_BIN") or str(REPO / ".build" / "release" / "lockstep")
    if not os.path.exists(path):
        return None
    probe = subprocess.run([path, "protocol", "execute", "--help"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    return path if probe.returncode == 0 else None


@pytest.fixture
def execute_via_lockstep():
    """EXECUTE as `$LOCKSTEP_BIN protocol execute`: ABI input as hex on stdin, output hex on stdout."""
    binary = lockstep_binary()
    if binary is None:
        pytest.skip("lockstep protocol execute not available")

    def precompile(computation):
        data = computation.msg.data_as_bytes
        result = subprocess.run([binary, "protocol", "execute", "--gas", str(computation.get_gas_remaining())],
                                input=data.hex(), capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise VMError(f"EXECUTE failed: {result.stderr.strip()}{result.stdout.strip()}")
        # stdout: the output as hex; stderr: "gas N", the gas it charged.
        output, gas = None, None
        for token in result.stdout.split():
            if token.startswith("0x") and len(token) == 2 + 2 * 352:
                output = bytes.fromhex(token[2:])
        for line in result.stderr.splitlines():
            if line.startswith("gas ") and line[4:].strip().isdigit():
                gas = int(line[4:])
        if gas is None:
            raise VMError(f"EXECUTE printed no gas: {result.stderr!r}")
        if output is None:
            raise VMError(f"EXECUTE printed no output: {result.stdout!r}")
        computation.consume_gas(gas, reason="EXECUTE")
        computation.output = output
        return computation

    register_raw_precompile(P.EXECUTE_PRECOMPILE, precompile, force=True)
    yield precompile
    deregister_raw_precompile(P.EXECUTE_PRECOMPILE)


# ---------------------------------------------------------------------------------------------------------------
# Encodings (§3.3, §5, §6) against the independent implementation

def test_domain_separator_and_digests_match_eip712(world):
    rollup = world.rollup.address
    assert world.rollup.domainSeparator() == P.domain_separator(rollup)
    handoff = world.handoff()
    assert world.rollup.handoffDigest(handoff.as_tuple()) == P.digest(handoff.signable(rollup))
    h = b32("some public inputs")
    assert world.attestation.attestationDigest(h) == P.digest(P.attestation_signable(h, rollup))
    assert world.attestation.rollup() == rollup


def test_public_inputs_hash_inbox_hash_and_outbox_root_match_the_spec(world):
    inputs = world.based_inputs(world.handoff(), (10, b32("p"), b32("ps")), b32("b"), b32("s"), [b32("d")], [],
                                b"data", P.BUILDER.address)
    assert world.rollup.publicInputsHash(inputs.as_tuple()) == inputs.hash()
    ids = [b32(f"id {i}") for i in range(6)]
    assert world.rollup.inboxHash([]) == P.ZERO32
    assert world.rollup.inboxHash(ids) == P.inbox_hash(ids)
    for count in range(0, 65, 1):
        leaves = [b32(f"leaf {i}") for i in range(count)]
        assert world.rollup.outboxRoot(leaves) == P.outbox_root(leaves), count
    assert P.outbox_root([ids[0]]) == ids[0]
    assert P.outbox_root(ids[:3]) == keccak(keccak(ids[0] + ids[1]) + keccak(ids[2] + P.ZERO32))


def test_send_to_l2_queues_deposits_with_ids_from_the_origins_own_counter(world):
    to, data = "0x" + "42" * 20, b"\x01\x02"
    first = world.deposit(to, data, value=5)
    event = events(world.rollup, "DepositQueued")[0]
    assert first == P.deposit_id(USER.address, 0, USER.address, to, 5, data)
    assert event == {"depositId": first, "origin": USER.address, "originNonce": 0, "sender": USER.address,
                     "to": to, "value": 5, "data": data}
    world.deposit(to, data, sender=OTHER_USER.address)  # another origin does not move USER's counter
    second = world.deposit(to, data, value=5)
    assert second == P.deposit_id(USER.address, 1, USER.address, to, 5, data)
    assert world.rollup.depositNonce(USER.address) == 2
    assert world.rollup.deposits(first) == DEPOSIT_PENDING
    assert world.rollup.deposits(b32("never sent")) == 0
    assert world.rollup.depositId(USER.address, 1, USER.address, to, 5, data) == second
    assert boa.env.get_balance(world.rollup.address) == 10


def test_deposit_through_a_contract_keeps_tx_origin_as_origin(world):
    relay = boa.loads(f"""
interface IRollup:
    def sendToL2(to: address, data: Bytes[4096]) -> bytes32: payable
@external
def go() -> bytes32:
    return extcall IRollup({world.rollup.address}).sendToL2(msg.sender, b"via")
""")
    with boa.env.prank(USER.address):
        deposit_id = relay.go()
    assert deposit_id == P.deposit_id(USER.address, 0, relay.address, USER.address, 0, b"via")


# ---------------------------------------------------------------------------------------------------------------
# submitBased (§7.2, §7.3)

def test_submit_based_accepts_a_proven_block_and_records_it(world):
    deposit_id = world.deposit(value=3)
    withdrawal_ids = [b32("w0"), b32("w1"), b32("w2")]
    handoff = world.handoff()
    inputs = world.submit_based(handoff, deposit_ids=[deposit_id], withdrawal_ids=withdrawal_ids)

    event = events(world.rollup, "BasedBlock", world.last)[0]
    assert event["blockHash"] == inputs.blockHash and event["blockNumber"] == 11
    assert event["parentHash"] == handoff.l2BlockHash and event["slotEndHash"] == handoff.l2BlockHash
    assert event["postStateRoot"] == inputs.postStateRoot and event["submitter"] == P.BUILDER.address
    assert event["blockData"] == rlp.encode([b"based"])
    assert world.rollup.deposits(deposit_id) == DEPOSIT_CONSUMED
    assert all(world.rollup.withdrawals(w) == WITHDRAWAL_VERIFIED for w in withdrawal_ids)
    assert world.rollup.basedTip() == (L1_BLOCK, handoff.l2BlockHash, 11, inputs.blockHash, inputs.postStateRoot)
    assert world.rollup.head() == (11, inputs.blockHash, inputs.postStateRoot)
    assert world.rollup.basedSuccessor(handoff.l2BlockHash) == (11, inputs.blockHash, inputs.postStateRoot)
    assert world.rollup.handoffStateRoot(handoff.l2BlockHash) == handoff.l2StateRoot
    assert world.rollup.settledHead() == (0, GENESIS_HASH, GENESIS_STATE_ROOT)


def test_handoff_signed_by_another_key_is_refused(world):
    handoff = world.handoff()
    with boa.reverts("handoff: wrong signer"):
        world.submit_based(handoff, signature=world.sign_handoff(handoff, signer=P.BUILDER))


def test_handoff_signature_for_other_fields_is_refused(world):
    handoff = world.handoff()
    signature = world.sign_handoff(handoff)
    handoff.l2StateRoot = b32("another state")
    with boa.reverts("handoff: wrong signer"):
        world.submit_based(handoff, signature=signature)


def test_handoff_signature_with_high_s_or_bad_v_or_bad_length_is_refused(world):
    handoff = world.handoff()
    signature = world.sign_handoff(handoff)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = r + (n - s).to_bytes(32, "big") + bytes([55 - v])  # the same key recovers from (r, n − s, flipped v)
    with boa.reverts("handoff: wrong signer"):
        world.submit_based(handoff, signature=high_s)
    with boa.reverts("handoff: wrong signer"):
        world.submit_based(handoff, signature=signature[:64] + bytes([v - 27]))
    with boa.reverts("handoff: signature is not 65 bytes"):
        world.submit_based(handoff, signature=signature[:64])


def test_handoff_for_another_l1_block_is_refused(world):
    handoff = world.handoff(target=L1_BLOCK + 1, parent_hash=l1_hash(L1_BLOCK - 1))
    with boa.reverts("handoff: wrong L1 block"):
        world.submit_based(handoff)
    goto_l1_block(L1_BLOCK + 2)  # a block too late
    with boa.reverts("handoff: wrong L1 block"):
        world.submit_based(handoff)


def test_handoff_with_another_l1_parent_is_refused(world):
    handoff = world.handoff(parent_hash=b32("a reorged-out parent"))
    with boa.reverts("handoff: wrong L1 parent"):
        world.submit_based(handoff)


def test_handoff_for_another_l2_chain_is_refused(world):
    with boa.reverts("handoff: wrong L2 chain"):
        world.submit_based(world.handoff(l2_chain_id=P.L2_CHAIN_ID + 1))


def test_handoff_behind_the_settled_head_is_refused(world):
    world.settle(20)
    with boa.reverts("handoff: behind the settled head"):
        world.submit_based(world.handoff(slot_end_number=19))


def test_deposit_consumed_twice_is_refused(world):
    deposit_id = world.deposit()
    world.submit_based(world.handoff(), deposit_ids=[deposit_id])
    goto_l1_block(L1_BLOCK + 1)
    with boa.reverts("deposit: already consumed"):
        world.submit_based(world.handoff(slot_end_number=12), deposit_ids=[deposit_id])
    with boa.reverts("deposit: already consumed"):
        world.settle(12, deposit_ids=[deposit_id])


def test_deposit_named_twice_in_one_submission_is_refused(world):
    deposit_id = world.deposit()
    with boa.reverts("deposit: already consumed"):
        world.submit_based(world.handoff(), deposit_ids=[deposit_id, deposit_id])


def test_deposit_never_sent_is_refused(world):
    with boa.reverts("deposit: never sent"):
        world.submit_based(world.handoff(), deposit_ids=[b32("made up")])
    with boa.reverts("deposit: never sent"):
        world.settle(5, deposit_ids=[b32("made up")])


def test_one_proof_short_of_the_threshold_is_refused(world):
    with boa.reverts("proofs: below threshold"):
        world.submit_based(world.handoff(), systems=(SYSTEM_ATTESTATION,))
    with boa.reverts("proofs: below threshold"):
        world.settle(5, systems=(SYSTEM_EXTERNAL,))


def test_lying_attestation_over_other_public_inputs_is_refused(world):
    handoff = world.handoff()
    honest = world.based_inputs(handoff, (10, handoff.l2BlockHash, handoff.l2StateRoot), b32("based"),
                                b32("based state"), [], [], rlp.encode([b"based"]), P.BUILDER.address)
    lie = P.PublicInputs(**{**honest.__dict__, "postStateRoot": b32("a state the block does not reach")})
    proofs = [world.proofs(honest, systems=(SYSTEM_ATTESTATION,))[0],
              world.proofs(lie, systems=(SYSTEM_EXTERNAL,))[0]]
    with boa.reverts("proofs: below threshold"):
        world.submit_based(handoff, proofs=proofs)


def test_attestation_rules_signers_order_threshold_and_format(world):
    inputs = world.based_inputs(world.handoff(), (10, b32("p"), b32("ps")), b32("b"), b32("s"), [], [], b"d",
                                P.BUILDER.address)
    h, rollup = inputs.hash(), world.rollup.address
    verify = lambda proof: world.attestation.verify(inputs.as_tuple(), h, b"d", proof)  # noqa: E731
    ordered = sorted(P.PROVERS, key=lambda a: int(a.address, 16))
    sigs = [P.sign(a, P.attestation_signable(h, rollup)) for a in ordered]
    assert verify(sigs[0] + sigs[1]) and verify(sigs[1] + sigs[2]) and verify(b"".join(sigs))
    assert not verify(sigs[0])  # one of the two required
    assert not verify(sigs[1] + sigs[0])  # decreasing order
    assert not verify(sigs[0] + sigs[0])  # the same signer twice
    assert not verify(sigs[0] + P.sign(P.BUILDER, P.attestation_signable(h, rollup)))  # not a prover
    assert not verify(sigs[0] + sigs[1][:64])  # not a multiple of 65 bytes
    assert not verify(b"")
    other_domain = P.sign(ordered[1], P.attestation_signable(h, world.execute.address))
    assert not verify(sigs[0] + other_domain)
    assert world.attestation.threshold() == 2 and world.attestation.isSigner(P.PROVERS[2].address)


def test_the_external_verifier_stand_in_accepts_only_its_test_provers_signature(world):
    """ExternalVerifier (§8.4) is a signature check standing in for a zk verifier, and says so."""
    prover = P.Account.from_key(keccak(b"external stand-in test prover"))
    rollup = world.rollup.address
    verifier = deploy("ExternalVerifier", rollup, prover.address)
    inputs = world.based_inputs(world.handoff(), (10, b32("p"), b32("ps")), b32("b"), b32("s"), [], [], b"d",
                                P.BUILDER.address)
    h = inputs.hash()
    signable = P.external_proof_signable(h, rollup)
    assert verifier.proofDigest(h) == P.digest(signable)
    good = P.sign(prover, signable)
    verify = lambda proof, hash_=h: verifier.verify(inputs.as_tuple(), hash_, b"d", proof)  # noqa: E731
    assert verify(good)
    assert not verify(P.sign(P.PROVERS[0], signable))  # another key
    assert not verify(P.sign(prover, P.attestation_signable(h, rollup)))  # an attestation is not an external proof
    assert not verify(P.sign(prover, P.external_proof_signable(h, world.attestation.address)))  # another domain
    assert not verify(good, b32("other inputs"))
    assert not verify(good + good) and not verify(good[:64]) and not verify(b"")
    assert verifier.isTestStandIn() and verifier.prover() == prover.address


def test_repeated_proof_system_is_refused(world):
    with boa.reverts("proofs: repeated system"):
        world.submit_based(world.handoff(), systems=(SYSTEM_ATTESTATION, SYSTEM_ATTESTATION))


def test_proof_for_an_unconfigured_or_unknown_system_is_refused():
    harness = World(external_stand_in=False)  # the harness policy: attestation and execute, external slot empty
    assert harness.rollup.verifiers(2) == "0x" + "00" * 20
    with boa.reverts("proofs: system not configured"):
        harness.submit_based(harness.handoff(), systems=(SYSTEM_ATTESTATION, SYSTEM_EXTERNAL))
    with boa.reverts("proofs: unknown system"):
        harness.submit_based(harness.handoff(), systems=(SYSTEM_ATTESTATION, 3))


def test_constructor_refuses_a_threshold_outside_the_configured_slots():
    for threshold in (0, 2):
        with pytest.raises(Revert) as refused:
            deploy("Rollup", P.SEQUENCER.address, P.L2_CHAIN_ID, GENESIS_HASH, GENESIS_STATE_ROOT,
                   ["0x" + "11" * 20, "0x" + "00" * 20, "0x" + "00" * 20], threshold)
        assert revert_reason(refused.value) == "rollup: threshold out of range"


def revert_reason(error: Revert) -> str:
    output = error.args[0]
    assert output[:4] == keccak(b"Error(string)")[:4]
    return abi_decode(["string"], output[4:])[0]


VERIFIER_PROBE = """
struct PublicInputs:
    tag: bytes32
    l2ChainId: uint256
    parentBlockNumber: uint256
    parentBlockHash: bytes32
    parentStateRoot: bytes32
    blockNumber: uint256
    blockHash: bytes32
    postStateRoot: bytes32
    inboxHash: bytes32
    outboxRoot: bytes32
    l1BlockNumber: uint256
    l1ParentHash: bytes32
    submitter: address
    blockDataHash: bytes32
expected: public(bytes32)
@external
def expect(proof_hash: bytes32):
    self.expected = proof_hash
@view
@external
def verify(inputs: PublicInputs, publicInputsHash: bytes32, blockData: Bytes[65536], proof: Bytes[65536]) -> bool:
    return (keccak256(abi_encode(inputs)) == publicInputsHash and keccak256(blockData) == inputs.blockDataHash
            and keccak256(proof) == self.expected)
"""


def test_verifier_calls_carry_block_data_and_proofs_of_every_size():
    """The Rollup builds a verifier call through a narrower Bytes type when blockData and the proof fit a call tier
    (Rollup.vy, 4/16/32 KiB): on each side of every tier edge the verifier gets both byte for byte."""
    boa.env.evm.patch.chain_id = P.L1_CHAIN_ID
    goto_l1_block(L1_BLOCK)
    deployer = boa.env.eoa
    nonce = boa.env.evm.vm.state.get_nonce(bytes.fromhex(str(deployer)[2:]))
    rollup_address = create_address(str(deployer), nonce + 2)
    w = World.__new__(World)
    provers = sorted((a.address for a in P.PROVERS), key=lambda a: int(a, 16))
    w.attestation = deploy("AttestationVerifier", rollup_address, provers, 2)
    probe = boa.loads(VERIFIER_PROBE)
    w.rollup = deploy("Rollup", P.SEQUENCER.address, P.L2_CHAIN_ID, GENESIS_HASH, GENESIS_STATE_ROOT,
                      [w.attestation.address, "0x" + "00" * 20, probe.address], 2)
    assert w.rollup.address == rollup_address
    sizes = [(0, 0), (4096, 4096), (4097, 1), (1, 4097), (16384, 16384), (16385, 100), (100, 16385),
             (32768, 32768), (32769, 1), (1, 32769), (65536, 65536)]
    for n, (data_size, proof_size) in enumerate(sizes):
        goto_l1_block(L1_BLOCK + n)
        handoff = w.handoff(slot_end_number=10 * (n + 1))
        block_data = bytes((i * 7 + n) % 251 for i in range(data_size))
        proof = bytes((i * 13 + n) % 251 for i in range(proof_size))
        label = f"tier {n}"
        inputs = w.based_inputs(handoff, (handoff.l2BlockNumber, handoff.l2BlockHash, handoff.l2StateRoot),
                                b32(label), b32(label + " state"), [], [], block_data, P.BUILDER.address)
        proofs = w.proofs(inputs, systems=(SYSTEM_ATTESTATION,)) + [(SYSTEM_EXTERNAL, proof)]
        probe.expect(keccak(proof + b"\x00"))  # not what is sent: the probe answers false
        with boa.reverts("proofs: below threshold"):
            w.submit_based(handoff, label=label, block_data=block_data, proofs=proofs)
        probe.expect(keccak(proof))
        w.submit_based(handoff, label=label, block_data=block_data, proofs=proofs)
        assert w.rollup.head()[1] == b32(label), (data_size, proof_size)


def test_two_based_blocks_chain_on_one_handoff_in_one_l1_block(world):
    handoff = world.handoff()
    first = world.submit_based(handoff, label="first")
    second = world.submit_based(handoff, label="second", parent=(11, first.blockHash, first.postStateRoot))
    assert second.blockNumber == 12 and second.parentBlockHash == first.blockHash
    assert world.rollup.basedSuccessor(handoff.l2BlockHash) == (12, second.blockHash, second.postStateRoot)
    assert world.rollup.head() == (12, second.blockHash, second.postStateRoot)


def test_a_second_builders_block_on_the_slot_end_block_is_refused(world):
    handoff = world.handoff()
    world.submit_based(handoff, label="first builder")
    # Proven on the slot-end block, but the contract's parent is now the first builder's block.
    with boa.reverts("proofs: below threshold"):
        world.submit_based(handoff, label="second builder")


def test_based_block_on_another_handoff_in_the_same_l1_block_is_refused(world):
    world.submit_based(world.handoff(slot_end_number=10))
    with boa.reverts("based: another handoff was used in this L1 block"):
        world.submit_based(world.handoff(slot_end_number=11, slot_end_hash=b32("another slot-end")))


def test_slot_end_block_extended_in_an_earlier_l1_block_is_refused(world):
    world.submit_based(world.handoff(target=L1_BLOCK))
    goto_l1_block(L1_BLOCK + 1)
    with boa.reverts("based: slot-end block already extended"):
        world.submit_based(world.handoff(target=L1_BLOCK + 1))


def test_proofs_bind_the_submitter(world):
    handoff = world.handoff()
    inputs = world.based_inputs(handoff, (10, handoff.l2BlockHash, handoff.l2StateRoot), b32("based"),
                                b32("based state"), [], [], rlp.encode([b"based"]), P.BUILDER.address)
    copied = world.proofs(inputs)
    with boa.reverts("proofs: below threshold"):
        world.submit_based(handoff, sender=USER.address, proofs=copied)
    world.submit_based(handoff, sender=P.BUILDER.address, proofs=copied)


# ---------------------------------------------------------------------------------------------------------------
# settle (§7.4)

def test_settlement_advances_the_settled_head_and_stores_the_outbox(world):
    deposit_id = world.deposit()
    leaves = [b32("s0"), b32("s1")]
    goto_l1_block(L1_BLOCK + 5)
    inputs = world.settle(7, deposit_ids=[deposit_id], withdrawal_ids=leaves, l1_block_number=L1_BLOCK + 3)
    assert inputs.l1ParentHash == l1_hash(L1_BLOCK + 2)
    assert world.rollup.settledHead() == (7, inputs.blockHash, inputs.postStateRoot)
    assert world.rollup.head() == (7, inputs.blockHash, inputs.postStateRoot)
    assert world.rollup.outboxRoots(inputs.blockHash) == P.outbox_root(leaves)
    assert world.rollup.deposits(deposit_id) == DEPOSIT_CONSUMED
    event = events(world.rollup, "Settled", world.last)[0]
    assert event == {"blockHash": inputs.blockHash, "blockNumber": 7, "parentHash": GENESIS_HASH,
                     "postStateRoot": inputs.postStateRoot, "outboxRoot": P.outbox_root(leaves),
                     "blockData": rlp.encode([b"range to 7"])}

    second = world.settle(9)
    assert second.parentBlockHash == inputs.blockHash and second.parentStateRoot == inputs.postStateRoot
    assert world.rollup.settledHead()[0] == 9


def test_settlement_of_a_slot_end_block_jumps_to_its_based_tip(world):
    handoff = world.handoff(slot_end_number=10)
    first = world.submit_based(handoff, label="first")
    second = world.submit_based(handoff, label="second", parent=(11, first.blockHash, first.postStateRoot))
    goto_l1_block(L1_BLOCK + 1)
    world.settle(10, block_hash=handoff.l2BlockHash, post_state_root=handoff.l2StateRoot)
    assert world.rollup.settledHead() == (12, second.blockHash, second.postStateRoot)
    assert world.rollup.head() == (12, second.blockHash, second.postStateRoot)
    # The next range starts from the based tip.
    after = world.settle(15)
    assert after.parentBlockNumber == 12 and after.parentBlockHash == second.blockHash


def test_settlement_that_proves_a_false_handoff_state_root_is_refused(world):
    handoff = world.handoff(slot_end_number=10)
    world.submit_based(handoff)
    goto_l1_block(L1_BLOCK + 1)
    with boa.reverts("settle: false handoff state root"):
        world.settle(10, block_hash=handoff.l2BlockHash, post_state_root=b32("the real slot-end state"))


def test_settlement_behind_the_head_keeps_the_head(world):
    handoff = world.handoff(slot_end_number=10)
    based = world.submit_based(handoff)
    goto_l1_block(L1_BLOCK + 1)
    world.settle(4)
    assert world.rollup.settledHead()[0] == 4
    assert world.rollup.head() == (11, based.blockHash, based.postStateRoot)


def test_settlement_bounds(world):
    world.settle(5)
    with boa.reverts("settle: not beyond the settled head"):
        world.settle(5)
    with boa.reverts("settle: L1 block in the future"):
        world.settle(6, l1_block_number=L1_BLOCK + 1)
    goto_l1_block(L1_BLOCK + 300)
    with boa.reverts("settle: L1 block too old"):
        world.settle(6, l1_block_number=L1_BLOCK + 300 - 256)
    world.settle(6, l1_block_number=L1_BLOCK + 300 - 255)  # the oldest parent BLOCKHASH still sees


def test_settlement_needs_the_settlement_tag(world):
    """A based proof cannot be replayed as a settlement: the tag is part of the public inputs."""
    inputs = world.settle_inputs(5, b32("sequenced 5"), b32("sequenced state 5"), L1_BLOCK, [], P.ZERO32,
                                 rlp.encode([b"range to 5"]), P.SEQUENCER.address)
    as_based = P.PublicInputs(**{**inputs.__dict__, "tag": P.BASED_TAG})
    with boa.reverts("proofs: below threshold"):
        world.settle(5, proofs=world.proofs(as_based))


# ---------------------------------------------------------------------------------------------------------------
# Withdrawals (§5.4, §5.5)

PROBE = """
interface IRollup:
    def l2Sender() -> address: view
rollup: immutable(address)
seen: public(address)
received: public(uint256)
@deploy
def __init__(rollup_: address):
    rollup = rollup_
@payable
@external
def poke(fail: bool):
    assert not fail, "probe: told to fail"
    self.seen = staticcall IRollup(rollup).l2Sender()
    self.received += msg.value
"""


def withdrawal(world, to, data, value, nonce=0, origin=USER.address, sender="0x" + "77" * 20):
    key = P.origin_key_of(origin)
    return {"originKey": key, "originNonce": nonce, "sender": sender, "to": to, "amount": value, "data": data,
            "id": P.withdrawal_id(key, nonce, sender, to, value, data)}


def execute(world, w, caller=OTHER_USER.address):
    """Executes withdrawal `w` from `caller`; returns the call's computation (for its logs and gas)."""
    with boa.env.prank(caller):
        world.rollup.executeFromL2(w["originKey"], w["originNonce"], w["sender"], w["to"], w["amount"], w["data"])
    return world.rollup._computation


def test_based_withdrawal_executes_in_the_same_l1_block_with_l2_sender(world):
    probe = boa.loads(PROBE, world.rollup.address)
    world.deposit(value=10**18)  # the deposited ETH the withdrawal is paid from
    data = bytes.fromhex(keccak(b"poke(bool)")[:4].hex()) + abi_encode(["bool"], [False])
    w = withdrawal(world, probe.address, data, 123)
    assert world.rollup.withdrawalId(w["originKey"], 0, w["sender"], w["to"], 123, data) == w["id"]
    world.submit_based(world.handoff(), withdrawal_ids=[b32("other"), w["id"]])
    executed = execute(world, w)
    assert probe.seen() == w["sender"] and probe.received() == 123
    assert world.rollup.withdrawals(w["id"]) == WITHDRAWAL_EXECUTED
    assert world.rollup.l2Sender() == "0x" + "00" * 20
    event = events(world.rollup, "WithdrawalExecuted", executed)[0]
    assert event == {"withdrawalId": w["id"], "originKey": w["originKey"], "originNonce": 0, "sender": w["sender"],
                     "to": probe.address, "value": 123}


def test_settled_withdrawal_is_proven_then_executed(world):
    world.deposit(value=10**18)
    recipient = "0x" + "55" * 20
    ws = [withdrawal(world, recipient, b"", 1000 + i, nonce=i) for i in range(5)]
    leaves = [w["id"] for w in ws]
    inputs = world.settle(8, withdrawal_ids=leaves)
    for index in (0, 3, 4):
        proof = P.outbox_proof(leaves, index)
        assert P.verify_outbox_proof(P.outbox_root(leaves), leaves[index], index, proof)
        world.rollup.proveWithdrawal(inputs.blockHash, leaves[index], index, proof)
        assert events(world.rollup, "WithdrawalProven", world.rollup._computation)[0] == {
            "withdrawalId": leaves[index], "l2BlockHash": inputs.blockHash, "index": index}
        execute(world, ws[index])
    assert boa.env.get_balance(recipient) == 1000 + 1003 + 1004
    with boa.reverts("withdrawal: not verified"):
        execute(world, ws[1])


def test_replayed_withdrawal_is_refused(world):
    world.deposit(value=10**18)
    w = withdrawal(world, "0x" + "55" * 20, b"", 7)
    world.submit_based(world.handoff(), withdrawal_ids=[w["id"]])
    execute(world, w)
    with boa.reverts("withdrawal: already executed"):
        execute(world, w)
    # Proving an executed withdrawal again does not make it executable again.
    goto_l1_block(L1_BLOCK + 1)
    inputs = world.settle(10, block_hash=b32("slot-end 10"), post_state_root=b32("slot-end state 10"),
                          withdrawal_ids=[w["id"]])
    assert inputs.blockHash == b32("slot-end 10")
    with boa.reverts("withdrawal: already executed"):
        world.rollup.proveWithdrawal(b32("slot-end 10"), w["id"], 0, [])


def test_unproven_withdrawal_is_refused(world):
    world.deposit(value=10**18)
    with boa.reverts("withdrawal: not verified"):
        execute(world, withdrawal(world, "0x" + "55" * 20, b"", 7))


def test_bad_outbox_proofs_are_refused(world):
    leaves = [b32(f"w{i}") for i in range(3)]
    inputs = world.settle(8, withdrawal_ids=leaves)
    proof = P.outbox_proof(leaves, 1)
    with boa.reverts("outbox: bad proof"):
        world.rollup.proveWithdrawal(inputs.blockHash, leaves[1], 0, proof)  # wrong index
    with boa.reverts("outbox: bad proof"):
        world.rollup.proveWithdrawal(inputs.blockHash, b32("not a leaf"), 1, proof)
    with boa.reverts("outbox: bad proof"):
        world.rollup.proveWithdrawal(inputs.blockHash, leaves[1], 1, proof[:1])
    with boa.reverts("outbox: index beyond the proof's depth"):
        world.rollup.proveWithdrawal(inputs.blockHash, leaves[1], 5, proof)
    with boa.reverts("outbox: no settled outbox for that block"):
        world.rollup.proveWithdrawal(b32("unknown block"), leaves[1], 1, proof)
    world.rollup.proveWithdrawal(inputs.blockHash, leaves[1], 1, proof)
    assert world.rollup.withdrawals(leaves[1]) == WITHDRAWAL_VERIFIED


def test_failing_withdrawal_call_reverts_and_stays_executable(world):
    probe = boa.loads(PROBE, world.rollup.address)
    world.deposit(value=10**18)
    selector = keccak(b"poke(bool)")[:4]
    w = withdrawal(world, probe.address, selector + abi_encode(["bool"], [True]), 0)
    world.submit_based(world.handoff(), withdrawal_ids=[w["id"]])
    with boa.reverts("withdrawal: call failed"):
        execute(world, w)
    assert world.rollup.withdrawals(w["id"]) == WITHDRAWAL_VERIFIED


# ---------------------------------------------------------------------------------------------------------------
# ExecuteVerifier (§8.3)

def execute_inputs(world, tag=P.BASED_TAG, parent_number=10, block_number=11):
    return P.PublicInputs(
        tag=tag, l2ChainId=P.L2_CHAIN_ID, parentBlockNumber=parent_number, parentBlockHash=b32("parent"),
        parentStateRoot=b32("parent state"), blockNumber=block_number, blockHash=b32("block"),
        postStateRoot=b32("post state"), inboxHash=b32("inbox"), outboxRoot=b32("outbox"),
        l1BlockNumber=L1_BLOCK, l1ParentHash=l1_hash(L1_BLOCK - 1), submitter=P.BUILDER.address,
        blockDataHash=keccak(b"block data"))


def test_execute_verifier_compares_the_precompile_output_with_the_inputs(world, execute_echo_stub):
    inputs = execute_inputs(world)

    def verify(output, inputs=inputs, block_data=b"block data", h=None):
        return world.execute.verify(inputs.as_tuple(), h or inputs.hash(), block_data, output)

    assert verify(echo_output(inputs))
    chain_id, parent_state_root, block_data, witness = execute_echo_stub.calls[-1]
    assert (chain_id, parent_state_root, block_data) == (P.L2_CHAIN_ID, inputs.parentStateRoot, b"block data")
    for field, value in [("parentBlockNumber", 9), ("parentBlockHash", b32("x")), ("blockNumber", 12),
                         ("blockHash", b32("x")), ("postStateRoot", b32("x")), ("inboxHash", b32("x")),
                         ("outboxRoot", b32("x")), ("l1AnchorNumber", L1_BLOCK), ("l1AnchorHash", b32("x")),
                         ("blockCount", 2), ("kinds", 4 | 1), ("kinds", 2)]:
        assert not verify(echo_output(inputs, **{field: value})), field
    assert not verify(echo_output(inputs), block_data=b"other block data")
    assert not verify(echo_output(inputs), h=b32("another hash"))
    assert not verify(echo_output(inputs)[:-32])  # short output
    assert not verify(b"fail")  # the precompile fails: false, not a revert


def test_execute_verifier_settlement_kinds(world, execute_echo_stub):
    inputs = execute_inputs(world, tag=P.SETTLEMENT_TAG, parent_number=10, block_number=14)
    verify = lambda output: world.execute.verify(inputs.as_tuple(), inputs.hash(), b"block data", output)  # noqa
    assert verify(echo_output(inputs))  # sequenced and slot-end blocks
    assert verify(echo_output(inputs, kinds=1))
    assert not verify(echo_output(inputs, kinds=1 | 4))  # a based block inside a settlement
    assert not verify(echo_output(inputs, blockCount=3))  # 10 + 3 is not 14
    other_tag = P.PublicInputs(**{**inputs.__dict__, "tag": b32("Lockstep.PublicInputs.Based.v2")})
    assert not world.execute.verify(other_tag.as_tuple(), other_tag.hash(), b"block data", echo_output(inputs))


def test_execute_verifier_sends_block_data_and_proofs_of_every_size(world, execute_echo_stub):
    """ExecuteVerifier builds the precompile input through a narrower Bytes type when blockData and the proof fit a
    call tier (4/16/32 KiB): on each side of every tier edge EXECUTE gets both byte for byte. The echo stub returns
    the whole proof; the verifier reads the first 11 words of it."""
    sizes = [(0, 352), (4096, 4096), (4097, 352), (1, 4097), (16384, 16384), (16385, 400), (100, 16385),
             (32768, 32768), (32769, 352), (1, 32769), (65536, 65536)]
    for n, (data_size, proof_size) in enumerate(sizes):
        block_data = bytes((i * 7 + n) % 251 for i in range(data_size))
        inputs = P.PublicInputs(**{**execute_inputs(world).__dict__, "blockDataHash": keccak(block_data)})
        proof = echo_output(inputs)
        proof += bytes((i * 13 + n) % 251 for i in range(proof_size - len(proof)))
        assert world.execute.verify(inputs.as_tuple(), inputs.hash(), block_data, proof), (data_size, proof_size)
        assert execute_echo_stub.calls[-1] == (P.L2_CHAIN_ID, inputs.parentStateRoot, block_data, proof)


def test_execute_verifier_is_false_without_the_precompile(world):
    inputs = execute_inputs(world)
    assert not world.execute.verify(inputs.as_tuple(), inputs.hash(), b"block data", echo_output(inputs))


def test_based_block_with_execute_and_attestation_proofs(world, execute_echo_stub):
    world.submit_based(world.handoff(), systems=(SYSTEM_EXECUTE, SYSTEM_ATTESTATION))
    assert world.rollup.head()[0] == 11
    # A failing EXECUTE counts as false: attestation alone is one proof short.
    goto_l1_block(L1_BLOCK + 1)
    handoff = world.handoff(slot_end_number=20)
    inputs = world.based_inputs(handoff, (20, handoff.l2BlockHash, handoff.l2StateRoot), b32("next"),
                                b32("next state"), [], [], rlp.encode([b"next"]), P.BUILDER.address)
    proofs = world.proofs(inputs, systems=(SYSTEM_ATTESTATION,)) + [(SYSTEM_EXECUTE, b"fail")]
    with boa.reverts("proofs: below threshold"):
        world.submit_based(handoff, label="next", proofs=proofs)


def test_execute_through_lockstep_fails_closed_on_a_bad_witness(world, execute_via_lockstep):
    """The real EXECUTE: a witness that proves nothing makes the verifier return false, never revert."""
    inputs = execute_inputs(world)
    assert not world.execute.verify(inputs.as_tuple(), inputs.hash(), b"block data", b"\xc0")
    handoff = world.handoff()
    based = world.based_inputs(handoff, (10, handoff.l2BlockHash, handoff.l2StateRoot), b32("based"),
                               b32("based state"), [], [], rlp.encode([b"based"]), P.BUILDER.address)
    proofs = world.proofs(based, systems=(SYSTEM_ATTESTATION,)) + [(SYSTEM_EXECUTE, b"\xc0")]
    with boa.reverts("proofs: below threshold"):
        world.submit_based(handoff, proofs=proofs)


EXECUTE_VECTOR = json.loads((REPO / "Specs" / "vectors" / "execute.json").read_text())


def execute_vector_inputs(**changes) -> P.PublicInputs:
    """The based public inputs of Specs/vectors/execute.json, with `changes` applied."""
    f = EXECUTE_VECTOR["publicInputs"]
    fields = dict(
        tag=bytes.fromhex(f["tag"][2:]), l2ChainId=int(f["l2ChainId"], 16),
        parentBlockNumber=int(f["parentBlockNumber"], 16), parentBlockHash=bytes.fromhex(f["parentBlockHash"][2:]),
        parentStateRoot=bytes.fromhex(f["parentStateRoot"][2:]), blockNumber=int(f["blockNumber"], 16),
        blockHash=bytes.fromhex(f["blockHash"][2:]), postStateRoot=bytes.fromhex(f["postStateRoot"][2:]),
        inboxHash=bytes.fromhex(f["inboxHash"][2:]), outboxRoot=bytes.fromhex(f["outboxRoot"][2:]),
        l1BlockNumber=int(f["l1BlockNumber"], 16), l1ParentHash=bytes.fromhex(f["l1ParentHash"][2:]),
        submitter=f["submitter"], blockDataHash=bytes.fromhex(f["blockDataHash"][2:]))
    fields.update(changes)
    return P.PublicInputs(**fields)


def test_execute_verifier_accepts_a_real_based_block_through_lockstep(world, execute_via_lockstep):
    """The real EXECUTE on a real based block (Specs/vectors/execute.json): true for its public inputs, false as
    soon as one field is not what the block establishes."""
    block_data = bytes.fromhex(EXECUTE_VECTOR["blockData"][2:])
    proof = bytes.fromhex(EXECUTE_VECTOR["proof"][2:])
    inputs = execute_vector_inputs()
    assert inputs.hash() == bytes.fromhex(EXECUTE_VECTOR["publicInputsHash"][2:])
    assert keccak(block_data) == inputs.blockDataHash
    assert world.execute.verify(inputs.as_tuple(), inputs.hash(), block_data, proof)
    for field, value in [("postStateRoot", b32("another state")), ("blockHash", b32("another block")),
                         ("outboxRoot", b32("another outbox")), ("inboxHash", b32("another inbox")),
                         ("parentBlockHash", b32("another parent")), ("l1ParentHash", b32("another L1 parent")),
                         ("blockNumber", inputs.blockNumber + 1), ("l1BlockNumber", inputs.l1BlockNumber + 1),
                         ("tag", P.SETTLEMENT_TAG)]:
        changed = execute_vector_inputs(**{field: value})
        assert not world.execute.verify(changed.as_tuple(), changed.hash(), block_data, proof), field
    # A tampered block (one byte of its data) no longer executes.
    tampered = bytearray(block_data)
    tampered[-40] ^= 1
    changed = execute_vector_inputs(blockDataHash=keccak(bytes(tampered)))
    assert not world.execute.verify(changed.as_tuple(), changed.hash(), bytes(tampered), proof)


# ---------------------------------------------------------------------------------------------------------------
# L2 predeploys (§4, §5)

@pytest.fixture
def l2():
    """A separate boa environment for the L2: chain id 313370, messenger and L1 block info as predeploys."""
    env = boa.Env()
    env.evm.patch.chain_id = P.L2_CHAIN_ID
    messenger = install_predeploy("L2Messenger", P.L2_MESSENGER, env)
    info = install_predeploy("L1BlockInfo", P.L1_BLOCK_INFO, env)
    return env, messenger, info


TARGET = """
interface IMessenger:
    def xDomainMessageSender() -> address: view
    def relayingDepositId() -> bytes32: view
    def sendToL1(to: address, data: Bytes[4096]) -> bytes32: payable
messenger: immutable(address)
seen: public(address)
withdrawal: public(bytes32)
gas_at_entry: public(uint256)
received: public(uint256)
fail: public(bool)
@deploy
def __init__(messenger_: address):
    messenger = messenger_
@external
def set_fail(fail: bool):
    self.fail = fail
@payable
@external
def receive_deposit():
    self.gas_at_entry = msg.gas
    assert not self.fail, "target: told to fail"
    self.seen = staticcall IMessenger(messenger).xDomainMessageSender()
    self.received += msg.value
    self.withdrawal = extcall IMessenger(messenger).sendToL1(msg.sender, b"back")
"""


def relay_args(origin, nonce, sender, to, value, data):
    return [origin, nonce, sender, to, value, data]


def test_messenger_relays_a_deposit_with_its_l1_sender(l2):
    env, messenger, _ = l2
    with boa.swap_env(env):
        target = boa.loads(TARGET, messenger.address)
    data = keccak(b"receive_deposit()")[:4]
    l1_sender = to_checksum_address("0x" + "aa" * 20)
    deposit_id = P.deposit_id(USER.address, 0, l1_sender, target.address, 50, data)
    assert messenger.depositId(USER.address, 0, l1_sender, target.address, 50, data) == deposit_id
    env.set_balance(messenger.address, 50)  # the state mints the value to the messenger first (§4 step 2)
    with env.prank(P.SYSTEM_ADDRESS):
        messenger.relayDeposit(*relay_args(USER.address, 0, l1_sender, target.address, 50, data))
    relay = messenger._computation
    assert events(messenger, "DepositRelayed", relay)[-1] == {"depositId": deposit_id, "success": True}
    assert target.seen() == l1_sender and target.received() == 50
    assert messenger.relayed(deposit_id) and not messenger.failedDeposits(deposit_id)
    assert DEPOSIT_CALL_GAS_BOUNDS[0] <= target.gas_at_entry() <= DEPOSIT_CALL_GAS_BOUNDS[1]
    # A withdrawal sent while the deposit is relayed is keyed by the deposit id (§5.3).
    sent = events(messenger, "SentToL1", relay)[0]
    assert sent["originKey"] == deposit_id and sent["originNonce"] == 0 and sent["sender"] == target.address
    assert sent["withdrawalId"] == target.withdrawal() == P.withdrawal_id(deposit_id, 0, target.address,
                                                                          messenger.address, 0, b"back")
    assert messenger.xDomainMessageSender() == "0x" + "00" * 20 and messenger.relayingDepositId() == P.ZERO32
    with env.prank(P.SYSTEM_ADDRESS), boa.reverts("messenger: deposit already relayed"):
        messenger.relayDeposit(*relay_args(USER.address, 0, l1_sender, target.address, 50, data))


DEPOSIT_CALL_GAS_BOUNDS = (P.DEPOSIT_CALL_GAS - 1_000, P.DEPOSIT_CALL_GAS + 2_300)  # + the value stipend


def test_messenger_relay_only_from_the_system_address(l2):
    env, messenger, _ = l2
    with env.prank(USER.address), boa.reverts("messenger: only the system address"):
        messenger.relayDeposit(USER.address, 0, USER.address, USER.address, 0, b"")


def test_failed_deposit_keeps_its_value_and_is_retried_once(l2):
    env, messenger, _ = l2
    with boa.swap_env(env):
        target = boa.loads(TARGET, messenger.address)
        target.set_fail(True)
    data = keccak(b"receive_deposit()")[:4]
    L1_SENDER = to_checksum_address("0x" + "aa" * 20)
    args = relay_args(USER.address, 3, L1_SENDER, target.address, 70, data)
    deposit_id = P.deposit_id(*args)
    env.set_balance(messenger.address, 70)
    with env.prank(P.SYSTEM_ADDRESS):
        messenger.relayDeposit(*args, gas=P.DEPOSIT_CALL_GAS * 2)  # DEPOSIT_SYSTEM_GAS: it must not revert
    assert events(messenger, "DepositRelayed")[-1] == {"depositId": deposit_id, "success": False}
    assert messenger.failedDeposits(deposit_id) and env.get_balance(messenger.address) == 70
    with env.prank(OTHER_USER.address), boa.reverts("messenger: deposit call failed"):
        messenger.retryDeposit(*args)  # still failing: reverts, stays retryable
    assert messenger.failedDeposits(deposit_id)
    with boa.swap_env(env):
        target.set_fail(False)
    with env.prank(OTHER_USER.address):
        messenger.retryDeposit(*args)
    assert events(messenger, "DepositRelayed")[-1] == {"depositId": deposit_id, "success": True}
    assert target.received() == 70 and target.seen() == L1_SENDER
    assert target.withdrawal() == P.withdrawal_id(deposit_id, 0, target.address, messenger.address, 0, b"back")
    with env.prank(OTHER_USER.address), boa.reverts("messenger: deposit not failed"):
        messenger.retryDeposit(*args)


def test_deposit_target_gets_deposit_call_gas_only(l2):
    env, messenger, _ = l2
    with boa.swap_env(env):
        hog = boa.loads("""
@external
def eat():
    for i: uint256 in range(100000):
        if msg.gas < 1000:
            break
""")
    args = relay_args(USER.address, 0, USER.address, hog.address, 0, keccak(b"eat()")[:4])
    with env.prank(P.SYSTEM_ADDRESS):
        messenger.relayDeposit(*args, gas=2_000_000)
    assert events(messenger, "DepositRelayed")[-1]["success"]
    assert last_gas(messenger) < 2_000_000 - 900_000 + P.DEPOSIT_CALL_GAS  # the hog burnt at most its 1,000,000


def test_send_to_l1_keys_by_tx_origin_and_counts_per_origin(l2):
    env, messenger, _ = l2
    with boa.swap_env(env):
        forwarder = boa.loads(f"""
interface IMessenger:
    def sendToL1(to: address, data: Bytes[4096]) -> bytes32: payable
@payable
@external
def forward(to: address) -> bytes32:
    return extcall IMessenger({P.L2_MESSENGER}).sendToL1(to, b"fwd", value=msg.value)
""")
    to = "0x" + "bb" * 20
    env.set_balance(USER.address, 10**18)
    with env.prank(USER.address):
        first = messenger.sendToL1(to, b"x", value=9)
        second = forwarder.forward(to, value=1)
    key = P.origin_key_of(USER.address)
    assert first == P.withdrawal_id(key, 0, USER.address, to, 9, b"x")
    assert second == P.withdrawal_id(key, 1, forwarder.address, to, 1, b"fwd")
    with env.prank(OTHER_USER.address):
        third = forwarder.forward(to)
    assert third == P.withdrawal_id(P.origin_key_of(OTHER_USER.address), 0, forwarder.address, to, 0, b"fwd")
    assert messenger.withdrawalNonce(key) == 2
    assert env.get_balance(messenger.address) == 10
    assert messenger.withdrawalId(key, 1, forwarder.address, to, 1, b"fwd") == second


def test_l1_block_info_records_anchors_from_the_system_address(l2):
    env, _, info = l2
    with env.prank(P.SYSTEM_ADDRESS):
        info.setAnchor(41, l1_hash(41))
        info.setAnchor(42, l1_hash(42))
    assert info.anchorNumber() == 42 and info.anchorHash() == l1_hash(42)
    assert info.anchorHashOf(41) == l1_hash(41) and info.anchorHashOf(7) == P.ZERO32
    with env.prank(USER.address), boa.reverts("anchor: only the system address"):
        info.setAnchor(43, l1_hash(43))


def test_predeploys_have_no_constructor_state():
    """The genesis installs runtime code only (§4.1): nothing may depend on a constructor or immutables."""
    for name in ("L2Messenger", "L1BlockInfo"):
        art = artifact(name)
        assert not any(e["type"] == "constructor" for e in art["abi"]), name
        assert art["bytecode"].endswith(art["runtimeBytecode"][2:]) or art["runtimeBytecode"][2:] in art["bytecode"]


# ---------------------------------------------------------------------------------------------------------------
# The demo bridge round trip and the AMM

def test_bridge_round_trip_through_vault_messenger_and_rollup(world, l2):
    env, messenger, _ = l2
    with boa.env.prank(USER.address):
        token = deploy("DemoToken", "Demo", "DEMO", 10**24)
    vault = deploy("TokenVault", token.address, world.rollup.address)
    with boa.swap_env(env):
        bridged = deploy("BridgedToken", "Bridged Demo", "bDEMO", messenger.address, vault.address, env=env)
    vault.setL2Token(bridged.address)
    with boa.reverts("vault: L2 token already set"):
        vault.setL2Token(bridged.address)

    # L1: lock 100 and queue the mint.
    with boa.env.prank(USER.address):
        token.approve(vault.address, 100)
        deposit_id = vault.deposit(100, USER.address)
    queued = events(world.rollup, "DepositQueued", vault._computation)[0]
    assert queued["origin"] == USER.address and queued["sender"] == vault.address and queued["to"] == bridged.address
    assert deposit_id == P.deposit_id(USER.address, 0, vault.address, bridged.address, 0, queued["data"])
    assert token.balanceOf(vault.address) == 100

    # L2: the system call relays it; the bridged token mints.
    with env.prank(P.SYSTEM_ADDRESS):
        messenger.relayDeposit(USER.address, 0, vault.address, bridged.address, 0, queued["data"])
    assert events(messenger, "DepositRelayed")[-1] == {"depositId": deposit_id, "success": True}
    assert bridged.balanceOf(USER.address) == 100

    # L2: withdraw 40 to L1; the id depends only on the user's own transactions.
    with env.prank(USER.address):
        withdrawal_id = bridged.withdraw(USER.address, 40)
    release = keccak(b"release(address,uint256)")[:4] + abi_encode(["address", "uint256"], [USER.address, 40])
    key = P.origin_key_of(USER.address)
    assert withdrawal_id == P.withdrawal_id(key, 0, bridged.address, vault.address, 0, release)
    assert bridged.balanceOf(USER.address) == 60 and bridged.totalSupply() == 60

    # L1: a based block consumes the deposit and carries the withdrawal; l1After executes it at once.
    world.submit_based(world.handoff(), deposit_ids=[deposit_id], withdrawal_ids=[withdrawal_id])
    with boa.env.prank(USER.address):
        world.rollup.executeFromL2(key, 0, bridged.address, vault.address, 0, release)
    released = events(vault, "Released", world.rollup._computation)
    assert token.balanceOf(USER.address) == 10**24 - 60 and token.balanceOf(vault.address) == 60
    assert released == [{"to": USER.address, "amount": 40}]


def test_bridge_refuses_strangers(world, l2):
    env, messenger, _ = l2
    token = deploy("DemoToken", "Demo", "DEMO", 10**24)
    vault = deploy("TokenVault", token.address, world.rollup.address)
    with boa.swap_env(env):
        bridged = deploy("BridgedToken", "Bridged Demo", "bDEMO", messenger.address, vault.address, env=env)
    with boa.env.prank(USER.address), boa.reverts("vault: only the deployer"):
        vault.setL2Token(bridged.address)
    with boa.reverts("vault: L2 token not set"):
        vault.deposit(1, USER.address)
    vault.setL2Token(bridged.address)
    with boa.reverts("vault: only the rollup"):
        vault.release(USER.address, 1)
    with env.prank(USER.address), boa.reverts("bridged: only the messenger"):
        bridged.mint(USER.address, 1)
    # A deposit from another L1 contract cannot mint: the call fails and the deposit is recorded as failed.
    mint = keccak(b"mint(address,uint256)")[:4] + abi_encode(["address", "uint256"], [USER.address, 5])
    with env.prank(P.SYSTEM_ADDRESS):
        messenger.relayDeposit(USER.address, 0, "0x" + "66" * 20, bridged.address, 0, mint)
    assert not events(messenger, "DepositRelayed")[-1]["success"] and bridged.totalSupply() == 0
    # A verified withdrawal whose L2 sender is not the bridged token cannot release.
    release = keccak(b"release(address,uint256)")[:4] + abi_encode(["address", "uint256"], [USER.address, 1])
    w = withdrawal(world, vault.address, release, 0, sender="0x" + "66" * 20)
    world.submit_based(world.handoff(), withdrawal_ids=[w["id"]])
    with boa.reverts("withdrawal: call failed"):
        execute(world, w)


def test_amm_swaps_follow_x_times_y_with_a_fee(world):
    token = deploy("DemoToken", "Demo", "DEMO", 10**24)
    amm = deploy("ConstantProductAMM", token.address)
    provider = boa.env.eoa
    boa.env.set_balance(provider, 10**21)
    token.approve(amm.address, 2**256 - 1)
    shares = amm.addLiquidity(4_000 * 10**18, value=10 * 10**18)
    assert shares == 10 * 10**18 and amm.ethReserve() == 10 * 10**18 and amm.tokenReserve() == 4_000 * 10**18

    def out(amount_in, reserve_in, reserve_out):
        return amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)

    trader = USER.address
    boa.env.set_balance(trader, 10**19)
    expected = out(10**18, 10 * 10**18, 4_000 * 10**18)
    assert amm.getEthToTokenOut(10**18) == expected == amm.getAmountOut(10**18, 10 * 10**18, 4_000 * 10**18)
    with boa.env.prank(trader), boa.reverts("amm: output below minOut"):
        amm.swapEthForToken(expected + 1, trader, value=10**18)
    with boa.env.prank(trader):
        assert amm.swapEthForToken(expected, trader, value=10**18) == expected
    assert token.balanceOf(trader) == expected
    k_before = 10 * 10**18 * 4_000 * 10**18
    assert amm.ethReserve() * amm.tokenReserve() >= k_before

    eth_out = amm.getTokenToEthOut(expected // 2)
    assert eth_out == out(expected // 2, amm.tokenReserve(), amm.ethReserve())
    balance_before = boa.env.get_balance(trader)
    with boa.env.prank(trader):
        token.approve(amm.address, expected // 2)
        assert amm.swapTokenForEth(expected // 2, eth_out, trader) == eth_out
    assert boa.env.get_balance(trader) == balance_before + eth_out

    # A second provider adds at the pool's ratio; removing returns the shares' part of both reserves.
    expected_shares = 10**18 * amm.totalShares() // amm.ethReserve()
    expected_tokens = 10**18 * amm.tokenReserve() // amm.ethReserve() + 1
    tokens_before = token.balanceOf(provider)
    assert amm.addLiquidity(10**24, value=10**18) == expected_shares
    assert tokens_before - token.balanceOf(provider) == expected_tokens
    eth_reserve, token_reserve, total = amm.ethReserve(), amm.tokenReserve(), amm.totalShares()
    eth_back, tokens_back = amm.removeLiquidity(shares, 0, 0)
    assert eth_back == shares * eth_reserve // total and tokens_back == shares * token_reserve // total
    with boa.reverts("amm: not enough shares"):
        amm.removeLiquidity(10**30, 0, 0)


# ---------------------------------------------------------------------------------------------------------------
# Gas (reported, with loose ceilings that catch a max-size buffer touched by accident)

GAS = {}


def intrinsic_gas(calldata: bytes) -> int:
    """EIP-2028 calldata cost, with the EIP-7623 floor (Prague)."""
    zeros = calldata.count(0)
    tokens = zeros + 4 * (len(calldata) - zeros)
    return 21_000 + max(4 * tokens, 10 * tokens)


def test_gas_of_submissions_and_withdrawals(world):
    deposit_ids = [world.deposit(data=b"x" * 100, sender=USER.address) for _ in range(4)]
    withdrawal = {"originKey": P.origin_key_of(USER.address), "originNonce": 0, "sender": USER.address,
                  "to": "0x" + "55" * 20, "amount": 1, "data": b""}
    withdrawal_id = P.withdrawal_id(*withdrawal.values())
    world.deposit(value=10)
    for size in (1_000, 32_000, 65_536):
        with boa.env.anchor():
            world.submit_based(world.handoff(), deposit_ids=deposit_ids, withdrawal_ids=[withdrawal_id] * 1 + [
                b32(f"w{i}") for i in range(7)], block_data=b"\x01" * size)
            GAS[f"submitBased: {size} B blockData, 4 deposits, 8 withdrawals, 2 attestation proofs"] = \
                last_gas(world.rollup)
            execute(world, {**withdrawal})
            GAS["executeFromL2: ETH to an EOA"] = last_gas(world.rollup)
        with boa.env.anchor():
            world.settle(50, deposit_ids=deposit_ids, withdrawal_ids=[b32(f"w{i}") for i in range(8)],
                         block_data=b"\x01" * size)
            GAS[f"settle: {size} B blockData, 4 deposits, 2 attestation proofs"] = last_gas(world.rollup)
    for name, gas in GAS.items():
        print(f"gas {name}: {gas}")
    # Vyper copies blockData and the three proofs at their maximum size (256 KiB), and blockData is logged (8/byte).
    assert max(GAS.values()) < 1_600_000
    assert GAS["submitBased: 1000 B blockData, 4 deposits, 8 withdrawals, 2 attestation proofs"] < 750_000


def test_gas_of_a_submission_with_an_execute_proof(world, execute_echo_stub):
    world.submit_based(world.handoff(), systems=(SYSTEM_ATTESTATION, SYSTEM_EXECUTE), block_data=b"\x01" * 1000)
    gas = last_gas(world.rollup)
    print(f"gas submitBased: 1000 B blockData, attestation + execute (echo stub: 50,000 + 4/byte) proofs: {gas}")
    assert gas < 580_000


# ---------------------------------------------------------------------------------------------------------------
# The contracts against the Swift implementation's vectors (Specs/vectors, §12)

VECTORS = REPO / "Specs" / "vectors"


def vector(name):
    path = VECTORS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    return json.loads(path.read_text())


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def test_contracts_agree_with_the_spec_vectors():
    eip712 = vector("eip712")
    boa.env.evm.patch.chain_id = eip712["domain"]["chainId"]
    rollup_address = eip712["domain"]["verifyingContract"]
    art = artifact("Rollup")
    args = abi_encode(["address", "uint256", "bytes32", "bytes32", "address[3]", "uint256"],
                      [P.SEQUENCER.address, P.L2_CHAIN_ID, GENESIS_HASH, GENESIS_STATE_ROOT,
                       ["0x" + "11" * 20, "0x" + "00" * 20, "0x" + "00" * 20], 1])
    boa.env.deploy(bytecode=h(art["bytecode"]) + args, override_address=rollup_address)
    rollup = ABIContractFactory.from_abi_dict(art["abi"], name="Rollup").at(rollup_address)
    provers = sorted((a.address for a in P.PROVERS), key=lambda a: int(a, 16))
    attestation = deploy("AttestationVerifier", rollup_address, provers, 2)
    assert rollup.domainSeparator() == h(eip712["domainSeparator"])

    inputs = execute_inputs(None)
    for v in eip712["vectors"]:
        message = v["message"]
        if v["primaryType"] == "Handoff":
            handoff = (message["l2ChainId"], message["l2BlockNumber"], h(message["l2BlockHash"]),
                       h(message["l2StateRoot"]), message["l1TargetBlockNumber"], h(message["l1ParentHash"]))
            assert rollup.handoffDigest(handoff) == h(v["digest"])
        elif v["primaryType"] == "Attestation":
            public_inputs_hash = h(message["publicInputsHash"])
            assert attestation.attestationDigest(public_inputs_hash) == h(v["digest"])
            signatures = sorted(v["signatures"], key=lambda s: int(s["signer"], 16))
            proof = b"".join(h(s["signature"]) for s in signatures)
            assert attestation.verify(inputs.as_tuple(), public_inputs_hash, b"", proof) == (len(signatures) >= 2)

    messages = vector("messages")
    for d in messages["deposits"]:
        assert rollup.depositId(d["origin"], int(d["originNonce"], 16), d["sender"], d["to"], int(d["value"], 16),
                                h(d["data"])) == h(d["id"])
    for w in messages["withdrawals"]:
        assert rollup.withdrawalId(h(w["originKey"]), int(w["originNonce"], 16), w["sender"], w["to"],
                                   int(w["value"], 16), h(w["data"])) == h(w["id"])

    for v in vector("public-inputs")["vectors"]:
        i = v["inputs"]
        as_tuple = tuple(int(i[k], 16) if k in ("l2ChainId", "parentBlockNumber", "blockNumber", "l1BlockNumber")
                         else (i[k] if k == "submitter" else h(i[k])) for k in P.PublicInputs.__dataclass_fields__)
        assert rollup.publicInputsHash(as_tuple) == h(v["hash"]), v["name"]

    for v in vector("inbox")["vectors"]:
        assert rollup.inboxHash([h(i) for i in v["ids"]]) == h(v["inboxHash"])
    for v in vector("outbox")["vectors"]:
        leaves = [h(leaf) for leaf in v["leaves"]]
        assert rollup.outboxRoot(leaves) == h(v["root"])
        for index, proof in enumerate(v["proofs"]):
            assert [h(p) for p in proof] == P.outbox_proof(leaves, index)
