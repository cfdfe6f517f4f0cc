# Stages against independent references: GNU grep for grep, an awk/sort/uniq
# pipeline for the log job, Python's csv module with exact decimals for
# groupby (skipped, and said so, where python3 is missing).

G=$BUILD/tests/gen
$G log 2M 3 >"$T/app.log"
$G csv 2M 5 >"$T/sales.csv"

# grep: the same lines and "--" separators as GNU grep.
grep -i -B 3 -e error -e exception -e fail -e critical "$T/app.log" >"$T/grep.want"
expect_file "grep -i -B 3 like GNU grep" 0 "$T/grep.want" \
    "$RUNNEL" lines "$T/app.log" then grep -i -B 3 -e error -e exception -e fail -e critical
expect_file "grep on log records prints the lines" 0 "$T/grep.want" \
    "$RUNNEL" log "$T/app.log" then grep -i -B 3 -e error -e exception -e fail -e critical
grep -v -C 1 -e INFO "$T/app.log" >"$T/grep2.want"
expect_file "grep -v -C 1 like GNU grep" 0 "$T/grep2.want" \
    "$RUNNEL" lines "$T/app.log" then grep -v -C 1 -e INFO

# The log job: filter level, extract the code, count by code (count desc,
# then code ascending).
awk -F'|' 'tolower($2) == "error" && match($3, /Error code: [0-9]+/) {
               print substr($3, RSTART + 12, RLENGTH - 12) }' "$T/app.log" |
    sort | uniq -c | sort -k1,1nr -k2,2 | awk '{print $2 "," $1}' >"$T/codes.want"
{ echo "code,count"; cat "$T/codes.want"; } >"$T/codes.want.csv"
EI_PRE="-o csv" each_input "log job" 0 "$(cat "$T/codes.want.csv")" "$T/app.log" log \
    then filter 'level == ERROR' then extract message 'Error code: (?<code>\d+)' then count-by code
expect_file "log job, level in lower case" 0 "$T/codes.want.csv" "$RUNNEL" -o csv log "$T/app.log" \
    then filter level == error then extract 'Error code: (?<code>\d+)' then count-by code

# groupby against Python's csv module and Decimal.
if command -v python3 >/dev/null 2>&1; then
    python3 tests/reference/groupby_ref.py "$T/sales.csv" >"$T/group.want"
    EI_PRE="-o csv" each_input "groupby vs python reference" 0 "$(cat "$T/group.want")" "$T/sales.csv" csv \
        then groupby category count sum:amount mean:amount min:amount max:amount
else
    echo "  (python3 not found: the groupby reference comparison is skipped;"
    echo "   tests/unit/test_groupby.c checks the same aggregates in C)"
fi

# The other verbs, each against a small reference.
printf 'k,v\nb,2\na,10\nb,3\nc,\nа,x\n' >"$T/kv.csv"
expect "select" 0 "$(printf 'v\n2\n10\n3\n\nx')" "$RUNNEL" -o csv csv "$T/kv.csv" then select v
expect "reject" 0 "$(printf 'k\nb\na\nb\nc\nа')" "$RUNNEL" -o csv csv "$T/kv.csv" then reject v
expect "rename" 0 "$(printf 'key,v\nb,2')" "$RUNNEL" -o csv csv "$T/kv.csv" then rename k=key then head 1
expect "head" 0 "$(head -3 "$T/app.log")" "$RUNNEL" lines "$T/app.log" then head 3
expect "skip" 0 "$(sed -n '4,5p' "$T/app.log")" "$RUNNEL" lines "$T/app.log" then skip 3 then head 2
expect "tail" 0 "$(tail -4 "$T/app.log")" "$RUNNEL" lines "$T/app.log" then tail 4
expect "uniq" 0 "$(printf 'k,v\nb,2\na,10\nc,\nа,x')" "$RUNNEL" -o csv csv "$T/kv.csv" then uniq k
expect "sort -n" 0 "$(printf 'k,v\nb,2\nb,3\na,10\nc,\nа,x')" "$RUNNEL" -o csv csv "$T/kv.csv" then sort -n v
expect "sort -r" 0 "$(printf 'k,v\nа,x\nc,\nb,2\nb,3\na,10')" "$RUNNEL" -o csv csv "$T/kv.csv" then sort -r k
expect "top" 0 "$(printf 'k,v\na,10\nb,3')" "$RUNNEL" -o csv csv "$T/kv.csv" then top 2 v
expect "count-by" 0 "$(printf 'k,count\nb,2\na,1\nc,1\nа,1')" "$RUNNEL" -o csv csv "$T/kv.csv" then count-by k
expect "groupby skips non-numbers" 0 "$(printf 'count,sum_v\n5,15')" "$RUNNEL" -o csv csv "$T/kv.csv" then groupby count sum:v
n=$("$RUNNEL" lines "$T/app.log" then sample 10 --seed 7 | wc -l | tr -d ' ')
[ "$n" = 10 ] && cli_pass=$((cli_pass + 1)) || cli_bad "sample 10 gave $n lines"
"$RUNNEL" lines "$T/app.log" then sample 10 --seed 7 >"$T/s1"
"$RUNNEL" lines "$T/app.log" then sample 10 --seed 7 >"$T/s2"
cmp -s "$T/s1" "$T/s2" && cli_pass=$((cli_pass + 1)) || cli_bad "sample with a seed repeats"
expect "filter (x > 2 compares bytes: not both numbers)" 0 "$(printf 'k,v\na,10\nb,3\nа,x')" "$RUNNEL" -o csv csv "$T/kv.csv" then filter 'v > 2'
expect "filter strings" 0 "$(printf 'k,v\nb,2\nb,3')" "$RUNNEL" -o csv csv "$T/kv.csv" then filter k == b
expect "head ends endless input" 0 "$(printf 'y\ny')" sh -c 'yes | "$0" lines then head 2' "$RUNNEL"
expect "head of /dev/zero lines" 0 "count
1" sh -c 'head -c 1000000 /dev/zero | "$0" lines then head 1 then count' "$RUNNEL"

# Errors: usage errors before any output, exit 2, one line.
expect_err "unknown field, suggested" 2 "no field 'amout'.*did you mean 'amount'" \
    "$RUNNEL" csv "$T/sales.csv" then groupby category sum:amout
expect_err "unknown field in filter" 2 "filter: no field 'levl'" "$RUNNEL" log "$T/app.log" then filter 'levl == ERROR'
expect_err "filter syntax names the column" 2 "filter: column" "$RUNNEL" csv "$T/kv.csv" then filter 'v > > 2'
expect_err "bad regex names the offset" 2 "offset" "$RUNNEL" lines "$T/app.log" then grep -e '(unclosed'
expect_err "bad aggregate" 2 "not an aggregate" "$RUNNEL" csv "$T/kv.csv" then groupby k count bogus
expect_err "head needs a number" 2 "whole number" "$RUNNEL" lines "$T/app.log" then head ten
expect_err "grep needs a pattern" 2 "needs a pattern" "$RUNNEL" lines "$T/app.log" then grep -i
expect_err "sort cap" 1 "more than 5 records" "$RUNNEL" lines "$T/app.log" then sort --max-records 5 line

# Pushdown: grep's literal goes to the line reader, which skips the lines
# without it (counted as filtered there); the output is GNU grep's.
grep -e 'Error code: 50[34]' "$T/app.log" >"$T/push.want"
expect_file "grep with pushdown like GNU grep" 0 "$T/push.want" \
    "$RUNNEL" lines "$T/app.log" then grep -e 'Error code: 50[34]'
"$RUNNEL" --stats lines "$T/app.log" then grep -e 'Error code: 50[34]' 2>"$T/stats" >/dev/null
grep -q 'stats: read .*filtered [1-9]' "$T/stats" && cli_pass=$((cli_pass + 1)) ||
    cli_bad "pushdown: the reader skipped nothing: $(cat "$T/stats")"

# Pushdown through a log reader: filter's literal ("error", any case) goes
# to the line reader. With bad lines and levels in every case mixed in, the
# records out are those of a run with --rejects, which turns pushdown off;
# --stats for a lines reader shows the skipped lines as filtered.
{ head -n 3000 "$T/app.log"; printf 'no log line\n\n'
  printf '2024-03-01 12:00:00| error |Error code: 777 lower\n'
  printf '2024-03-01 12:00:00|ERRORS|Error code: 778 not a level\n'
  tail -n 3000 "$T/app.log"; printf '2024-03-01 12:00:00|Error|Error code: 779'; } >"$T/mixed.log"
"$RUNNEL" --rejects "$T/mixed.rej" -o csv log "$T/mixed.log" then filter 'level == ERROR' \
    then extract message 'Error code: (?<code>\d+)' then count-by code >"$T/mixed.want"
grep -q '^777,1$' "$T/mixed.want" && grep -q '^779,1$' "$T/mixed.want" &&
    ! grep -q '^778,' "$T/mixed.want" && cli_pass=$((cli_pass + 1)) ||
    cli_bad "log job on mixed levels: $(cat "$T/mixed.want")"
expect_file "log job with pushdown as without" 0 "$T/mixed.want" "$RUNNEL" -o csv log \
    "$T/mixed.log" then filter 'level == ERROR' then extract message 'Error code: (?<code>\d+)' \
    then count-by code
# --stats only counts: pushdown stays on (the reader filters), same output.
"$RUNNEL" --stats -o csv log "$T/mixed.log" then filter 'level == ERROR' then extract message \
    'Error code: (?<code>\d+)' then count-by code 2>"$T/stats" >"$T/mixed.stats.out"
cmp -s "$T/mixed.want" "$T/mixed.stats.out" && grep -q 'stats: read .*filtered [1-9]' "$T/stats" &&
    cli_pass=$((cli_pass + 1)) || cli_bad "log job under --stats: $(cat "$T/stats")"
"$RUNNEL" --stats lines "$T/mixed.log" then filter 'line contains "|ERROR|"' 2>"$T/stats" >/dev/null
grep -q 'stats: read .*filtered [1-9]' "$T/stats" && cli_pass=$((cli_pass + 1)) ||
    cli_bad "filter pushdown: the reader skipped nothing: $(cat "$T/stats")"

# Accounting with --stats: records read = records out + filtered + rejected,
# over a chain that rejects (bad log lines), filters and greps, on data with
# known bad rows (4 of 15 lines in the pipe fixture), for CSV under --strict
# too.
check_accounting() {
    _name=$1
    shift
    "$RUNNEL" --stats "$@" >"$T/acc.out" 2>"$T/acc.stats"
    awk -v name="$_name" '
        /stats: [a-z-]+ +in [0-9]+, out [0-9]+/ {
            split($0, w, /[ ,]+/)
            for (i = 1; i <= length(w); i++) {
                if (w[i] == "in" && first == "") first = w[i + 1]
                if (w[i] == "out") last = w[i + 1]
                if (w[i] == "filtered") gone += w[i + 1]
                if (w[i] == "rejected") { gone += w[i + 1]; rej += w[i + 1] }
            }
        }
        END {
            if (first == "" || first != last + gone || rej == 0) {
                printf "read %s, out %s, filtered+rejected %s\n", first, last, gone
                exit 1
            }
        }' "$T/acc.stats" >"$T/acc.why" &&
        [ "$(wc -l <"$T/acc.out")" -gt 0 ] &&
        cli_pass=$((cli_pass + 1)) || cli_bad "accounting, $_name: $(cat "$T/acc.why")"
}
check_accounting "log, filter, grep -v" -o csv log --format pipe data/fixtures/log_pipe.log \
    then filter 'level != "DEBUG"' then grep -v -e timeout
check_accounting "csv --strict, filter" --rejects "$T/acc.rej" csv --strict data/fixtures/bad_quotes.csv \
    then filter 'k > 1'
[ "$(grep -c '(--strict)' "$T/acc.rej")" = 2 ] && grep -q 'bad_quotes.csv	3	9	malformed quoting' "$T/acc.rej" &&
    grep -q 'bad_quotes.csv	5	29	unclosed quote' "$T/acc.rej" &&
    cli_pass=$((cli_pass + 1)) || cli_bad "accounting: each reject with its line number and reason: $(cat "$T/acc.rej")"
