# Hostile input, each with its documented behaviour (README "Limits and
# guarantees"): never a crash, a hang or a silent loss.

# Endless devices under head: the reader stops pulling after N records.
expect "/dev/zero under head" 0 "$(printf 'count\n1')" \
    sh -c 'head -c 100000 /dev/zero | "$0" lines then head 1 then count' "$RUNNEL"
expect "/dev/zero, a line over the cap" 1 "" \
    sh -c '"$0" lines --max-line-bytes 64K /dev/zero 2>/dev/null' "$RUNNEL"
expect "/dev/urandom under head" 0 "$(printf 'count\n5')" \
    "$RUNNEL" lines /dev/urandom then head 5 then count

# A FIFO given as a file is read like a pipe.
rm -f "$T/fifo"; mkfifo "$T/fifo"
printf 'a\nb\n' >"$T/fifo" &
# (timeout: a regression here must fail, not hang the suite)
expect "a FIFO as a file" 0 "$(printf 'count\n2')" timeout 30 "$RUNNEL" lines "$T/fifo" then count
wait

# Empty input and a CSV with only a header: no records, no error.
: >"$T/empty"
expect "empty file, lines" 0 "$(printf 'count\n0')" "$RUNNEL" lines "$T/empty" then count
expect "empty file, csv" 0 "$(printf 'count\n0')" "$RUNNEL" csv "$T/empty" then count
printf 'a,b,c\n' >"$T/header.csv"
expect "CSV with only a header" 0 "a,b,c" "$RUNNEL" -o csv csv "$T/header.csv"
expect "CSV with only a header, counted" 0 "$(printf 'count\n0')" "$RUNNEL" csv "$T/header.csv" then count

# NUL bytes and invalid UTF-8 are data: kept byte for byte.
printf 'x,y\n\0a\0,\377\376\n' >"$T/bin.csv"
"$RUNNEL" -o csv csv "$T/bin.csv" >"$T/bin.out"
expect_file "NUL and invalid UTF-8 pass through" 0 "$T/bin.csv" cat "$T/bin.out"
printf 'l\0ne\n\377\n' >"$T/bin.txt"
expect_file "NUL bytes in lines" 0 "$T/bin.txt" "$RUNNEL" lines "$T/bin.txt"
# JSON output escapes NUL as \u0000 and keeps other bytes as they are.
printf '{"x":"\\u0000a\\u0000","y":"\377\376"}\n' >"$T/bin.jsonl"
expect_file "NUL and invalid UTF-8 in JSON lines" 0 "$T/bin.jsonl" "$RUNNEL" -o jsonl csv "$T/bin.csv"

# A quote never closed: the field cap stops it, memory stays bounded.
{ printf 'a\n"'; head -c 3000000 /dev/zero | tr '\0' x; } >"$T/open.csv"
expect_err "unclosed quote hits the field cap" 1 "longer than the cap of 1048576 bytes" \
    "$RUNNEL" csv --max-field-bytes 1M "$T/open.csv"
"$RUNNEL" csv --strict "$T/open.csv" >/dev/null 2>"$T/err"
grep -q "unclosed quote" "$T/err" && cli_pass=$((cli_pass + 1)) || cli_bad "unclosed quote under --strict: $(cat "$T/err")"

# Output to a full disk names the output; a gzip with a bad CRC is an error
# naming the compressed offset.
if [ -w /dev/full ]; then
    expect_err "csv to a full disk" 1 "cannot write to <stdout>" \
        sh -c '"$0" csv data/sales.csv >/dev/full' "$RUNNEL"
fi
gzip -c data/app.log >"$T/crc.gz"
n=$(wc -c <"$T/crc.gz")
printf '\377' | dd of="$T/crc.gz" bs=1 seek=$((n - 6)) conv=notrunc 2>/dev/null
expect_err "gzip with a bad CRC" 1 "compressed byte" "$RUNNEL" lines "$T/crc.gz" then count
