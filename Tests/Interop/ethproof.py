"""Checks eth_getProof answers against a state root, by walking the Merkle-Patricia proof."""
import rlp
from eth_utils import keccak


def verify_proof(root, key, proof):
    """Walks an eth_getProof proof from `root` along `key`'s nibbles; returns the value, or None when absent."""
    nibbles = [n for byte in key for n in (byte >> 4, byte & 15)]
    expected = root
    for encoded in proof:
        encoded = bytes(encoded)
        assert (keccak(encoded) == expected) if len(encoded) >= 32 else encoded == expected
        node = rlp.decode(encoded)
        if len(node) == 17:
            if not nibbles:
                return node[16] or None
            child = node[nibbles[0]]
            nibbles = nibbles[1:]
            if child == b"":
                return None
            expected = child if isinstance(child, bytes) else rlp.encode(child)
        else:
            path, value = node
            flag = path[0] >> 4
            part = ([path[0] & 15] if flag & 1 else []) + [n for byte in path[1:] for n in (byte >> 4, byte & 15)]
            if nibbles[:len(part)] != part:
                return None
            nibbles = nibbles[len(part):]
            if flag >= 2:
                return value if not nibbles else None
            expected = value if isinstance(value, bytes) else rlp.encode(value)
    raise AssertionError("proof ended early")
