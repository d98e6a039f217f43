#!/usr/bin/env bash
# Creates tools/.venv with the pinned dependencies and the edgeinspect package (editable).
# Idempotent: a stamp file records the hash of pyproject.toml; when it matches, nothing is done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.edgeinspect-stamp"
want="$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
    echo "setup-venv: $venv is up to date"
    exit 0
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e "$here[dev]"
echo "$want" > "$stamp"
echo "setup-venv: installed edgeinspect into $venv"
