# Shared by run.sh and test.sh: make sure some Debian/Ubuntu packages are installed.
#
# Used for what only the system's packages provide: the female voices (festival, flite,
# espeak-ng), and for the tests the servers they start (PostgreSQL, Redis) and Chromium.
# Each is optional for os1 itself (it works in text without the voices), so when this can't
# install (not root and no password-less sudo, or not a Debian-like system) it says exactly
# what to install and returns 0 instead of stopping the start. It runs at every start, so it
# is silent (one dpkg-query, no apt) when everything is already there.
#
#   ensure_debian_packages [--for "what they are for"] PACKAGE...

# The packages among the arguments that aren't installed, space-separated.
missing_debian_packages() {
    local pkg status missing=()
    for pkg in "$@"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != *" installed" ]]; then
            missing+=("$pkg")
        fi
    done
    echo "${missing[*]}"
}

ensure_debian_packages() {
    local purpose="some of its features"
    if [ "${1:-}" = "--for" ]; then
        purpose="$2"
        shift 2
    fi
    if [ "$#" -eq 0 ]; then
        return 0
    fi
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "os1 needs these packages for $purpose: $*" >&2
        echo "     Install them with your system's package manager (everything else in os1" \
             "works without them)." >&2
        return 0
    fi
    local missing
    missing="$(missing_debian_packages "$@")"
    if [ -z "$missing" ]; then
        return 0
    fi
    local -a as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            as_root=(sudo -n)
        else
            echo "os1 needs these Debian packages for $purpose, and they aren't installed: $missing" >&2
            echo "     Install them with: sudo apt-get install $missing" >&2
            echo "     (Everything else in os1 works without them.)" >&2
            return 0
        fi
    fi
    echo "==> installing Debian packages: $missing"
    local log
    log="$(mktemp -t os1-apt.XXXXXX)"
    # shellcheck disable=SC2086  # $missing is a list of package names, split on purpose
    if ! _os1_apt "${as_root[@]+"${as_root[@]}"}" install $missing >"$log" 2>&1; then
        # Usually the package lists are missing or stale (fresh containers ship none).
        echo "==> refreshing the package lists (apt-get update)"
        _os1_apt "${as_root[@]+"${as_root[@]}"}" update >>"$log" 2>&1 || true
        # shellcheck disable=SC2086
        if ! _os1_apt "${as_root[@]+"${as_root[@]}"}" install $missing >>"$log" 2>&1; then
            # One unknown package fails the whole command: install the others one by one.
            local pkg
            for pkg in $missing; do
                _os1_apt "${as_root[@]+"${as_root[@]}"}" install "$pkg" >>"$log" 2>&1 || true
            done
        fi
    fi
    missing="$(missing_debian_packages "$@")"
    if [ -n "$missing" ]; then
        echo "os1 needs these Debian packages for $purpose, and couldn't install them: $missing" >&2
        echo "     (apt's output is in $log.) Install them with: sudo apt-get install $missing" >&2
        echo "     (Everything else in os1 works without them.)" >&2
    else
        rm -f "$log"
    fi
    return 0
}

# apt-get, quiet and non-interactive, optionally through "sudo -n" (given before the verb).
_os1_apt() {
    local -a prefix=()
    while [ "$#" -gt 0 ] && [ "$1" != install ] && [ "$1" != update ]; do
        prefix+=("$1")
        shift
    done
    local verb="$1"
    shift
    if [ "$verb" = install ]; then
        "${prefix[@]+"${prefix[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "$@"
    else
        "${prefix[@]+"${prefix[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    fi
}
