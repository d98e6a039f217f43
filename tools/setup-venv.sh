#!/usr/bin/env bash
# Creates tools/.venv with the pinned dependencies and the edgeinspect package (editable).
# --bench also installs the optional `bench` extra (ONNX Runtime, ncnn, pnnx) for bench-compare.
# Idempotent: a stamp file records the hash of pyproject.toml and the extras; when it matches,
# nothing is done.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
extras="dev"
[[ "${1:-}" == "--bench" ]] && extras="dev,bench"
stamp="$venv/.edgeinspect-stamp"
want="$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1) $extras"

# Up to date: same pyproject and the same extras, or a plain setup over a venv that has bench too.
if [[ -f "$stamp" && -x "$venv/bin/python" ]] &&
   [[ "$(cat "$stamp")" == "$want" || "$(cat "$stamp")" == "${want% *} dev,bench" ]]; then
    echo "setup-venv: $venv is up to date"
    exit 0
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e "$here[$extras]"
echo "$want" > "$stamp"
echo "setup-venv: installed edgeinspect[$extras] into $venv"
