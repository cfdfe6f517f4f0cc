# make layers (tests/layers.sh): the tree as it is passes, and a copy of lib/
# with a planted include fails, naming the file, the line and the include.
# Runs on copies in $T, so it needs no git.

if sh tests/layers.sh lib tools >"$T/layers.out" 2>&1; then
    cli_pass=$((cli_pass + 1))
else
    cli_bad "layers: the tree fails its own check: $(head -c 300 "$T/layers.out")"
fi

# layers_plant NAME FILE LINE PATTERN: copies lib/ and tools/, appends LINE to
# FILE (relative to the copy's lib/), and expects the check to fail with a
# message matching PATTERN.
layers_plant() {
    rm -rf "$T/lay" && mkdir -p "$T/lay" && cp -R lib tools "$T/lay/"
    printf '%s\n' "$3" >>"$T/lay/lib/$2"
    if sh tests/layers.sh "$T/lay/lib" "$T/lay/tools" >"$T/layers.out" 2>&1; then
        cli_bad "layers $1: a planted '$3' in lib/$2 passes"
    elif ! grep -q -- "$4" "$T/layers.out"; then
        cli_bad "layers $1: message '$(head -c 300 "$T/layers.out")' does not match '$4'"
    else
        cli_pass=$((cli_pass + 1))
    fi
}
layers_plant tools read/csv.c '#include "../../tools/cli.h"' \
    'read/csv.c:[0-9]*: includes "../../tools/cli.h"'
layers_plant upward base/num.h '#include "stage/agg.h"' \
    'base/num.h:[0-9]*: includes "stage/agg.h": base may not use stage'
layers_plant bare source/source.c '#include "csv_scan.h"' \
    'source/source.c:[0-9]*: includes "csv_scan.h", which is not in source/'
layers_plant stray runnel_extra.c '/* a file outside the layers */' \
    'runnel_extra.c: a source file outside every layer folder'
layers_plant public runnel.h '#include "base/num.h"' \
    'the public header includes "base/num.h"'

# The command uses the public header only.
rm -rf "$T/lay" && mkdir -p "$T/lay" && cp -R lib tools "$T/lay/"
printf '#include "base/num.h"\n' >>"$T/lay/tools/main.c"
if sh tests/layers.sh "$T/lay/lib" "$T/lay/tools" >"$T/layers.out" 2>&1; then
    cli_bad "layers: tools/main.c including base/num.h passes"
else
    cli_pass=$((cli_pass + 1))
fi
rm -rf "$T/lay"
