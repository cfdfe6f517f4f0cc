# lib.sh - helpers for the command-line tests, sourced by tests/cli/run.sh.
# Each check runs the program, compares stdout and the exit code (and, for
# errors, that stderr is one line starting "runnel:"), and counts the result.

RUNNEL=${RUNNEL:-tools/runnel}
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/rn_cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cli_pass=0
cli_fail=0

cli_bad() {
    cli_fail=$((cli_fail + 1))
    echo "  FAIL: $*"
}

# expect NAME EXIT WANT CMD...: stdout (without its final newlines) must be
# WANT and the exit status EXIT.
expect() {
    _name=$1 _want_rc=$2 _want=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    _rc=$?
    _got=$(cat "$T/out")
    if [ "$_rc" != "$_want_rc" ]; then
        cli_bad "$_name: exit $_rc, want $_want_rc; stderr: $(head -c 300 "$T/err")"
    elif [ "$_got" != "$_want" ]; then
        cli_bad "$_name: stdout $(printf '%s' "$_got" | head -c 200 | od -c | head -3), want '$_want'"
    else
        cli_pass=$((cli_pass + 1))
    fi
}

# expect_file NAME EXIT WANTFILE CMD...: stdout byte for byte equal to WANTFILE.
expect_file() {
    _name=$1 _want_rc=$2 _wantf=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    _rc=$?
    if [ "$_rc" != "$_want_rc" ]; then
        cli_bad "$_name: exit $_rc, want $_want_rc; stderr: $(head -c 300 "$T/err")"
    elif ! cmp -s "$T/out" "$_wantf"; then
        cli_bad "$_name: stdout differs from $_wantf ($(cmp "$T/out" "$_wantf" 2>&1 | head -1))"
    else
        cli_pass=$((cli_pass + 1))
    fi
}

# expect_err NAME EXIT PATTERN CMD...: exit EXIT, stderr exactly one line that
# starts with "runnel:" and matches the grep pattern PATTERN.
expect_err() {
    _name=$1 _want_rc=$2 _pat=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    _rc=$?
    if [ "$_rc" != "$_want_rc" ]; then
        cli_bad "$_name: exit $_rc, want $_want_rc; stderr: $(head -c 300 "$T/err")"
    elif [ "$(wc -l <"$T/err")" != 1 ] || ! grep -q '^runnel: ' "$T/err"; then
        cli_bad "$_name: stderr is not one 'runnel:' line: $(head -c 300 "$T/err")"
    elif ! grep -q -- "$_pat" "$T/err"; then
        cli_bad "$_name: stderr '$(cat "$T/err")' does not match '$_pat'"
    else
        cli_pass=$((cli_pass + 1))
    fi
}

# each_input NAME EXIT WANT FILE SOURCE [ARGS_AFTER_FILE...]: runs
#   runnel SOURCE FILE ARGS, runnel SOURCE - ARGS < FILE, the same on a gzip
#   copy (file and stdin), on a two-member gzip copy, and with --mmap, and
#   expects the same WANT from each.
each_input() {
    ei_n=$1 ei_rc=$2 ei_w=$3 ei_f=$4 ei_src=$5
    shift 5
    gzip -c <"$ei_f" >"$T/in.gz"
    ei_half=$(($(wc -c <"$ei_f") / 2))
    head -c "$ei_half" "$ei_f" | gzip -c >"$T/in2.gz"
    tail -c +$((ei_half + 1)) "$ei_f" | gzip -c >>"$T/in2.gz"
    # r s f: program, source, file; the rest are the arguments after FILE.
    ei_stdin='r=$0 s=$1 f=$2; shift 2; $r "$s" - "$@" <"$f"'
    # EI_PRE: global options (word-split) put before the source.
    ei_r="$RUNNEL $EI_PRE"
    expect "$ei_n [file]" "$ei_rc" "$ei_w" $ei_r "$ei_src" "$ei_f" "$@"
    expect "$ei_n [stdin]" "$ei_rc" "$ei_w" sh -c "$ei_stdin" \
        "$ei_r" "$ei_src" "$ei_f" "$@"
    expect "$ei_n [gzip]" "$ei_rc" "$ei_w" $ei_r "$ei_src" "$T/in.gz" "$@"
    expect "$ei_n [gzip stdin]" "$ei_rc" "$ei_w" sh -c "$ei_stdin" \
        "$ei_r" "$ei_src" "$T/in.gz" "$@"
    expect "$ei_n [gzip 2 members]" "$ei_rc" "$ei_w" $ei_r "$ei_src" "$T/in2.gz" "$@"
    expect "$ei_n [mmap]" "$ei_rc" "$ei_w" $ei_r --mmap "$ei_src" "$ei_f" "$@"
    expect "$ei_n [mmap, 4 KiB window]" "$ei_rc" "$ei_w" $ei_r --mmap \
        --block-size 4K "$ei_src" "$ei_f" "$@"
    expect "$ei_n [7-byte reads]" "$ei_rc" "$ei_w" $ei_r \
        --block-size 7 "$ei_src" "$ei_f" "$@"
}
