#!/bin/sh
# make demo: runs runnel on the samples in data/ and shows what it prints.
set -e
R=${RUNNEL:-tools/runnel}
show() {
    echo "\$ $*"
    "$@"
    echo
}
show $R --version
show $R -o text lines data/app.log then count
show $R -o text lines data/app.log.gz then count
echo "\$ $R lines data/app.log | head -3"
$R lines data/app.log | head -3
echo
echo "\$ cat data/app.log.gz data/app.log.gz | $R -o text lines then count   # two gzip members"
cat data/app.log.gz data/app.log.gz | $R -o text lines then count
echo
echo "(The log and CSV jobs, 'runnel errors' and 'runnel agg', are not built"
echo " yet: see README, 'What does not work yet'.)"
