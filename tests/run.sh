#!/bin/sh
# Runs every unit test binary, the fuzz targets' replays over their corpora
# (tests/fuzz/), then the command-line tests, and ends with one
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
# Each fuzz target's replay over its saved corpus is one test program.
for r in "$BUILD"/fuzz/replay_*; do
    [ -x "$r" ] || continue
    corpus=tests/fuzz/corpus/${r##*/replay_}
    echo "== $r $corpus"
    if "$r" "$corpus"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $r"
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
