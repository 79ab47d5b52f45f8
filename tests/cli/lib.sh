# Helpers shared by the command-line tests (sourced, not run).
#   run CMD...         runs CMD; sets $rc, stdout in $T/out, stderr in $T/err
#   check DESC TEST... counts TEST (a command) as passed or failed
#   finish             prints "N passed, N failed"; non-zero if any failed
# $T is a fresh temporary directory, removed on exit.

set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/posescope-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
rc=0

run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

check() {
    local desc=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $desc (exit $rc)" >&2
        echo "  stdout: $(head -c 800 "$T/out")" >&2
        echo "  stderr: $(head -c 800 "$T/err")" >&2
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# Predicates for check.
exit_is() { [ "$rc" -eq "$1" ]; }
stderr_lines() { [ "$(wc -l <"$T/err")" -eq "$1" ]; }
stderr_has() { grep -qF -- "$1" "$T/err"; }
stdout_has() { grep -qF -- "$1" "$T/out"; }
stdout_empty() { [ ! -s "$T/out" ]; }

# The model cache the binary uses, by the rule of models/registry.h.
cache_dir() {
    if [ -n "${POSESCOPE_MODELS:-}" ]; then
        echo "$POSESCOPE_MODELS"
    elif [ -n "${XDG_CACHE_HOME:-}" ]; then
        echo "$XDG_CACHE_HOME/posescope/models"
    else
        echo "$HOME/.cache/posescope/models"
    fi
}
