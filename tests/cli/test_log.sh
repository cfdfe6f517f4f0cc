# runnel log: each format on its fixture, through every input path; auto
# detection reported by --stats; in = out + rejected; rejects written with
# line and reason; follow mode with rotation and Ctrl-C.

# pipe: an independent count of the lines that fit (two '|', not blank).
n=$(awk -F'|' 'NF >= 3' data/fixtures/log_pipe.log | wc -l | tr -d ' ')
each_input "pipe count" 0 "$(printf 'count\n%s' "$n")" data/fixtures/log_pipe.log \
    log --format pipe then count
n=$(awk -F'|' 'NF >= 3' data/app.log | wc -l | tr -d ' ')
each_input "app.log count" 0 "$(printf 'count\n%s' "$n")" data/app.log log then count

for fmt in pipe syslog clf combined; do
    f=data/fixtures/log_$fmt.log
    "$RUNNEL" --stats --rejects "$T/rej" log "$f" >"$T/out" 2>"$T/stats"
    rc=$?
    in=$(sed -n 's/.*stats: log *in \([0-9]*\),.*/\1/p' "$T/stats")
    out=$(sed -n 's/.*stats: log *in [0-9]*, out \([0-9]*\).*/\1/p' "$T/stats")
    rej=$(sed -n 's/.*stats: log .*rejected \([0-9]*\).*/\1/p' "$T/stats")
    rows=$(($(wc -l <"$T/out") - 1))
    rejrows=$(($(wc -l <"$T/rej") - 1))
    lines=$(grep -c '' "$f")
    if [ "$rc" != 0 ]; then
        cli_bad "log $fmt: exit $rc: $(cat "$T/stats")"
    elif ! grep -q "format $fmt (auto)" "$T/stats"; then
        cli_bad "log $fmt: auto did not pick $fmt: $(cat "$T/stats")"
    elif [ "$in" != "$lines" ] || [ $((out + rej)) != "$in" ] ||
         [ "$out" != "$rows" ] || [ "$rej" != "$rejrows" ] || [ "$rej" = 0 ]; then
        cli_bad "log $fmt: lines $lines, in $in, out $out (rows $rows), rejected $rej (file $rejrows)"
    else
        cli_pass=$((cli_pass + 1))
    fi
done

expect "syslog fields" 0 '{"timestamp":"Mar 10 08:15:42","host":"db02","tag":"kernel","pid":"","message":"[12345.678] eth0: link up"}' \
    sh -c '"$0" -o jsonl log --format syslog data/fixtures/log_syslog.log | grep db02' "$RUNNEL"
expect "combined fields" 0 '{"ip":"10.0.0.5","ident":"-","user":"alice","time":"01/Mar/2024:12:00:01 +0000","request":"POST /api/v1/items HTTP/1.1","status":"201","bytes":"87","referer":"-","agent":"curl/8.5.0"}' \
    sh -c '"$0" -o jsonl log data/fixtures/log_combined.log | grep alice' "$RUNNEL"
expect "regex format" 0 "$(printf 'level,code\nERROR,500')" \
    sh -c 'printf "x|ERROR|Error code: 500\nno code here\n" | "$0" log --format "regex:\|(?<level>[A-Z]+)\|.*code: (?<code>\d+)"' "$RUNNEL"
expect_err "bad regex names the offset" 2 "offset" "$RUNNEL" log --format 'regex:(?<a>x' data/app.log
expect_err "regex without names" 2 "no named groups" "$RUNNEL" log --format 'regex:x+' data/app.log
expect_err "unknown format" 2 "unknown log format 'xml'" "$RUNNEL" log --format xml data/app.log
expect_err "log unknown option" 2 "log: unknown option" "$RUNNEL" log --bogus

# Follow: lines appended, the file rotated, more lines, then Ctrl-C. Each
# line exactly once, in order, exit 0.
wait_lines() { # FILE N: wait (up to 20 s) until FILE has N lines
    _i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $_i -lt 200 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
}
fl=$T/follow.log
printf 'one\ntwo\n' >"$fl"
"$RUNNEL" lines -f "$fl" >"$T/fout" 2>"$T/ferr" &
fpid=$!
wait_lines "$T/fout" 2
printf 'three\npart' >>"$fl"
wait_lines "$T/fout" 3
mv "$fl" "$fl.1"
printf 'four\n' >"$fl"
wait_lines "$T/fout" 5
printf 'five\n' >>"$fl"
wait_lines "$T/fout" 6
kill -INT "$fpid"
# A follower that ignores the signal must fail the test, not hang it.
_i=0
while kill -0 "$fpid" 2>/dev/null && [ $_i -lt 100 ]; do
    sleep 0.1
    _i=$((_i + 1))
done
kill -0 "$fpid" 2>/dev/null && kill -9 "$fpid"
wait "$fpid"
frc=$?
if [ "$frc" = 0 ] && [ "$(cat "$T/fout")" = "$(printf 'one\ntwo\nthree\npart\nfour\nfive')" ]; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "follow: exit $frc, got $(cat "$T/fout" | tr '\n' ' '), stderr $(cat "$T/ferr")"
fi
expect_err "follow two files" 2 "follows one file" "$RUNNEL" lines -f a b
expect_err "follow stdin" 2 "needs a file name" "$RUNNEL" log -f
