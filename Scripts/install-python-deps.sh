#!/usr/bin/env bash
# Makes the pinned Python packages the ONNX parity fixtures and the onnxruntime comparison need available, and
# prints the python3 to use: the system python3 when it already has them, else a virtual environment under the
# cache root (<cache root>/onnx-venv) with them installed from PyPI. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
pins=(numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0)
check='import numpy, onnx, onnxruntime, sys; sys.exit(0 if (onnx.__version__, onnxruntime.__version__) == ("1.23.2", "1.32.0") else 1)'
if python3 -c "$check" 2>/dev/null; then
  command -v python3
  exit 0
fi
venv="$mynaface_cache_root/onnx-venv"
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "$check" 2>/dev/null; then
  echo "install-python-deps: installing ${pins[*]} into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/python3" -m pip install --quiet "${pins[@]}" >&2
fi
echo "$venv/bin/python3"
