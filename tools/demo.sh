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
echo "== Which error codes, how often (a gzip'd log, its format detected):"
show -o table errors data/app.log.gz
echo "== The chain that job runs:"
show --explain errors data/app.log.gz
echo "== And the lines around the errors (first 8 lines of output):"
echo "\$ runnel log data/app.log then grep -i -B 1 -e 'error code: 50[34]' | head -8"
"$R" log data/app.log then grep -i -B 1 -e 'error code: 50[34]' | head -8
echo
echo "== Sum and average of amount per category (quoted fields and all):"
show -o table agg -g category -a count -a sum:amount -a mean:amount data/sales.csv
echo "== The same as a chain, sorted by the sum:"
show -o table csv data/sales.csv then groupby category count sum:amount \
    mean:amount then sort -nr sum_amount
echo "== Lines of a two-member gzip stream from stdin:"
echo "\$ cat data/app.log.gz data/app.log.gz | runnel -o text lines then count"
cat data/app.log.gz data/app.log.gz | "$R" -o text lines then count
