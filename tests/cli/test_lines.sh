# runnel lines / then count: agree with wc -l (plus one for a last line
# without '\n') on every fixture, through every input path.

# wc -l, plus one when the text does not end in '\n'.
lines_of() {
    _c=$(wc -l <"$1" | tr -d ' ')
    if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]; then
        _c=$((_c + 1))
    fi
    echo "$_c"
}

for f in data/fixtures/*.txt data/fixtures/*.log data/*.log; do
    [ -f "$f" ] || continue
    n=$(lines_of "$f")
    each_input "count $f" 0 "$(printf 'count\n%s' "$n")" "$f" lines then count
done

# A multi-member gzip fixture: compare with the inflated text.
gzip -dc data/fixtures/multi_member.log.gz >"$T/mm.txt"
expect "count multi-member gzip" 0 "$(printf 'count\n%s' "$(lines_of "$T/mm.txt")")" \
    "$RUNNEL" lines data/fixtures/multi_member.log.gz then count

# Printing lines: LF in, the same out; CRLF in, LF out; a last line gets '\n'.
expect_file "print lf" 0 data/fixtures/lf.txt "$RUNNEL" lines data/fixtures/lf.txt
tr -d '\r' <data/fixtures/crlf.txt >"$T/crlf_as_lf"
expect_file "print crlf" 0 "$T/crlf_as_lf" "$RUNNEL" lines data/fixtures/crlf.txt
expect_file "print crlf keep" 0 data/fixtures/crlf.txt \
    "$RUNNEL" lines --keep-cr data/fixtures/crlf.txt
{ cat data/fixtures/no_final_newline.txt; echo; } >"$T/nfn"
expect_file "print no final newline" 0 "$T/nfn" \
    "$RUNNEL" lines data/fixtures/no_final_newline.txt

# Several files are one stream; '-' is stdin among them.
cat data/fixtures/lf.txt data/fixtures/lf.txt >"$T/two"
expect_file "two files" 0 "$T/two" "$RUNNEL" lines data/fixtures/lf.txt data/fixtures/lf.txt
expect_file "file and stdin" 0 "$T/two" sh -c '"$0" lines data/fixtures/lf.txt - <data/fixtures/lf.txt' "$RUNNEL"
n1=$(lines_of data/fixtures/no_final_newline.txt)
expect "unterminated last line does not join the next file" 0 \
    "$(printf 'count\n%s' $((n1 * 2)))" \
    "$RUNNEL" lines data/fixtures/no_final_newline.txt data/fixtures/no_final_newline.txt then count

# Output formats of count.
expect "count -o text" 0 "3" sh -c 'printf "a\nb\nc\n" | "$0" -o text lines then count' "$RUNNEL"
expect "count -o tsv --no-header" 0 "3" sh -c 'printf "a\nb\nc" | "$0" -o tsv --no-header lines then count' "$RUNNEL"
expect "empty input" 0 "$(printf 'count\n0')" sh -c '"$0" lines then count </dev/null' "$RUNNEL"

# The line cap.
head -c 5000 /dev/zero | tr '\0' x >"$T/long"
expect_err "line over the cap" 1 "line 1.*cap" "$RUNNEL" lines --max-line-bytes 1K "$T/long"
expect "line under the cap" 0 "$(printf 'count\n1')" "$RUNNEL" lines --max-line-bytes 5000 "$T/long" then count

# Errors: one line on stderr, exit 2 for usage, 1 for data.
expect_err "missing file" 2 "cannot open 'no/such.log'" "$RUNNEL" lines no/such.log
# A file we may not read. Root reads everything, so as root the check runs
# as nobody (setpriv), in a directory nobody can enter.
unr=$(mktemp -d "${TMPDIR:-/tmp}/rn_unr.XXXXXX")
chmod 755 "$unr"
echo secret >"$unr/secret.log"
chmod 000 "$unr/secret.log"
unr_as=
if [ "$(id -u)" = 0 ]; then
    unr_as="setpriv --reuid=65534 --regid=65534 --clear-groups"
    command -v setpriv >/dev/null && $unr_as "$RUNNEL" --version >/dev/null 2>&1 || unr_as=skip
fi
if [ "$unr_as" = skip ]; then
    echo "  skipped: unreadable file (running as root without setpriv, or nobody cannot run $RUNNEL)"
else
    expect_err "unreadable file" 2 "cannot open '$unr/secret.log': Permission denied" \
        $unr_as "$RUNNEL" lines "$unr/secret.log"
    expect_err "unreadable file in a chain" 2 "cannot open '$unr/secret.log': Permission denied" \
        $unr_as "$RUNNEL" csv "$unr/secret.log" then count
fi
rm -rf "$unr"
expect_err "missing second file" 2 "cannot open 'nope'" "$RUNNEL" lines data/fixtures/lf.txt nope
expect_err "directory" 2 "is a directory" "$RUNNEL" lines data
expect_err "unknown source" 2 "unknown source 'bogus'" "$RUNNEL" bogus
expect_err "unknown verb" 2 "unknown verb 'bogus'" "$RUNNEL" lines data/fixtures/lf.txt then bogus
expect_err "dangling then" 2 "followed by a verb" "$RUNNEL" lines data/fixtures/lf.txt then
expect_err "unknown option" 2 "unknown option '--bogus'" "$RUNNEL" --bogus lines
expect_err "unknown lines option" 2 "lines: unknown option" "$RUNNEL" lines --bogus
expect_err "bad format" 2 "unknown format 'xml'" "$RUNNEL" -o xml lines
expect_err "bad block size" 2 "not a size" "$RUNNEL" --block-size 12Q lines
expect_err "count takes no args" 2 "count: unexpected argument .x." "$RUNNEL" lines data/fixtures/lf.txt then count x
expect_err "verb first" 2 "is a verb" "$RUNNEL" count
printf 'abc\n' | gzip -c | head -c 12 >"$T/trunc.gz"
expect_err "truncated gzip" 1 "truncated gzip" "$RUNNEL" lines "$T/trunc.gz"

# Output: a closed pipe is a quiet success; a full disk is an error naming it.
yes 0123456789 | head -c 4000000 >"$T/big"
expect "closed pipe: exit 0, nothing on stderr" 0 "0" sh -c \
    '( "$0" lines "$1" 2>"$2.err"; echo $? >"$2" ) | head -c 10 >/dev/null; cat "$2" "$2.err"' \
    "$RUNNEL" "$T/big" "$T/rc"
if [ -w /dev/full ]; then
    expect_err "full disk" 1 "cannot write to <stdout>: No space left" \
        sh -c '"$0" lines data/fixtures/lf.txt >/dev/full' "$RUNNEL"
fi

# Help and version.
expect "version" 0 "runnel $(sed -n 's/^#define RN_VERSION_STRING "\(.*\)"/\1/p' lib/runnel.h)" "$RUNNEL" --version
"$RUNNEL" --help >"$T/help" 2>&1 && grep -q '^usage: runnel' "$T/help" && grep -q 'errors app.log.gz' "$T/help" \
    && cli_pass=$((cli_pass + 1)) || cli_bad "--help"
"$RUNNEL" help lines >"$T/help" 2>&1 && grep -q 'max-line-bytes' "$T/help" \
    && cli_pass=$((cli_pass + 1)) || cli_bad "help lines"
# --help is one screen: at most 40 lines of at most 80 columns, with every
# verb; help options has the long descriptions.
"$RUNNEL" --help >"$T/help" 2>&1
if [ "$(wc -l <"$T/help")" -le 40 ] && ! awk 'length($0) > 80 { bad = 1 } END { exit !bad }' "$T/help" &&
    grep -q ' count-by ' "$T/help" && grep -q ' top ' "$T/help"; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "--help is not one screen: $(wc -l <"$T/help") lines"
fi
"$RUNNEL" help options >"$T/help" 2>&1 && grep -q -- '--partial-on-interrupt  on Ctrl-C' "$T/help" \
    && cli_pass=$((cli_pass + 1)) || cli_bad "help options"
expect_err "help unknown" 2 "no verb or source called 'zzz'" "$RUNNEL" help zzz
"$RUNNEL" >/dev/null 2>&1; [ $? = 2 ] && cli_pass=$((cli_pass + 1)) || cli_bad "no arguments: exit 2"
expect_err "truncated gzip fixture names the compressed offset" 1 "compressed byte" \
    "$RUNNEL" lines data/fixtures/truncated.log.gz then count
