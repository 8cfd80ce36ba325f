"""Shared fixtures for the interop suite: the lockstep binary under test."""
import os
import subprocess
import pytest


@pytest.fixture(scope="session")
def lockstep():
    """Returns a function that runs `lockstep ARGS...` and returns the completed process."""
    binary = os.environ.get("LOCKSTEP_BIN") or os.path.join(os.path.dirname(__file__), "../../.build/release/lockstep")
    if not os.path.exists(binary):
        pytest.fail(f"lockstep binary not found at {binary}: build it with `swift build -c release`")

    def run(*args, input=None, check=True):
        result = subprocess.run([binary, *args], input=input, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"lockstep {' '.join(args)} failed ({result.returncode}): {result.stderr}{result.stdout}")
        return result

    return run
