# The ready-made jobs, --explain, --partial-on-interrupt, --stats details.

# errors: the same codes and counts as the general chain and as awk.
awk -F'|' 'tolower($2) == "error" && match($3, /Error code: [0-9]+/) {
               print substr($3, RSTART + 12, RLENGTH - 12) }' data/app.log |
    sort | uniq -c | sort -k1,1nr -k2,2 | awk '{print $2 "," $1}' >"$T/codes"
"$RUNNEL" -o csv errors data/app.log >"$T/errors.csv"
cut -d, -f1,2 "$T/errors.csv" | tail -n +2 >"$T/errors.codes"
if cmp -s "$T/codes" "$T/errors.codes" && head -1 "$T/errors.csv" | grep -qx 'code,count,share,first_seen,last_seen'; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "errors: $(head -3 "$T/errors.csv")"
fi
# share adds up to about 1; first_seen <= last_seen (timestamps sort as text).
awk -F, 'NR > 1 { s += $3; if ($4 > $5) bad = 1 } END { exit !(s > 0.99 && s < 1.01 && !bad) }' "$T/errors.csv" &&
    cli_pass=$((cli_pass + 1)) || cli_bad "errors: shares or first/last seen: $(sed -n 2p "$T/errors.csv")"
each_input "errors through every input" 0 "$(cat "$T/errors.csv")" data/app.log errors
expect "errors --explain" 0 "runnel log data/app.log then filter 'level == \"ERROR\"' then extract 'Error code: (\\d+)' then rename match=code then groupby code count share first:timestamp last:timestamp then sort code then sort -nr count then rename first_timestamp=first_seen,last_timestamp=last_seen" \
    "$RUNNEL" --explain errors data/app.log
"$RUNNEL" -o csv errors --level warn --pattern '(\d+) ms' data/app.log >"$T/warn.csv"
[ "$(head -1 "$T/warn.csv")" = "code,count,share,first_seen,last_seen" ] && [ "$(wc -l <"$T/warn.csv")" -gt 2 ] &&
    cli_pass=$((cli_pass + 1)) || cli_bad "errors --level --pattern: $(head -2 "$T/warn.csv")"
expect_err "errors: pattern with other names" 2 "none called 'code'" "$RUNNEL" errors --pattern '(?<x>\d+)' data/app.log
expect_err "errors: unknown option" 2 "errors: unknown option" "$RUNNEL" errors --bogus data/app.log
expect_err "errors -f not built" 2 "not built yet" "$RUNNEL" errors -f data/app.log
expect_err "job used as a verb" 2 "ready-made job" "$RUNNEL" lines data/app.log then errors

# agg: -a as groupby takes them; without -a, the numeric columns found.
expect "agg -a" 0 "$("$RUNNEL" -o csv csv data/sales.csv then groupby category sum:amount mean:amount)" \
    "$RUNNEL" -o csv agg -g category -a sum:amount -a mean:amount data/sales.csv
expect "agg --explain" 0 "runnel csv data/sales.csv then groupby category count sum:id mean:id sum:amount mean:amount" \
    "$RUNNEL" --explain agg -g category data/sales.csv
expect_err "agg needs -g" 2 "needs -g" "$RUNNEL" agg data/sales.csv
expect_err "--explain of a plain chain" 2 "ready-made jobs" "$RUNNEL" --explain lines data/app.log

# Ctrl-C with --partial-on-interrupt: the aggregates so far, exit 130.
mkfifo "$T/fifo"
( exec "$RUNNEL" --partial-on-interrupt csv --no-header then groupby 1 count \
    <"$T/fifo" >"$T/part" 2>"$T/part.err" ) &
ppid=$!
yes 'k,1' >"$T/fifo" &
ypid=$!
sleep 1
kill -INT "$ppid"
wait "$ppid"
prc=$?
kill "$ypid" 2>/dev/null
wait "$ypid" 2>/dev/null
if [ "$prc" = 130 ] && head -1 "$T/part" | grep -qx '1,count' &&
   sed -n 2p "$T/part" | grep -q '^k,[1-9][0-9]*$'; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "partial on interrupt: exit $prc, $(head -3 "$T/part" "$T/part.err")"
fi

# --stats: rejects by reason and peak memory.
"$RUNNEL" --stats log data/fixtures/log_syslog.log >/dev/null 2>"$T/stats"
grep -q 'stats: rejected [0-9]*: empty line' "$T/stats" && grep -q 'peak memory' "$T/stats" &&
    cli_pass=$((cli_pass + 1)) || cli_bad "--stats details: $(cat "$T/stats")"

# Progress: never in a pipe by default; with --progress, a line on stderr.
"$RUNNEL" lines data/app.log then count 2>"$T/prog" >/dev/null
[ ! -s "$T/prog" ] && cli_pass=$((cli_pass + 1)) || cli_bad "progress printed into a pipe"
