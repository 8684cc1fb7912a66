"""Servers the deploy tests start themselves (nginx, a Redis when the machine has none)."""

from __future__ import annotations

import socket
import subprocess
import time


def wait_for_port(proc: subprocess.Popen[bytes], port: int, *, timeout: float = 10) -> None:
    """Until `proc` accepts connections on `port`; fails with what it said if it exits or
    takes longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                said = proc.communicate(timeout=5)[1] if proc.stderr is not None else b""
                raise RuntimeError(f"{proc.args[0]} did not start on port {port}: {said!r}") from None
            time.sleep(0.05)
