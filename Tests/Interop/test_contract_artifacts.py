"""The committed contract artifacts and Sources/Rollup/Generated/ContractArtifacts.swift match the Vyper sources."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_artifacts_are_up_to_date():
    result = subprocess.run([sys.executable, str(REPO / "Deploy" / "codegen" / "compile_contracts.py"), "--check"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + result.stdout
