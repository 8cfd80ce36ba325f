"""The generated sources match what their generators in Deploy/codegen print: nobody edited them by hand, and a
change to a generator was committed with its output."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

GENERATED = [
    ("gen_keccak.py", "Sources/Primitives/KeccakF1600.swift"),
    ("gen_keccak_multi.py", "Sources/CPrimitivesSupport/keccak_multi.c"),
    ("gen_blake2f.py", "Sources/EVM/Precompiles/Blake2FCompression.swift"),
]


@pytest.mark.parametrize("generator,output", GENERATED)
def test_generated_source_is_current(generator, output):
    result = subprocess.run([sys.executable, str(REPO / "Deploy" / "codegen" / generator)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    committed = (REPO / output).read_text()
    assert result.stdout == committed, (
        f"{output} differs from what Deploy/codegen/{generator} prints; "
        f"run: python3 Deploy/codegen/{generator} > {output}")
