#!/usr/bin/env python3
"""Checks an `strace -f -y` log of edge-inspect against the sandbox of a systemd unit: every system
call inside SystemCallFilter (an allow-list, its @groups expanded by `systemd-analyze syscall-filter`),
every socket family inside RestrictAddressFamilies, and no mapping both writable and executable
(MemoryDenyWriteExecute); every path written inside the folders ProtectSystem=strict leaves writable
(the unit's State/Logs/Runtime/CacheDirectory, ReadWritePaths, PrivateTmp's /tmp), every device
opened one that DevicePolicy and DeviceAllow admit (its group read from /proc/devices, as systemd
does), nothing under the folders ProtectHome hides. Prints three field-test check lines,
unit.syscalls, unit.sandbox and unit.paths. Run it where the traced devices still exist.

Usage: sandbox-check.py STRACE_LOG UNIT_FILE"""
import fnmatch
import os
import re
import stat
import subprocess
import sys

# A call during which another thread's call is logged is split in two lines, "futex(...
# <unfinished ...>" then "<... futex resumed>": only the first names it, so each counts once.
CALL = re.compile(r"\d+\s+([a-z_][a-z0-9_]*)\(")
SOCKET = re.compile(r"\d+\s+socket(?:pair)?\((AF_\w+)")
MAPPING = re.compile(r"\d+\s+(?:mmap|mprotect|pkey_mprotect)\(")


def lines(unit: str, name: str) -> list[str]:
    """A unit setting's lines, each as written after 'name='."""
    return [line.split("=", 1)[1].strip() for line in open(unit) if line.startswith(name + "=")]


def setting(unit: str, name: str) -> list[str]:
    """A list setting's values; systemd adds up repeated lines of these."""
    return [value for line in lines(unit, name) for value in line.split()]


def under(path: str, folders) -> bool:
    return any(path == f or path.startswith(f + "/") for f in folders)


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


# Calls that name a path. All but the opens change the file system; an open does if its flags say so.
PATH_CALLS = ("open|openat|openat2|creat|mkdir|mkdirat|rename|renameat|renameat2|link|linkat|symlink|symlinkat|"
              "unlink|unlinkat|rmdir|truncate|mknod|mknodat|chmod|fchmodat|chown|fchownat|lchown")
WHOLE = re.compile(rf"(\d+)\s+({PATH_CALLS})\((.*)\)\s+=\s+(.*)$")
STARTED = re.compile(rf"(\d+)\s+({PATH_CALLS})\((.*) <unfinished \.\.\.>$")
RESUMED = re.compile(rf"(\d+)\s+<\.\.\. ({PATH_CALLS}) resumed>(.*)\)\s+=\s+(.*)$")
ARG = re.compile(r'(AT_FDCWD|\d+)<([^>]*)>|"((?:[^"\\]|\\.)*)"')
OPENS = {"open", "openat", "openat2"}
PSEUDO_DEVICES = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}  # DevicePolicy=closed
HIDDEN = ("/home", "/root", "/run/user")  # ProtectHome=yes
OWN_PROC = ("/proc/self", "/proc/thread-self")  # a process's own /proc files stay writable


def path_calls(trace: str):
    """(call, arguments, result) of each path-naming call, a call strace split across threads joined."""
    started = {}
    for line in open(trace):
        if m := WHOLE.match(line):
            yield m.group(2), m.group(3), m.group(4)
        elif m := STARTED.match(line):
            started[m.group(1)] = m.group(3)
        elif (m := RESUMED.match(line)) and m.group(1) in started:
            yield m.group(2), started.pop(m.group(1)) + m.group(3), m.group(4)


def accesses(call: str, args: str, result: str):
    """(path, writes, mode) of a path-naming call: the path resolved against the dirfd strace -y shows
    (None where a relative path has no dirfd: mkdir, rename and the like resolve it against the
    working directory, which the log does not give), writes whether it changes the file system, mode
    'r', 'w' or 'rw' as DeviceAllow spells an open's access."""
    if result.startswith("-1 EEXIST"):
        return  # mkdir of a folder that exists, O_CREAT|O_EXCL of a file that does: nothing written
    flags = args.rsplit('", ', 1)[-1]
    writes = call not in OPENS or any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"))
    mode = "rw" if "O_RDWR" in flags else "w" if "O_WRONLY" in flags else "r"
    base, paths = None, []
    for fd, fd_path, text in ARG.findall(args):
        if fd:
            base = fd_path
            continue
        path = text if text.startswith("/") else os.path.join(base, text) if base else None
        paths.append(os.path.normpath(path) if path else None)
        base = None
    if call in ("symlink", "symlinkat"):
        paths = paths[-1:]  # the first string is the link's content, not a path it touches
    opened = re.match(r"\d+<([^>]*)>", result)  # where an open landed, symlinks followed
    if call in OPENS and opened:
        paths = [opened.group(1)]
    for path in paths:
        yield path, writes, mode


def device_groups() -> dict[tuple[str, int], list[str]]:
    """/proc/devices: ('char' or 'block', major) -> its group names (a major can have several, as 4 has
    tty and ttyS), the names DeviceAllow=char-NAME matches."""
    groups, kind = {}, None
    for line in open("/proc/devices"):
        if line.startswith(("Character", "Block")):
            kind = "char" if line.startswith("Character") else "block"
        elif line.strip():
            major, name = line.split(None, 1)
            groups.setdefault((kind, int(major)), []).append(name.strip())
    return groups


def writable_roots(unit: str) -> list[str]:
    roots = [f"{top}/{name}" for key, top in (("StateDirectory", "/var/lib"), ("LogsDirectory", "/var/log"),
                                              ("RuntimeDirectory", "/run"), ("CacheDirectory", "/var/cache"))
             for name in setting(unit, key)]
    roots += [p.lstrip("-") for p in setting(unit, "ReadWritePaths")]
    if setting(unit, "PrivateTmp")[:1] == ["yes"]:
        roots += ["/tmp", "/var/tmp"]
    return roots


def device_verdict(path: str, mode: str, allow: list[tuple[str, str]], groups) -> str | None:
    """None when the unit admits opening this device node with this access, else why not."""
    try:
        st = os.stat(path)
    except OSError as e:
        return f"{path}: cannot stat it to find its device group ({e.strerror})"
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        return None  # not a device: /dev/shm and the like are ordinary files
    if path in PSEUDO_DEVICES:
        return None
    kind = "char" if stat.S_ISCHR(st.st_mode) else "block"
    names = groups.get((kind, os.major(st.st_rdev)), ["?"])
    for spec, access in allow:
        matches = spec == path or (spec.startswith(kind + "-") and
                                   any(fnmatch.fnmatch(name, spec[len(kind) + 1:]) for name in names))
        if matches and set(mode) <= set(access or "rwm"):
            return None
    return f"{path} ({' '.join(kind + '-' + name for name in names)}, {mode})"


def check_paths(trace: str, unit: str) -> str:
    roots = writable_roots(unit)
    allow = [tuple((line.split() + [""])[:2]) for line in lines(unit, "DeviceAllow")]  # (device, access)
    groups = device_groups()
    written, devices, problems = set(), set(), []
    for call, args, result in path_calls(trace):
        for path, writes, mode in accesses(call, args, result):
            if path is None:
                problems.append(f"{call}({args[:80]}): a path relative to the working directory (/, read-only "
                                f"under ProtectSystem=strict)")
                continue
            if under(path, HIDDEN):
                problems.append(f"{call} {path}: hidden by ProtectHome")
            if path.startswith("/dev/"):
                devices.add((path, mode))
                continue
            if writes:
                if under(path, roots):
                    written.add(path)
                elif not under(path, OWN_PROC):
                    problems.append(f"{call} {path}: writes outside {' '.join(roots)}")
    opened = []
    for path, mode in sorted(devices):
        why = device_verdict(path, mode, allow, groups)
        if why:
            problems.append(f"device not admitted by DevicePolicy/DeviceAllow: {why}")
        else:
            opened.append(f"{path} {mode}")
    policy = " ".join(setting(unit, "DevicePolicy"))
    if problems:
        return f"FAIL unit.paths: {'; '.join(dict.fromkeys(problems))}"
    if not written or not opened:
        return f"FAIL unit.paths: expected paths written and devices opened, found {sorted(written)} and {opened}"
    folders = sorted({r for r in roots for p in written if under(p, [r])})
    return (f"ok unit.paths: {len(written)} paths written, all under {' '.join(folders)} (ProtectSystem=strict "
            f"leaves {' '.join(roots)} writable); devices {', '.join(opened)} (DevicePolicy={policy}, "
            f"DeviceAllow); nothing under {' '.join(HIDDEN)} (ProtectHome)")


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
    print(check_paths(trace, unit))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
