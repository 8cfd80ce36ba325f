"""Starts and stops `lockstep l1` and `lockstep l2` for the web3.py suites."""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time


def binary():
    path = os.environ.get("LOCKSTEP_BIN") or os.path.join(os.path.dirname(__file__), "../../.build/release/lockstep")
    if not os.path.exists(path):
        raise RuntimeError(f"lockstep binary not found at {path}: build it with `swift build -c release`")
    return path


class ServiceNode:
    """A running `lockstep SERVICE --port 0`; `url` and `ws_url` are known once it listens."""

    service = None

    def __init__(self, *args, data_dir=None, quiet=True):
        self.data_dir = data_dir
        command = [binary(), self.service, "--port", "0", *args]
        if data_dir:
            command += ["--data-dir", data_dir]
        env = dict(os.environ, LOCKSTEP_QUIET="1") if quiet else dict(os.environ)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                        stdin=subprocess.DEVNULL)
        self.output = []
        ready = threading.Event()

        def read():
            for line in self.process.stdout:
                self.output.append(line)
                match = re.search(r"Listening on http://([\d.]+):(\d+)", line)
                if match:
                    self.url = f"http://{match.group(1)}:{match.group(2)}"
                    self.ws_url = f"ws://{match.group(1)}:{match.group(2)}"
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"lockstep {self.service} did not start:\n" + "".join(self.output))

    def stop(self, kill=False):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class L1Node(ServiceNode):
    service = "l1"


class L2Node(ServiceNode):
    service = "l2"
