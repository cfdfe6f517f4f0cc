# rn_pipeline_parse against the command: each chain below goes through
# `runnel` and through tests/pipeline_errors, a few lines over the library
# that build it from one string (rn_pipeline_parse, whose word splitting must
# agree with the shell's here) and from the shell's words
# (rn_pipeline_parse_argv). Bad chains must give byte-identical messages and
# exit 2; good ones the same output. Every source and verb the library knows
# has a help page, and --help lists no other.

PE=$BUILD/tests/pipeline_errors
printf 'x,b\n7,\n' >"$T/other.csv"
mkdir -p "$T/dir"

# A chain as a shell would read it, @T@ being the test's temporary folder.
pe_chain() {
    printf '%s' "$1" | sed "s|@T@|$T|g"
}

if [ ! -x "$PE" ]; then
    cli_bad "tests/pipeline_errors is not built ($PE)"
else
    pe_n=0
    while IFS= read -r pe_line; do
        [ -n "$pe_line" ] || continue
        pe_n=$((pe_n + 1))
        c=$(pe_chain "$pe_line")
        eval "\"\$RUNNEL\" $c" </dev/null >"$T/pe.o1" 2>"$T/pe.e1"
        r1=$?
        "$PE" "$c" </dev/null >"$T/pe.o2" 2>"$T/pe.e2"
        r2=$?
        eval "\"\$PE\" -- $c" </dev/null >"$T/pe.o3" 2>"$T/pe.e3"
        r3=$?
        if [ "$r1/$r2/$r3" != 2/2/2 ]; then
            cli_bad "bad chain '$pe_line': exit $r1 (command), $r2 (text), $r3 (words); $(head -c 200 "$T/pe.e1") / $(head -c 200 "$T/pe.e2")"
        elif [ "$(wc -l <"$T/pe.e1")" != 1 ] || ! grep -q '^runnel: ' "$T/pe.e1"; then
            cli_bad "bad chain '$pe_line': not one 'runnel:' line: $(head -c 300 "$T/pe.e1")"
        elif ! cmp -s "$T/pe.e1" "$T/pe.e2" || ! cmp -s "$T/pe.e1" "$T/pe.e3"; then
            cli_bad "bad chain '$pe_line': command '$(cat "$T/pe.e1")', text '$(cat "$T/pe.e2")', words '$(cat "$T/pe.e3")'"
        elif [ -s "$T/pe.o1" ] || [ -s "$T/pe.o2" ] || [ -s "$T/pe.o3" ]; then
            cli_bad "bad chain '$pe_line': output before the error"
        else
            cli_pass=$((cli_pass + 1))
        fi
    done <<'EOF'
bogus
count
then
then lines data/app.log
lines data/app.log then
lines data/app.log then then head 1
lines data/app.log then bogus
lines data/app.log then csv
lines --bogus
lines no/such.log
lines @T@/dir
lines data/fixtures/lf.txt nope
lines -f
lines -f a b
lines --max-line-bytes 12Q data/app.log
lines --max-line-bytes
lines --max-line-bytes=-5 data/app.log
csv --bogus data/sales.csv
csv -f data/sales.csv
csv -d ab data/sales.csv
csv --quote= data/sales.csv
csv --max-fields 0 data/sales.csv
csv --union
csv --union data/sales.csv -
csv --union --no-header data/sales.csv
csv data/sales.csv @T@/other.csv
csv -d '"' data/sales.csv
tsv --bogus
log --bogus
log --format xml data/app.log
log --format 'regex:(?<a>x' data/app.log
log --format=regex:x+ data/app.log
log -f data/app.log data/app.log
log no/such.log then bogus
csv data/sales.csv then groupby category sum:amout
csv data/sales.csv then groupby category count bogus
csv data/sales.csv then groupby category --max-groups x
csv data/sales.csv then count-by
csv data/sales.csv then filter 'amount > > 2'
csv data/sales.csv then filter
csv data/sales.csv then filter "nope == \"x\""
log data/app.log then filter level == ERROR then filter 'levl == ERROR'
lines data/app.log then grep -e '(unclosed'
lines data/app.log then grep -i
lines data/app.log then grep -x foo
lines data/app.log then grep -A x foo
csv data/sales.csv then extract a b c
log data/app.log then extract message '(?<c>'
csv data/sales.csv then select a,,b
csv data/sales.csv then select no\ pe
csv data/sales.csv then select 'no'pe"x"
csv data/sales.csv then rename amount
csv data/sales.csv then rename a=b,c
csv data/sales.csv then head ten
csv data/sales.csv then head 1 2
csv data/sales.csv then skip -1
csv data/sales.csv then sample x
csv data/sales.csv then sample 3 --seed x
csv data/sales.csv then top 3
csv data/sales.csv then top x amount
csv data/sales.csv then top 3 nope
csv data/sales.csv then sort
csv data/sales.csv then sort -x amount
csv data/sales.csv then uniq --max-keys x
csv data/sales.csv then uniq nope
csv data/sales.csv then count x
lines data/app.log then head 1 then head x then head 2
lines data/fixtures/truncated.log.gz then head x
EOF
    [ "$pe_n" -ge 25 ] || cli_bad "only $pe_n bad chains were compared"

    # Good chains (and one that fails on its data, exit 1): the same output.
    while IFS= read -r pe_line; do
        c=$(pe_chain "$pe_line")
        eval "\"\$RUNNEL\" -o csv $c" </dev/null >"$T/pe.o1" 2>"$T/pe.e1"
        r1=$?
        "$PE" -o csv "$c" </dev/null >"$T/pe.o2" 2>"$T/pe.e2"
        r2=$?
        eval "\"\$PE\" -o csv -- $c" </dev/null >"$T/pe.o3" 2>"$T/pe.e3"
        r3=$?
        if [ "$r1" != "$r2" ] || [ "$r1" != "$r3" ] ||
           ! cmp -s "$T/pe.o1" "$T/pe.o2" || ! cmp -s "$T/pe.o1" "$T/pe.o3" ||
           ! cmp -s "$T/pe.e1" "$T/pe.e2" || ! cmp -s "$T/pe.e1" "$T/pe.e3"; then
            cli_bad "chain '$pe_line': exit $r1/$r2/$r3; $(cmp "$T/pe.o1" "$T/pe.o2" 2>&1 | head -1); $(head -c 200 "$T/pe.e2")"
        elif [ ! -s "$T/pe.o1" ] && [ "$r1" = 0 ]; then
            cli_bad "chain '$pe_line': no output"
        else
            cli_pass=$((cli_pass + 1))
        fi
    done <<'EOF'
csv data/sales.csv then groupby category count sum:amount mean:amount
log data/app.log then filter 'level == ERROR' then extract message 'Error code: (?<code>\d+)' then count-by code
lines data/app.log then grep -C 1 timeout then head 20
csv data/sales.csv then select category,amount then sort -nr amount then head 5
log --format syslog data/fixtures/log_syslog.log then count-by host
csv --union data/sales.csv @T@/other.csv then head 3
tsv data/fixtures/tabs.tsv
lines data/app.log data/app.log then tail 3
lines data/fixtures/truncated.log.gz then count
EOF

    # Every name the library knows has a page, and --help lists no other
    # source or verb (the man page test reads them the same way).
    "$PE" --names >"$T/pe.names"
    pe_missing=
    while read -r name kind; do
        "$RUNNEL" help "$name" >"$T/pe.help" 2>&1 && grep -q '^usage: ' "$T/pe.help" ||
            pe_missing="$pe_missing $name"
    done <"$T/pe.names"
    [ -s "$T/pe.names" ] && [ -z "$pe_missing" ] && cli_pass=$((cli_pass + 1)) ||
        cli_bad "names the library knows without a help page:$pe_missing"
    "$RUNNEL" --help >"$T/pe.help" 2>&1
    awk '/^[^ ].*:$/ { sec = tolower($0); next }
         sec ~ /^(sources|verbs)/ && /^  [a-z]/ {
             print $1
             split(substr($0, 42), second, " ")
             if (second[1] != "") print second[1]
         }' "$T/pe.help" | sort >"$T/pe.listed"
    cut -d' ' -f1 "$T/pe.names" | sort >"$T/pe.known"
    cmp -s "$T/pe.listed" "$T/pe.known" && cli_pass=$((cli_pass + 1)) ||
        cli_bad "--help and the library disagree: $(diff "$T/pe.listed" "$T/pe.known" | tr '\n' ' ')"
fi
