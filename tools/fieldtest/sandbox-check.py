#!/usr/bin/env python3
"""Checks an `strace -f` log of edge-inspect against the sandbox of a systemd unit: every system call
inside SystemCallFilter (an allow-list, its @groups expanded by `systemd-analyze syscall-filter`),
every socket family inside RestrictAddressFamilies, and no mapping both writable and executable
(MemoryDenyWriteExecute). Prints two field-test check lines, unit.syscalls and unit.sandbox.

Usage: sandbox-check.py STRACE_LOG UNIT_FILE"""
import re
import subprocess
import sys

# A call during which another thread's call is logged is split in two lines, "futex(...
# <unfinished ...>" then "<... futex resumed>": only the first names it, so each counts once.
CALL = re.compile(r"\d+\s+([a-z_][a-z0-9_]*)\(")
SOCKET = re.compile(r"\d+\s+socket(?:pair)?\((AF_\w+)")
MAPPING = re.compile(r"\d+\s+(?:mmap|mprotect|pkey_mprotect)\(")


def setting(unit: str, name: str) -> list[str]:
    """A unit setting's values; systemd adds up repeated lines of these list settings."""
    values = []
    for line in open(unit):
        if line.startswith(name + "="):
            values += line.split("=", 1)[1].split()
    return values


def syscall_groups() -> dict[str, set[str]]:
    """systemd's groups: '@name' lines, then their members indented (calls or other @groups)."""
    groups, current = {}, None
    listing = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.strip())
    return groups


def expand(names, groups) -> set[str]:
    out = set()
    for name in names:
        out |= expand(groups[name], groups) if name.startswith("@") else {name}
    return out


def main(trace: str, unit: str) -> None:
    filter_names = setting(unit, "SystemCallFilter")
    if not filter_names or filter_names[0].startswith("~"):
        sys.exit(f"{unit}: expected an allow-list SystemCallFilter, found {filter_names}")
    allowed = expand(filter_names, syscall_groups())
    families_allowed = set(setting(unit, "RestrictAddressFamilies"))
    used, families, writable_code = {}, set(), []
    for line in open(trace):
        if m := CALL.match(line):
            used[m.group(1)] = used.get(m.group(1), 0) + 1
        if f := SOCKET.match(line):
            families.add(f.group(1))
        if MAPPING.match(line) and "PROT_WRITE" in line and "PROT_EXEC" in line:
            writable_code.append(line.strip()[:120])
    outside = sorted(set(used) - allowed)
    described = " ".join(filter_names)
    if used and not outside:
        print(f"ok unit.syscalls: {len(used)} distinct system calls ({sum(used.values())} in all), each in the "
              f"unit's SystemCallFilter {described} ({len(allowed)} calls)")
    else:
        print(f"FAIL unit.syscalls: outside SystemCallFilter {described}: {outside or 'no calls traced'}")
    if families and families <= families_allowed and not writable_code:
        print(f"ok unit.sandbox: sockets {' '.join(sorted(families))} (RestrictAddressFamilies "
              f"{' '.join(sorted(families_allowed))}); no writable and executable mapping (MemoryDenyWriteExecute)")
    else:
        print(f"FAIL unit.sandbox: socket families {sorted(families)} against RestrictAddressFamilies "
              f"{sorted(families_allowed)}; writable and executable mappings: {writable_code[:3]}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
