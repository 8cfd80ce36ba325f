"""Structured logs: `--log-format json` (or LOCKSTEP_LOG_FORMAT=json) makes every line a service prints one JSON
object with time, level, service and message; the start-up banner is one `listening` event and each run of a timed
stage (the L2's blocks, say) a `stage` event with its duration (Specs/l1-devnet-api.md, "Transport and errors")."""
import json
import os
import re
import subprocess
import tempfile
import threading
import time

from l1node import binary
from test_devnet import Devnet

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse(lines):
    """Every non-empty line as a JSON object with the four fields every line has; fails on anything else."""
    events = []
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)  # a line that is not JSON fails the test here
        assert isinstance(event, dict), line
        assert TIME.match(event.get("time", "")), line
        assert event.get("level") in ("trace", "debug", "info", "notice", "warning", "error", "critical"), line
        assert isinstance(event.get("service"), str) and event["service"], line
        assert isinstance(event.get("message"), str), line
        events.append(event)
    return events


def test_the_devnet_logs_json_lines_with_the_banner_and_stage_timings():
    with tempfile.TemporaryDirectory() as data_dir:
        devnet = Devnet(data_dir, "--log-format", "json", "--slot-time", "3", "--verbose")
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                if sum('"l2:block"' in line for line in list(devnet.output)) >= 5:
                    break
                time.sleep(0.2)
        finally:
            devnet.stop()
        events = parse(list(devnet.output))
    listening = [event for event in events if event.get("event") == "listening"]
    assert len(listening) == 1 and listening[0]["banner"], listening
    assert any(line.startswith("L1") or "L1" in line for line in listening[0]["banner"])
    stages = [event for event in events if event.get("event") == "stage"]
    blocks = [event for event in stages if event["stage"] == "l2:block"]
    assert len(blocks) >= 5, [event["message"] for event in events][-20:]
    assert all(isinstance(event["seconds"], (int, float)) and 0 <= event["seconds"] < 5 for event in blocks)
    # The per-call timings stay in /metrics: a log line per JSON-RPC call would drown the rest.
    assert not [event for event in stages if event["stage"].startswith("rpc:")]
    services = {event["service"] for event in events}
    assert {"l1", "l2"} <= services, services
    assert events[-1]["message"].startswith("devnet stopped"), events[-1]


def test_an_l1_logs_json_from_the_environment_and_refuses_an_unknown_format():
    environment = dict(os.environ, LOCKSTEP_LOG_FORMAT="json")
    environment.pop("LOCKSTEP_QUIET", None)
    process = subprocess.Popen([binary(), "l1", "--port", "0", "--slot-time", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, env=environment)
    output = []
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline and sum('"service":"l1"' in line for line in list(output)) < 3:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(10)
    events = parse(list(output))
    listening = [event for event in events if event.get("event") == "listening"]
    assert len(listening) == 1 and listening[0]["url"].startswith("http://127.0.0.1:"), events[:3]
    assert sum(event["service"] == "l1" and event is not listening[0] for event in events) >= 2, events

    refused = subprocess.run([binary(), "l1", "--port", "0"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL, env=dict(os.environ, LOCKSTEP_LOG_FORMAT="yaml"))
    assert refused.returncode != 0
    assert "LOCKSTEP_LOG_FORMAT is 'yaml': it must be text or json" in refused.stderr + refused.stdout
    flag = subprocess.run([binary(), "builder", "--log-format", "yaml"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert flag.returncode != 0 and "--log-format" in flag.stderr
