#!/usr/bin/env bash
# Prepares a machine for MynaFace: Debian packages (only the missing ones) and the pinned models.
# Idempotent: a second run installs and downloads nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-system-deps.sh"
bash "$here/fetch-models.sh"
