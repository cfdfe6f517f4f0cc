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
    # (time adds a line "Command exited with non-zero status N" for a
    # failed run: only the lines of figures count.)
    grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$DIR/t.$name" >"$DIR/t.$name.ok" || true
    mv "$DIR/t.$name.ok" "$DIR/t.$name"
    wall=$(awk '{print $1}' "$DIR/t.$name" | median)
    cpu=$(awk '{print $2 + $3}' "$DIR/t.$name" | median)
    rss=$(awk '{print $4}' "$DIR/t.$name" | median)
    [ -n "$base_wall" ] || base_wall=$wall
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$bytes" -v bw="$base_wall" \
        'BEGIN { mbs = w > 0 ? b / w / 1e6 : 0; ratio = bw > 0 ? w / bw : 0;
                 printf "| %-28s | %8.0f | %7.2f | %9.1f | %6.2fx |\n", n, mbs, c, r / 1024, ratio }'
}

# Peers that take tens of seconds a run get RUNS_SLOW runs (default 1).
run_slow() {
    _runs=$RUNS
    RUNS=${RUNS_SLOW:-1}
    run "$@"
    RUNS=$_runs
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

# DuckDB, through its Node.js package (make bench-deps installs it with npm
# into $DUCKDB_DIR); the query script sits next to node_modules so that node
# finds the package.
DUCKDB_DIR=${DUCKDB_DIR:-$BUILD/bench/duckdb}
duck=""
if command -v node >/dev/null && [ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ]; then
    cp bench/peers/duckdb.mjs "$DUCKDB_DIR/duckdb.mjs"
    duck="node $DUCKDB_DIR/duckdb.mjs"
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"

header "Count lines"
run runnel-count "$R lines $log then count"
run runnel-count-mmap "$R --mmap lines $log then count"
run wc-l "wc -l <$log"
agree runnel-count wc-l
command -v mawk >/dev/null && { run mawk "mawk 'END {print NR}' $log"; agree runnel-count mawk; }
command -v gawk >/dev/null && { run gawk "gawk 'END {print NR}' $log"; agree runnel-count gawk; }
run read-ceiling "$BUILD/bench/ceiling read $log"

# Memory must not grow with the input: the same count on a tenth of it.
small=$DIR/app-small.log
[ -s "$small" ] || head -c $((bytes / 10)) "$log" >"$small"
[ -s "$small.gz" ] || gzip -1 -c "$small" >"$small.gz"
sbytes=$(wc -c <"$small")
peak() { # CMD: peak RSS in KiB, median of 3
    for _k in 1 2 3; do
        $TIME -f "%M" sh -c "$*" 2>&1 >/dev/null | tail -n 1
    done | median
}
echo
echo "Peak RSS of 'lines then count': $(peak "$R lines $small then count") KiB for $sbytes bytes," \
     "$(peak "$R lines $log then count") KiB for $bytes bytes;" \
     "gzip: $(peak "$R lines $small.gz then count") KiB and $(peak "$R lines $log.gz then count") KiB."

header "Count lines of gzip input"
run runnel-count-gz "$R lines $log.gz then count"
run zcat-wc "gzip -dc $log.gz | wc -l"
agree runnel-count-gz zcat-wc
run zcat "gzip -dc $log.gz"
run inflate-ceiling "$BUILD/bench/ceiling inflate $log.gz"

csv=$DIR/sales-$SIZE.csv
[ -s "$csv" ] || { echo "generating $csv"; $GEN csv "$SIZE" >"$csv"; }
bytes=$(wc -c <"$csv")

header "Read CSV and count records (5% quoted fields)"
run runnel-csv "$R csv $csv then count"
command -v mlr >/dev/null && { run_slow miller "mlr --icsv --ocsv count $csv"; agree runnel-csv miller; }
if command -v python3 >/dev/null; then
    run_slow python-csv "python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1], newline=\"\")); next(r); print(sum(1 for _ in r))' $csv"
    agree runnel-csv python-csv
fi
run read-ceiling "$BUILD/bench/ceiling read $csv"

bytes=$(wc -c <"$log")
header "Parse a pipe-format log and count records"
run runnel-log "$R log $log then count"
command -v mawk >/dev/null && { run mawk "mawk -F'|' 'NF >= 3 {n++} END {print n}' $log"; agree runnel-log mawk; }

# ---- the two main jobs ------------------------------------------------------

bytes=$(wc -c <"$log")
header "Log job: ERROR lines, extract the code, count by code"
run runnel-log-job "$R -o csv log $log then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code"
run grep-pipeline "grep -F '|ERROR|' $log | grep -oE 'Error code: [0-9]+' | sort | uniq -c | sort -rn"
command -v rg >/dev/null && run ripgrep-pipeline "rg -F '|ERROR|' $log | rg -o 'Error code: [0-9]+' | sort | uniq -c | sort -rn"
command -v mawk >/dev/null && run mawk "mawk -F'|' '\$2 == \"ERROR\" && match(\$3, /Error code: [0-9]+/) {c[substr(\$3, RSTART + 12, RLENGTH - 12)]++} END {for (k in c) print k, c[k]}' $log"
if command -v python3 >/dev/null; then
    run_slow python-generators "python3 bench/peers/log_job.py $log"
fi
if [ -n "$duck" ]; then
    logsql="select regexp_extract(column2, 'Error code: (\\d+)', 1) as code, count(*) as n from read_csv('$log', delim='|', header=false, quote='', escape='', columns={'column0': 'VARCHAR', 'column1': 'VARCHAR', 'column2': 'VARCHAR'}) where column1 = 'ERROR' and code <> '' group by code order by n desc, code"
    run duckdb-1-thread "$duck 1 \"$logsql\""
    run duckdb-2-threads "$duck 2 \"$logsql\""
fi
run memmem-ceiling "$BUILD/bench/ceiling memmem $log '|ERROR|'"
run read-ceiling "$BUILD/bench/ceiling read $log"
top_a=$(sed -n 2p "$DIR/out.runnel-log-job" | cut -d, -f2)
top_b=$(head -1 "$DIR/out.grep-pipeline" | awk '{print $1}')
[ "$top_a" = "$top_b" ] || { echo "bench: log job disagrees: $top_a vs $top_b" >&2; exit 1; }
for peer in python-generators duckdb-1-thread; do
    [ -s "$DIR/out.$peer" ] || continue
    top_c=$(grep -v '^code' "$DIR/out.$peer" | head -1 | cut -d, -f2)
    [ "$top_a" = "$top_c" ] || { echo "bench: log job disagrees: runnel $top_a vs $peer $top_c" >&2; exit 1; }
done

bytes=$(wc -c <"$log.gz")
header "Log job on gzip input ($(awk -v b="$bytes" 'BEGIN{printf "%.0f MB compressed", b/1e6}'))"
run runnel-log-job-gz "$R -o csv log $log.gz then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code"
run zcat-grep-pipeline "gzip -dc $log.gz | grep -F '|ERROR|' | grep -oE 'Error code: [0-9]+' | sort | uniq -c | sort -rn"
run inflate-ceiling "$BUILD/bench/ceiling inflate $log.gz"

bytes=$(wc -c <"$csv")
header "CSV job: count, sum and mean of amount by category"
run runnel-csv-job "$R -o csv csv $csv then groupby category count sum:amount mean:amount"
command -v mlr >/dev/null && run_slow miller "mlr --icsv --ocsv stats1 -a count,sum,mean -f amount -g category $csv"
command -v mawk >/dev/null && run mawk-unaware-of-quotes "mawk -F, 'NR > 1 {n[\$3]++; s[\$3] += \$4} END {for (k in n) print k, n[k], s[k], s[k] / n[k]}' $csv"
if command -v python3 >/dev/null; then
    run_slow python-csv "python3 -c 'import csv,sys,collections; r=csv.reader(open(sys.argv[1], newline=\"\")); next(r); n=collections.Counter(); s=collections.Counter()
for row in r:
    n[row[2]] += 1
    try: s[row[2]] += float(row[3])
    except ValueError: pass
print(len(n))' $csv"
fi
if [ -n "$duck" ]; then
    csvsql="select category, count(*) as n, sum(try_cast(amount as double)) as s, avg(try_cast(amount as double)) as m from read_csv('$csv', types={'amount': 'VARCHAR'}) group by category order by n desc"
    run duckdb-1-thread "$duck 1 \"$csvsql\""
    run duckdb-2-threads "$duck 2 \"$csvsql\""
    # The same groups, and the largest has the same count.
    n_a=$(tail -n +2 "$DIR/out.runnel-csv-job" | wc -l)
    n_b=$(wc -l <"$DIR/out.duckdb-1-thread")
    c_a=$(tail -n +2 "$DIR/out.runnel-csv-job" | awk -F, '{print $(NF - 2)}' | sort -n | tail -1)
    c_b=$(awk -F, '{print $(NF - 2)}' "$DIR/out.duckdb-1-thread" | sort -n | tail -1)
    [ "$n_a" = "$n_b" ] && [ "$c_a" = "$c_b" ] ||
        { echo "bench: csv job disagrees: runnel $n_a groups, largest $c_a; duckdb $n_b, $c_b" >&2; exit 1; }
fi
# datamash is not run: it needs the same number of fields on every line, so
# a quoted comma ("Baby, Kids") stops it with an error.
run read-ceiling "$BUILD/bench/ceiling read $csv"

bytes=$(wc -c <"$log")
header "grep -i -B 3 for four words on the log"
# Through a pipe for every tool: GNU grep stops at the first match when its
# output is /dev/null.
run runnel-grep "$R lines $log then grep -i -B 3 -e error -e exception -e fail -e critical | wc -l"
run gnu-grep "grep -i -B 3 -e error -e exception -e fail -e critical $log | wc -l"
agree runnel-grep gnu-grep
command -v rg >/dev/null && { run ripgrep "rg -i -B 3 -e error -e exception -e fail -e critical $log | wc -l"; agree runnel-grep ripgrep; }

echo
echo "Peak RSS (KiB), a tenth of the input against all of it:"
scsv=$DIR/sales-small.csv
[ -s "$scsv" ] || head -c $((bytes / 10)) "$csv" >"$scsv"
echo "  log job:  $(peak "$R log $small then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code") / $(peak "$R log $log then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code")"
echo "  csv job:  $(peak "$R csv $scsv then groupby category count sum:amount mean:amount") / $(peak "$R csv $csv then groupby category count sum:amount mean:amount")"
echo "  grep -B3: $(peak "$R lines $small then grep -i -B 3 -e error -e exception -e fail -e critical") / $(peak "$R lines $log then grep -i -B 3 -e error -e exception -e fail -e critical")"

# Peak RSS on a much larger input (BENCH_BIG, e.g. 10G; off by default: it
# takes 10 GB of disk for each file).
if [ -n "${BENCH_BIG:-}" ]; then
    blog=$DIR/app-$BENCH_BIG.log
    bcsv=$DIR/sales-$BENCH_BIG.csv
    [ -s "$blog" ] || { echo "generating $blog"; $GEN log "$BENCH_BIG" >"$blog"; }
    [ -s "$bcsv" ] || { echo "generating $bcsv"; $GEN csv "$BENCH_BIG" >"$bcsv"; }
    echo "Peak RSS (KiB) on $BENCH_BIG:"
    echo "  log job:  $(peak "$R log $blog then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code")"
    echo "  csv job:  $(peak "$R csv $bcsv then groupby category count sum:amount mean:amount")"
fi

# ---- cost per record of each stage ------------------------------------------
# CPU time (user + sys, median of RUNS) of a chain with the stage, less the
# same chain without it, over the records that enter the stage.
cpu_of() {
    _i=0
    while [ $_i -lt "$RUNS" ]; do
        $TIME -f "%U %S" sh -c "$*" 2>&1 >/dev/null | tail -n 1 | awk '{print $1 + $2}'
        _i=$((_i + 1))
    done | median
}
stage_cost() { # NAME RECORDS BASE-CMD CMD
    _b=$(cpu_of "$3")
    _c=$(cpu_of "$4")
    awk -v n="$1" -v r="$2" -v b="$_b" -v c="$_c" \
        'BEGIN { printf "| %-44s | %6.1f |\n", n, (c - b) * 1e9 / r }'
}
nlog=$($R lines "$log" then count | tail -n 1)
ncsv=$($R csv "$csv" then count | tail -n 1)
nerr=$($R log "$log" then filter 'level == ERROR' then count | tail -n 1)
echo
echo "### Cost per record of each stage (ns, CPU time, median of $RUNS runs)"
echo
echo "| stage (records in: $nlog log lines, $ncsv CSV rows) | ns/record |"
echo "|----------------------------------------------|--------|"
stage_cost "lines reader (over read())" "$nlog" "$BUILD/bench/ceiling read $log" "$R lines $log then count"
stage_cost "pipe-format log parse (over lines)" "$nlog" "$R lines $log then count" "$R log --format pipe $log then count"
stage_cost "filter 'level == ERROR', every line evaluated (written 'not (level != ERROR)', which pushes nothing down)" "$nlog" "$R log --format pipe $log then count" "$R log --format pipe $log then filter 'not (level != ERROR)' then count"
stage_cost "lines, log parse and filter 'level == ERROR' with pushdown: the reader skips lines without 'error' in any case (over read())" "$nlog" "$BUILD/bench/ceiling read $log" "$R log --format pipe $log then filter 'level == ERROR' then count"
stage_cost "extract the error code (ERROR lines)" "$nerr" "$R log --format pipe $log then filter 'level == ERROR' then count" "$R log --format pipe $log then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count"
stage_cost "count-by code (ERROR lines)" "$nerr" "$R log --format pipe $log then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count" "$R log --format pipe $log then filter 'level == ERROR' then extract message 'Error code: (?<code>\\d+)' then count-by code then count"
stage_cost "grep -i, four patterns, -B 3 (over lines)" "$nlog" "$R lines $log then count" "$R lines $log then grep -i -B 3 -e error -e exception -e fail -e critical then count"
stage_cost "CSV reader, 6 fields (over read())" "$ncsv" "$BUILD/bench/ceiling read $csv" "$R csv $csv then count"
stage_cost "groupby category count sum mean" "$ncsv" "$R csv $csv then count" "$R csv $csv then groupby category count sum:amount mean:amount then count"
stage_cost "filter 'amount > 100 and category == books'" "$ncsv" "$R csv $csv then count" "$R csv $csv then filter 'amount > 100 and category == books' then count"
stage_cost "select 2 of 6 fields" "$ncsv" "$R csv $csv then count" "$R csv $csv then select category,amount then count"
stage_cost "uniq category" "$ncsv" "$R csv $csv then count" "$R csv $csv then uniq category then count"
stage_cost "top 10 amount" "$ncsv" "$R csv $csv then count" "$R csv $csv then top 10 amount then count"
stage_cost "sort -n amount (first 1,000,000 rows)" 1000000 "$R csv $csv then head 1000000 then count" "$R csv $csv then head 1000000 then sort -n amount --max-records 1000000 then count"
