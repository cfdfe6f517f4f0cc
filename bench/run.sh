#!/bin/sh
# make bench: generates inputs (BENCH_SIZE, default 1G; kept in BENCH_DIR, not
# in the repo), runs runnel and each installed peer RUNS times (default 5),
# checks that they agree, and prints medians: MB/s, CPU seconds, peak RSS and
# the ratio of each peer's time to runnel's.
set -e
BUILD=${BUILD:-build}
R=${RUNNEL:-tools/runnel}
SIZE=${BENCH_SIZE:-1G}
RUNS=${RUNS:-5}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/runnel-bench}
GEN=$BUILD/tests/gen
mkdir -p "$DIR"
TIME=/usr/bin/time
if [ ! -x $TIME ]; then
    echo "bench: /usr/bin/time is missing; 'make bench-deps' installs it" >&2
    exit 2
fi

log=$DIR/app-$SIZE.log
[ -s "$log" ] || { echo "generating $log"; $GEN log "$SIZE" >"$log"; }
[ -s "$log.gz" ] || { echo "compressing $log.gz"; gzip -1 -c "$log" >"$log.gz"; }
bytes=$(wc -c <"$log")

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME CMD: RUNS timed runs after one warm-up; prints a table row and
# keeps the output of the last run in $DIR/out.NAME.
base_wall=""
run() {
    name=$1
    shift
    sh -c "$*" >"$DIR/out.$name" 2>/dev/null || true
    : >"$DIR/t.$name"
    i=0
    while [ $i -lt "$RUNS" ]; do
        $TIME -f "%e %U %S %M" -a -o "$DIR/t.$name" sh -c "$*" >/dev/null 2>&1 || true
        i=$((i + 1))
    done
    wall=$(awk '{print $1}' "$DIR/t.$name" | median)
    cpu=$(awk '{print $2 + $3}' "$DIR/t.$name" | median)
    rss=$(awk '{print $4}' "$DIR/t.$name" | median)
    [ -n "$base_wall" ] || base_wall=$wall
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$bytes" -v bw="$base_wall" \
        'BEGIN { mbs = w > 0 ? b / w / 1e6 : 0; ratio = bw > 0 ? w / bw : 0;
                 printf "| %-28s | %8.0f | %7.2f | %9.1f | %6.2fx |\n", n, mbs, c, r / 1024, ratio }'
}

header() {
    echo
    echo "### $1 ($(awk -v b="$bytes" 'BEGIN{printf "%.0f MB", b/1e6}'), median of $RUNS runs)"
    echo
    echo "| tool                         |     MB/s |  CPU s | peak MiB | time/runnel |"
    echo "|------------------------------|----------|--------|----------|--------|"
    base_wall=""
}

agree() {
    a=$(tail -n 1 "$DIR/out.$1" | tr -dc '0-9')
    b=$(tail -n 1 "$DIR/out.$2" | tr -dc '0-9')
    if [ "$a" != "$b" ]; then
        echo "bench: $1 says $a but $2 says $b" >&2
        exit 1
    fi
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"

header "Count lines"
run runnel-count "$R lines $log then count"
run runnel-count-mmap "$R --mmap lines $log then count"
run wc-l "wc -l <$log"
agree runnel-count wc-l
command -v mawk >/dev/null && { run mawk "mawk 'END {print NR}' $log"; agree runnel-count mawk; }
command -v gawk >/dev/null && { run gawk "gawk 'END {print NR}' $log"; agree runnel-count gawk; }
run read-ceiling "$BUILD/bench/ceiling read $log"

header "Count lines of gzip input"
run runnel-count-gz "$R lines $log.gz then count"
run zcat-wc "gzip -dc $log.gz | wc -l"
agree runnel-count-gz zcat-wc
run zcat "gzip -dc $log.gz"
run inflate-ceiling "$BUILD/bench/ceiling inflate $log.gz"
