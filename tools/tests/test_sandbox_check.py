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
101 openat(AT_FDCWD</>, "/usr/local/share/edge-inspect/line3.eim", O_RDONLY|O_CLOEXEC) = 3</usr/local/share/edge-inspect/line3.eim>
101 openat(AT_FDCWD</>, "/dev/null", O_RDWR|O_CLOEXEC) = 6</dev/null>
101 mkdir("/var", 0750) = -1 EEXIST (File exists)
101 mkdir("/var/lib/edge-inspect/alerts", 0750) = 0
101 openat(AT_FDCWD</>, "/var/log/edge-inspect/events.jsonl", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0640) = 7</var/log/edge-inspect/events.jsonl>
102 openat(8</var/lib/edge-inspect/alerts>, "a.png", O_WRONLY|O_CREAT|O_TRUNC, 0640 <unfinished ...>
101 renameat(AT_FDCWD</>, "/run/edge-inspect/status.tmp", AT_FDCWD</>, "/run/edge-inspect/status.prom") = 0
102 <... openat resumed>) = 9</var/lib/edge-inspect/alerts/a.png>
101 +++ exited with 0 +++
"""


def run(trace: str, tmp_path: Path, unit: Path = UNIT) -> list[str]:
    log = tmp_path / "trace.txt"
    log.write_text(trace)
    proc = subprocess.run([sys.executable, str(CHECK), str(log), str(unit)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.fixture(autouse=True)
def needs_systemd_analyze():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd; tools/fieldtest/install-deps.sh)")


def test_calls_inside_the_unit_pass(tmp_path):
    lines = run(INSIDE, tmp_path)
    # A call's "resumed" half is the same call: 14 calls, not 16.
    assert lines[0].startswith("ok unit.syscalls: 9 distinct system calls (14 in all)"), lines
    assert lines[1].startswith("ok unit.sandbox: sockets AF_UNIX"), lines
    # The existing /var is no write; the alert image, split across two lines, is one.
    assert lines[2].startswith("ok unit.paths: 5 paths written, all under /run/edge-inspect /var/lib/edge-inspect "
                               "/var/log/edge-inspect"), lines
    assert "devices /dev/null rw" in lines[2], lines


def test_each_way_out_is_named(tmp_path):
    outside = INSIDE + ("101 ptrace(PTRACE_TRACEME) = 0\n"
                        "101 socket(AF_INET, SOCK_STREAM, 0) = 6\n"
                        "101 mprotect(0x7f00, 4096, PROT_READ|PROT_WRITE|PROT_EXEC) = 0\n")
    outside += ('101 openat(AT_FDCWD</>, "/etc/edge-inspect/state", O_WRONLY|O_CREAT, 0640) = 10</etc/edge-inspect/state>\n'
                '101 mkdir("alerts", 0750) = 0\n'
                '101 openat(AT_FDCWD</>, "/root/line3.eim", O_RDONLY) = 11</root/line3.eim>\n')
    lines = run(outside, tmp_path)
    assert lines[0].startswith("FAIL unit.syscalls") and "['ptrace']" in lines[0], lines
    assert lines[1].startswith("FAIL unit.sandbox") and "AF_INET" in lines[1] and "mprotect(0x7f00" in lines[1], lines
    assert lines[2].startswith("FAIL unit.paths"), lines
    for named in ("openat /etc/edge-inspect/state: writes outside", 'mkdir("alerts", 0750): a path relative',
                  "openat /root/line3.eim: hidden by ProtectHome"):
        assert named in lines[2], (named, lines)


@pytest.mark.skipif(not Path("/dev/tty").exists(), reason="no /dev/tty device node here")
def test_devices_by_group_and_access(tmp_path):
    """A device is admitted through its group in /proc/devices (/dev/tty's major 5 is named /dev/tty
    there, as 81 is video4linux), and only for the access DeviceAllow gives it."""
    tty = INSIDE + '101 openat(AT_FDCWD</>, "/dev/tty", O_RDONLY) = 12</dev/tty>\n'
    lines = run(tty, tmp_path)
    assert lines[2].startswith("FAIL unit.paths") and "/dev/tty (char-/dev/tty" in lines[2], lines
    unit = tmp_path / "tty.service"
    unit.write_text(UNIT.read_text().replace("DeviceAllow=char-gpiochip rw", "DeviceAllow=char-/dev/tt? r"))
    lines = run(tty, tmp_path, unit)
    assert lines[2].startswith("ok unit.paths") and "/dev/tty r" in lines[2], lines
    lines = run(tty.replace('"/dev/tty", O_RDONLY', '"/dev/tty", O_RDWR'), tmp_path, unit)
    assert lines[2].startswith("FAIL unit.paths") and "/dev/tty (char-/dev/tty" in lines[2] and "rw)" in lines[2], lines


def test_the_unit_verifies(tmp_path):
    """`systemd-analyze verify`: every key known, every dependency well formed. It exits 0 either way
    and says what it ignored on stderr, hence the empty output."""
    unit = tmp_path / "edge-inspect.service"
    unit.write_text(UNIT.read_text().replace("ExecStart=/usr/local/bin/edge-inspect", "ExecStart=/bin/true"))
    assert "ExecStart=/bin/true" in unit.read_text()
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
