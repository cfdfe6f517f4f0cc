# Output formats: table alignment (numbers right-aligned, control bytes
# escaped), JSON numbers only for computed fields, text prints log lines as
# read, and the default format follows the verb and the terminal.

printf 'name,qty,note\nwidget,5,a\nthing,12,"two\nlines"\n' >"$T/t.csv"
expect "table" 0 "$(printf '%s\n%s\n%s' \
    'name    qty  note' \
    'widget    5  a' \
    'thing    12  two\nlines')" "$RUNNEL" -o table csv "$T/t.csv"
expect "table of a count is right-aligned" 0 "$(printf 'count\n    3')" \
    sh -c 'printf "a\nb\nc\n" | "$0" -o table lines then count' "$RUNNEL"
expect "jsonl: computed numbers are numbers" 0 '{"count":3}' \
    sh -c 'printf "a\nb\nc\n" | "$0" -o jsonl lines then count' "$RUNNEL"
expect "jsonl: read fields stay strings" 0 '{"id":"08123"}' \
    sh -c 'printf "id\n08123\n" | "$0" -o jsonl csv' "$RUNNEL"
expect "text prints log lines as read" 0 "$(head -3 data/app.log)" \
    sh -c '"$0" -o text log data/app.log | head -3' "$RUNNEL"
expect "csv in a pipe by default" 0 "$(printf 'count\n3')" \
    sh -c 'printf "a\nb\nc\n" | "$0" lines then count' "$RUNNEL"
# A computed field that repeats an input number as written (min, max) is
# still valid JSON: ".5" and "+1.50" are rewritten, "inf" stays a string.
expect "jsonl: min/max as JSON numbers" 0 '{"min_v":0.5,"max_v":1.5}' \
    sh -c 'printf "v\n.5\n+1.50\n1\n" | "$0" -o jsonl csv then groupby min:v max:v' "$RUNNEL"
