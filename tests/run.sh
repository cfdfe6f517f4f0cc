#!/bin/sh
# Runs every unit test binary, then the command-line tests, and ends with one
# line "N passed, N failed". Exits non-zero if anything failed.
# BUILD: the build folder (default build); RUNNEL: the program under test.
BUILD=${BUILD:-build}
RUNNEL=${RUNNEL:-tools/runnel}
export BUILD RUNNEL
passed=0
failed=0
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $t"
    fi
done
echo "== command-line tests ($RUNNEL)"
if sh tests/cli/run.sh; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAILED: command-line tests"
fi
echo "test programs: $passed passed, $failed failed"
[ "$failed" = 0 ]
