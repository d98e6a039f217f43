#!/bin/bash
# The daemon scenarios, run by guest.sh inside the guest once camera and GPIO are up and checked.
# Needs an edge-inspect with the `watch` command; without one it says so and checks nothing.
set -u
if ! "$FT_BIN" help watch >/dev/null 2>&1; then
    echo "skip daemon: $FT_BIN has no 'watch' command" >> "$checks"
    echo "fieldtest: skip daemon scenarios: $FT_BIN has no 'watch' command"
    exit 0
fi
