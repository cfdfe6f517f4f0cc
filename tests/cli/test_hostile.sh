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

# A 1 GB line: the line cap (64 MiB by default) ends the run with exit 1 and
# a message naming the line, after reading no more than the cap; memory stays
# bounded by the cap (make bench measures it, the unit tests count it).
expect_err "a 1 GB line hits the line cap" 1 "line 1, byte 0: line longer than the cap of 67108864 bytes" \
    sh -c 'head -c 1073741824 /dev/zero | tr "\0" a | "$0" lines then count' "$RUNNEL"
expect "a 1 GB line after a short one, under head" 0 "$(printf 'count\n1')" \
    sh -c '{ echo first; head -c 1073741824 /dev/zero | tr "\0" a; } | "$0" lines then head 1 then count' "$RUNNEL"

# 100,000 columns: read, selected from both ends, and written back whole.
awk 'BEGIN { for (r = 0; r < 3; r++) { s = r ? r "x0" : "c0"; for (i = 1; i < 100000; i++) s = s "," (r ? r "x" i : "c" i); print s } }' >"$T/wide.csv"
expect "100,000 columns, select from both ends" 0 "$(printf 'c99999,c0\n1x99999,1x0\n2x99999,2x0')" \
    "$RUNNEL" -o csv csv "$T/wide.csv" then select c99999,c0
expect_file "100,000 columns round trip" 0 "$T/wide.csv" "$RUNNEL" -o csv csv "$T/wide.csv"

# A read that fails half-way (the kernel's EIO: /proc/self/mem at offset 0
# is not mapped): exit 1, naming the file, the byte and the reason.
if [ -r /proc/self/mem ]; then
    expect_err "EIO from the kernel" 1 "/proc/self/mem: read failed at byte 0: Input/output error" \
        "$RUNNEL" lines /proc/self/mem then count
fi
