# Shared helpers for strata's shell end-to-end tests.
# Each test sources this, uses `check COND MESSAGE`, and ends with `finish`.
set -u
STRATA=${STRATA_BINARY_DIR:?}/strata
IMGCMP=${STRATA_BINARY_DIR}/tests/support/imgcmp
TMP=$(mktemp -d /tmp/strata-e2e-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

check() {
    checks=$((checks + 1))
    if eval "$1"; then
        echo "ok: $2"
    else
        echo "FAIL: $2   ($1)"
        failures=$((failures + 1))
    fi
}

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
    exit $?
}
