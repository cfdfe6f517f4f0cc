# runnel csv / tsv: fields byte for byte (as JSON lines), through every input
# path; headers, ragged rows, --strict with and without --rejects, --union.

EI_PRE="-o jsonl" each_input "csv quoted fields as jsonl" 0 \
    "$(cat tests/cli/expected/quoted.jsonl)" data/fixtures/quoted.csv csv
expect_file "csv -o jsonl" 0 tests/cli/expected/quoted.jsonl \
    "$RUNNEL" -o jsonl csv data/fixtures/quoted.csv
each_input "csv count" 0 "$(printf 'count\n5')" data/fixtures/quoted.csv csv then count

# CSV out reads back to the same records.
"$RUNNEL" csv data/fixtures/quoted.csv >"$T/rt.csv"
expect_file "csv round trip" 0 tests/cli/expected/quoted.jsonl \
    "$RUNNEL" -o jsonl csv "$T/rt.csv"
"$RUNNEL" csv data/sales.csv >"$T/sales_rt.csv"
"$RUNNEL" -o jsonl csv data/sales.csv >"$T/sales1.jsonl"
expect_file "sales round trip" 0 "$T/sales1.jsonl" "$RUNNEL" -o jsonl csv "$T/sales_rt.csv"

# TSV.
expect "tsv" 0 "$(printf '%s\n%s' '{"a":"x\ty","b":"2"}' '{"a":"plain","b":"3"}')" \
    "$RUNNEL" -o jsonl tsv data/fixtures/tabs.tsv
expect "csv -d tab" 0 "$(printf 'count\n2')" "$RUNNEL" csv -d '\t' data/fixtures/tabs.tsv then count

# Ragged rows: padded, extra fields kept as _N, counted.
expect "ragged" 0 "$(printf '%s\n%s\n%s' '{"a":"1","b":"2","c":"3"}' '{"a":"4","b":"5","c":""}' '{"a":"6","b":"7","c":"8","_4":"9"}')" \
    "$RUNNEL" -o jsonl csv data/fixtures/ragged.csv
"$RUNNEL" --stats csv data/fixtures/ragged.csv >/dev/null 2>"$T/stats"
grep -q "ragged rows repaired 2" "$T/stats" && cli_pass=$((cli_pass + 1)) || cli_bad "ragged counted in --stats: $(cat "$T/stats")"
expect_err "ragged under --strict" 1 "line 3: ragged row: 2 fields, header has 3" \
    "$RUNNEL" csv --strict data/fixtures/ragged.csv

# --strict with --rejects: bad rows go there with line and reason, the rest out.
# (An unclosed quote runs to the end of the input, as RFC 4180 reads it.)
expect "strict rejects: good rows out" 0 "$(printf 'k,v\n1,ok\n4,fine')" \
    "$RUNNEL" --rejects "$T/rej.tsv" csv --strict data/fixtures/bad_quotes.csv
expect "strict rejects: the file" 0 "$(printf 'source\tline\toffset\treason\trecord\ndata/fixtures/bad_quotes.csv\t3\t9\tmalformed quoting (--strict)\t2,"bad"quote\\n\ndata/fixtures/bad_quotes.csv\t5\t29\tunclosed quote at the end of the input (--strict)\t')" \
    cat "$T/rej.tsv"
"$RUNNEL" --stats --rejects "$T/rej.tsv" csv --strict data/fixtures/bad_quotes.csv >/dev/null 2>"$T/stats"
grep -q "in 4, out 2, rejected 2" "$T/stats" && cli_pass=$((cli_pass + 1)) || cli_bad "rejects counted: $(cat "$T/stats")"
# Without --strict, libcsv's lenient reading applies: a quote after a closed
# quote is data and the field stays open, here to the end of the input.
expect "lenient quotes" 0 "$(printf '%s\n%s' '{"k":"1","v":"ok"}' '{"k":"2","v":"bad\"quote\n4,fine\n5,\"never closed\n6,x\n"}')" \
    "$RUNNEL" -o jsonl csv data/fixtures/bad_quotes.csv

# Headers: no header, duplicates, several files, --union.
expect "no header" 0 '{"1":"a","2":"b","3":"c"}' sh -c 'head -1 data/fixtures/ragged.csv | "$0" -o jsonl csv --no-header' "$RUNNEL"
expect "duplicate names" 0 '{"x":"1","_2":"2","x_2":"3"}' sh -c 'printf "x,,x\n1,2,3\n" | "$0" -o jsonl csv' "$RUNNEL"
expect "two files, one header" 0 "$(printf 'count\n10')" "$RUNNEL" csv data/fixtures/quoted.csv data/fixtures/quoted.csv then count
expect_err "different headers" 2 "has other fields than" "$RUNNEL" csv data/fixtures/quoted.csv data/fixtures/ragged.csv
expect "union" 0 "$(printf 'a,b,c,x\n1,2,3,\n,,,7')" sh -c 'printf "a,b,c\n1,2,3\n" >"$1/u1.csv"; printf "x,b\n7,\n" >"$1/u2.csv"; "$0" csv --union "$1/u1.csv" "$1/u2.csv"' "$RUNNEL" "$T"
expect_err "union needs files" 2 "stdin" sh -c '"$0" csv --union - <data/fixtures/ragged.csv' "$RUNNEL"

# Caps and option errors.
expect_err "field cap" 1 "line 2: field 1 longer than the cap of 10 bytes" \
    sh -c 'printf "a\n\"0123456789abcdef\n\n\n" | "$0" csv --max-field-bytes 10' "$RUNNEL"
expect_err "fields cap" 1 "more than 2 fields" sh -c 'printf "a\n1,2,3\n" | "$0" csv --max-fields 2' "$RUNNEL"
expect_err "bad delimiter" 2 "one byte" "$RUNNEL" csv -d ab data/fixtures/ragged.csv
expect_err "csv unknown option" 2 "csv: unknown option '--bogus'" "$RUNNEL" csv --bogus
expect_err "csv follow" 2 "lines and log only" "$RUNNEL" csv -f data/fixtures/ragged.csv
