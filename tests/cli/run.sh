#!/bin/sh
# Runs every tests/cli/test_*.sh in one shell so the counts add up.
. tests/cli/lib.sh
for f in tests/cli/test_*.sh; do
    echo "-- $f"
    . "$f"
done
echo "command-line checks: $cli_pass passed, $cli_fail failed"
[ "$cli_fail" = 0 ]
