"""The log error-code job as a Python generator pipeline, the way one would
write it by hand: read lines -> parse -> keep errors -> extract codes ->
count. A peer for make bench (bench/run.sh); prints code,count by count."""
import collections
import re
import sys


def lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        yield from f


def parse(rows):
    for line in rows:
        parts = line.rstrip("\n").split("|", 2)
        if len(parts) == 3:
            yield parts


def errors(recs):
    return (r for r in recs if r[1] == "ERROR")


def codes(recs, pattern=re.compile(r"Error code: (\d+)")):
    for r in recs:
        m = pattern.search(r[2])
        if m:
            yield m.group(1)


counts = collections.Counter(codes(errors(parse(lines(sys.argv[1])))))
print("code,count")
for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"{code},{n}")
