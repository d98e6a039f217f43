#!/usr/bin/env bash
# The field test: boots Debian's own kernel under qemu (TCG: no KVM needed) with a virtual camera
# (vivid) and a simulated GPIO chip (gpio-sim), runs guest.sh there against the host-built
# edge-inspect, then boots it again with systemd as PID 1 to run the shipped unit (systemd-guest.sh),
# and judges the checks both wrote. Usage: tools/fieldtest/run.sh [EDGE_INSPECT_BINARY]
# (default $EDGE_INSPECT_BIN, else a release build). FIELDTEST_REQUIRE_DAEMON=1 fails when the binary
# has no `watch` command instead of reporting the daemon scenarios as skipped.
# Results (checks.txt, console.log, console-systemd.log, the daemon's log and images) land in .build-fieldtest/results/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
tools/fieldtest/install-deps.sh
cache=$(tools/fieldtest/prepare.sh | tail -1)

bin=${1:-${EDGE_INSPECT_BIN:-}}
if [[ -z $bin ]]; then
    # haswell: the guest CPU below has no AVX-512, which a host build would otherwise use (Package.swift).
    EDGEINSPECT_TARGET_CPU=haswell swift build -c release --scratch-path .build-fieldtest/swift >/dev/null
    bin=$(EDGEINSPECT_TARGET_CPU=haswell swift build -c release --scratch-path .build-fieldtest/swift --show-bin-path)/edge-inspect
fi
out="$repo/.build-fieldtest"
mkdir -p "$out/bin"
# The guest sees the host's root, except /tmp and /run, which are its own; the checkout reaches it
# through a share of its own (init.sh), so the binary goes in beside the probe wherever it was built.
cp "$(realpath "$bin")" "$out/bin/edge-inspect"
bin=$out/bin/edge-inspect
case $repo in *[[:space:]]*) echo "fieldtest: the kernel command line cannot carry the path '$repo'" >&2; exit 2;; esac
gcc -O2 -Wall -Werror -o "$out/bin/gpio-probe" tools/fieldtest/gpio-probe.c
results="$out/results"
rm -rf "$results"
mkdir -p "$results"
cat > "$results/env" <<ENV
FT_REPO=$repo
FT_MODULES=$cache/root
FT_PROBE=$out/bin/gpio-probe
FT_BIN=$bin
ENV

# boot SCRIPT CONSOLE [KERNEL ARGUMENTS]: one guest that runs tools/fieldtest/SCRIPT, then powers off.
# -cpu max: the x86-64 features TCG emulates (AVX2, FMA, not AVX-512), so the binary must target
# haswell: tools/test.sh passes the Embedded host build, which does.
boot() {
    local start
    start=$(date +%s)
    timeout "${FIELDTEST_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
        -nographic -no-reboot -net none \
        -kernel "$cache/vmlinuz" -initrd "$cache/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 fieldtest.repo=$repo fieldtest.script=$repo/tools/fieldtest/$1 ${3:-}" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
        -virtfs "local,path=$repo,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
        -virtfs "local,path=$results,mount_tag=results,security_model=none" \
        > "$results/$2" 2>&1 || echo "fieldtest: qemu exited with $?" >> "$results/$2"
    echo "fieldtest: $1 ran $(( $(date +%s) - start )) s ($(awk '{print $1, $2}' "$cache/ready"))"
}
checks="$results/checks.txt"
boot guest.sh console.log
# The second boot has systemd as PID 1 and the shipped unit run by it (systemd-guest.sh), with the
# config of the first boot's sandbox scenario. The host's /etc/fstab and disks are not the guest's:
# a mount that cannot be made there would fail local-fs.target and end in emergency mode.
daemon=$(grep -q "^skip daemon" "$checks" 2>/dev/null && echo skipped || echo ran)
if [[ $daemon == ran ]]; then
    boot systemd-guest.sh console-systemd.log "fieldtest.init=systemd fstab=no systemd.gpt_auto=no luks=no"
fi

# Every check guest.sh makes must be there and pass: a check that did not run is a failure.
expected=(gpio.chip gpio.name.reject gpio.name.ok gpio.name.ng gpio.name.ready gpio.name.fault
          gpio.name.trigger gpio.output.high gpio.output.released gpio.input.pull-up
          gpio.input.pull-down vivid.rate vivid.still vivid.in-use vivid.disconnect vivid.unload
          vivid.reload)
# The daemon scenarios (daemon-scenarios.sh), when the binary has a `watch` command.
daemon_checks=(daemon.ready normal.capture-rate normal.scored normal.accounting normal.no-alert
               normal.ok-line abnormal.reject abnormal.pulse abnormal.pulse-per-alert abnormal.ng-line
               abnormal.log abnormal.images
               recovered.ok-line loss.fault loss.ready-low loss.log loss.unload loss.reconnect loss.scoring-resumes
               loss.no-false-alert term.exit term.time term.log term.released
               trigger.idle trigger.one-frame trigger.reject trigger.no-deadline-miss trigger.exit
               rotate.files rotate.sizes rotate.lines watchdog.pings unit.syscalls unit.sandbox unit.paths
               systemd.pid1 systemd.start systemd.sandbox systemd.devices systemd.alert systemd.watchdog
               systemd.stop)
[[ $daemon == ran ]] && expected+=("${daemon_checks[@]}")
status=0
if [[ ! -s $checks ]]; then
    echo "fieldtest: the guest wrote no checks; console:" >&2; tail -40 "$results/console.log" >&2; exit 1
fi
cat "$checks"
for name in "${expected[@]}"; do
    grep -q "^ok $name:" "$checks" || { grep -q "^FAIL $name:" "$checks" || echo "MISSING $name"; status=1; }
done
grep -q "^FAIL " "$checks" && status=1
if [[ $daemon == skipped && ${FIELDTEST_REQUIRE_DAEMON:-0} == 1 ]]; then
    echo "fieldtest: the daemon scenarios are required (FIELDTEST_REQUIRE_DAEMON=1)"; status=1
fi
if ((status)); then
    for log in console.log console-systemd.log; do
        [[ -f $results/$log ]] && { echo "fieldtest: FAILED; the guest's $log:" >&2; tail -40 "$results/$log" >&2; }
    done
fi
exit $status
