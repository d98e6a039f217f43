"""tools/fieldtest/sandbox-check.py, which the field test runs on an strace log of the daemon: it must
pass a log inside the shipped unit's sandbox and name each way out of it."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "tools/fieldtest/sandbox-check.py"
UNIT = REPO / "cross/systemd/edge-inspect.service"
INSIDE = """\
101 execve("/usr/local/bin/edge-inspect", ["edge-inspect", "watch"], 0x7ffd /* 20 vars */) = 0
101 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f00
101 mmap(0x7f10, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED, 3, 0) = 0x7f10
101 ioctl(4, VIDIOC_DQBUF, 0x7ffc) = 0
102 futex(0x7f20, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>
101 socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 5
101 sendto(5, "READY=1", 7, MSG_NOSIGNAL, {sa_family=AF_UNIX, sun_path="/run/n"}, 9) = 7
102 <... futex resumed>) = 0
101 +++ exited with 0 +++
"""


def run(trace: str, tmp_path: Path) -> list[str]:
    log = tmp_path / "trace.txt"
    log.write_text(trace)
    proc = subprocess.run([sys.executable, str(CHECK), str(log), str(UNIT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.fixture(autouse=True)
def needs_systemd_analyze():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd; tools/fieldtest/install-deps.sh)")


def test_calls_inside_the_unit_pass(tmp_path):
    lines = run(INSIDE, tmp_path)
    # The futex's "resumed" half is the same call: 7 calls, not 8.
    assert lines[0].startswith("ok unit.syscalls: 6 distinct system calls (7 in all)"), lines
    assert lines[1].startswith("ok unit.sandbox: sockets AF_UNIX"), lines


def test_each_way_out_is_named(tmp_path):
    outside = INSIDE + ("101 ptrace(PTRACE_TRACEME) = 0\n"
                        "101 socket(AF_INET, SOCK_STREAM, 0) = 6\n"
                        "101 mprotect(0x7f00, 4096, PROT_READ|PROT_WRITE|PROT_EXEC) = 0\n")
    lines = run(outside, tmp_path)
    assert lines[0].startswith("FAIL unit.syscalls") and "['ptrace']" in lines[0], lines
    assert lines[1].startswith("FAIL unit.sandbox") and "AF_INET" in lines[1] and "mprotect(0x7f00" in lines[1], lines
