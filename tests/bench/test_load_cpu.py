"""The load benchmark's CPU accounting: the product's process tree, and PostgreSQL and Redis beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.load import cpu_seconds, services_cpu_seconds

BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\ntime.sleep(30)"


def test_cpu_seconds_counts_a_busy_grandchild_of_the_root() -> None:
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys\n"
                               f"subprocess.run([sys.executable, '-c', {BUSY!r}])"])
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(parent.pid) < 0.4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cpu_seconds(parent.pid) >= 0.4  # the parent itself only waits
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()


def test_services_cpu_sums_the_processes_of_those_names() -> None:
    t = time.process_time()
    while time.process_time() - t < 0.3:  # this process (named python...) burns some CPU
        pass
    mine = sum(os.times()[:2])
    assert services_cpu_seconds(("python",)) >= mine - 0.02  # clock ticks round down
    assert services_cpu_seconds(("no-such-process-name",)) == 0.0
    assert services_cpu_seconds() >= 0.0  # PostgreSQL and Redis, where they run
