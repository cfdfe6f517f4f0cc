#!/bin/sh
# make demo: runs runnel's two main jobs on the samples in data/ and shows
# what it prints.
set -e
R=${RUNNEL:-tools/runnel}
# Prints the command as one could paste it, then runs it.
show() {
    line="\$ runnel"
    for a in "$@"; do
        case $a in
        *[!A-Za-z0-9_.,:/=-]*) line="$line '$a'" ;;
        *) line="$line $a" ;;
        esac
    done
    echo "$line"
    "$R" "$@"
    echo
}
show --version
echo "== Which error codes, how often (a gzip'd log, format detected):"
show -o table --stats log data/app.log.gz then filter 'level == ERROR' \
    then extract message 'Error code: (?<code>\d+)' then count-by code
echo "== And the lines around the errors (first 8 lines of output):"
echo "\$ runnel log data/app.log then grep -i -B 1 -e 'error code: 50[34]' | head -8"
"$R" log data/app.log then grep -i -B 1 -e 'error code: 50[34]' | head -8
echo
echo "== Sum and average of amount per category (quoted fields and all):"
show -o table csv data/sales.csv then groupby category count sum:amount \
    mean:amount then sort -nr sum_amount
echo "== Lines of a two-member gzip stream from stdin:"
echo "\$ cat data/app.log.gz data/app.log.gz | runnel -o text lines then count"
cat data/app.log.gz data/app.log.gz | "$R" -o text lines then count
echo
echo "(The ready-made 'runnel errors' and 'runnel agg' are not built yet:"
echo " see README, 'What does not work yet'.)"
