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
# errors -f: follows a file that grows; Ctrl-C ends it with the final table
# (the same as errors on the whole file) and exit 130. In a pipe there is no
# redraw; on a terminal (script(1) gives one) the table is redrawn while the
# file grows, and the last screen is the final table.
head -200 data/app.log >"$T/live.log"
"$RUNNEL" -o csv errors -f "$T/live.log" >"$T/live.out" 2>"$T/live.err" &
live_pid=$!
sleep 0.4
tail -n +201 data/app.log >>"$T/live.log"
sleep 0.6
kill -INT $live_pid
wait $live_pid
live_rc=$?
if [ $live_rc = 130 ] && cmp -s "$T/live.out" "$T/errors.csv" && [ ! -s "$T/live.err" ]; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "errors -f in a pipe: exit $live_rc; $(head -c 300 "$T/live.err"); $(diff "$T/live.out" "$T/errors.csv" | head -5)"
fi
expect_err "errors -f needs one file" 2 "-f follows one file" "$RUNNEL" errors -f data/app.log data/app.log
expect_err "errors -f not on stdin" 2 "stdin cannot be followed" "$RUNNEL" errors -f
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    head -200 data/app.log >"$T/live.log"
    script -qfec "$RUNNEL errors -f $T/live.log" "$T/tty.out" >/dev/null 2>&1 &
    tty_pid=$!
    sleep 1.6
    tail -n +201 data/app.log >>"$T/live.log"
    sleep 1.6
    pkill -INT -f "^$RUNNEL errors -f $T/live.log"
    wait $tty_pid
    tty_rc=$?
    "$RUNNEL" -o table errors "$T/live.log" >"$T/live.table"
    # Screens start with "home, clear"; the last screen is the final table.
    sed 's/\x1b\[H\x1b\[2J/\n@SCREEN@\n/g; s/\r$//' "$T/tty.out" >"$T/tty.screens"
    screens=$(grep -c '^@SCREEN@$' "$T/tty.screens")
    awk '/^@SCREEN@$/ { n = 0; next } /^Script done/ { next } NF { last[n++] = $0 } END { for (i = 0; i < n; i++) print last[i] }' \
        "$T/tty.screens" >"$T/tty.last"
    if [ "$screens" -ge 3 ] && cmp -s "$T/tty.last" "$T/live.table" && grep -q "so far; following" "$T/tty.out"; then
        cli_pass=$((cli_pass + 1))
    else
        cli_bad "errors -f on a terminal: exit $tty_rc, $screens screens; $(diff "$T/tty.last" "$T/live.table" | head -5)"
    fi
else
    echo "  skipped: errors -f on a terminal (script(1) is not available)"
fi
expect_err "job used as a verb" 2 "ready-made job" "$RUNNEL" lines data/app.log then errors

# agg: -a as groupby takes them; without -a, the numeric columns found.
expect "agg -a" 0 "$("$RUNNEL" -o csv csv data/sales.csv then groupby category sum:amount mean:amount)" \
    "$RUNNEL" -o csv agg -g category -a sum:amount -a mean:amount data/sales.csv
expect "agg --explain" 0 "runnel csv data/sales.csv then groupby category count sum:id mean:id sum:amount mean:amount" \
    "$RUNNEL" --explain agg -g category data/sales.csv
expect_err "agg needs -g" 2 "needs -g" "$RUNNEL" agg data/sales.csv
expect_err "--explain of a plain chain" 2 "ready-made jobs" "$RUNNEL" --explain lines data/app.log

# Ctrl-C with --partial-on-interrupt: the aggregates so far, exit 130.
rm -f "$T/fifo"; mkfifo "$T/fifo"
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
