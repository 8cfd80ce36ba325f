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


# Every lockstep process the suites start records its JSON-RPC calls and answers here (RPCDispatcher's
# LOCKSTEP_RPC_RECORD), so that test_openrpc.py can validate every answer against Specs/openrpc at the end.
RECORD_PATH = os.environ.get("LOCKSTEP_RPC_RECORD") or os.path.join(
    os.environ.get("TMPDIR", "/tmp"), f"lockstep-rpc-record-{os.getpid()}.jsonl")


def pytest_configure(config):
    if not os.environ.get("LOCKSTEP_RPC_RECORD"):
        if os.path.exists(RECORD_PATH):
            os.unlink(RECORD_PATH)
        os.environ["LOCKSTEP_RPC_RECORD"] = RECORD_PATH


def pytest_collection_modifyitems(config, items):
    """Tests marked `runs_last` (the check of everything recorded) go after all the others."""
    last = [item for item in items if item.get_closest_marker("runs_last")]
    items[:] = [item for item in items if not item.get_closest_marker("runs_last")] + last
