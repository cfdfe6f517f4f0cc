#!/bin/sh
# layers.sh LIBDIR [TOOLSDIR] - checks the include direction of the library's
# layers, as lib/README.md draws them, and that the command uses only the
# public header. Needs only sh, sed and awk (no git), so it works in any copy.
#
# The order of the layers is read from LIBDIR/README.md, from the line that
# starts "Layers, lowest first:", so the page and the check cannot disagree.
# A file in lib/LAYER/ may include:
#   - "runnel.h", the public header;
#   - "name.h", a header of its own folder;
#   - "other/name.h", a header of a layer at or below its own.
# Nothing in lib/ may include a path that leaves lib/ (tools/, ../). A file in
# TOOLSDIR may include "runnel.h" and the headers of TOOLSDIR only.
# Each violation is one line naming the file, the line and the include; the
# exit status is 1 when there is any.
set -u
lib=${1:?usage: layers.sh LIBDIR [TOOLSDIR]}
tools=${2:-}

order=$(sed -n 's/^Layers, lowest first: *//p' "$lib/README.md" 2>/dev/null |
        tr -d '`,.' | tr '<' ' ' | tr -s ' ')
if [ -z "$order" ]; then
    echo "layers: $lib/README.md has no line 'Layers, lowest first: ...'" >&2
    exit 1
fi

bad=0
rank_of() {
    r=0
    for l in $order; do
        [ "$l" = "$1" ] && { echo $r; return; }
        r=$((r + 1))
    done
    echo -1
}

# Prints "LINE<TAB>HEADER" for each #include "HEADER" of a file.
quoted_includes() {
    awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
        s = $0; sub(/^[^"]*"/, "", s); sub(/".*$/, "", s)
        printf "%d\t%s\n", NR, s
    }' "$1"
}

violation() {
    echo "layers: $1" >&2
    bad=1
}

for f in "$lib"/*; do
    name=${f##*/}
    if [ -d "$f" ]; then
        [ "$(rank_of "$name")" -ge 0 ] ||
            violation "$f: a folder that is not a layer (layers: $order)"
        continue
    fi
    case $name in
    runnel.h)
        for h in $(quoted_includes "$f" | cut -f2); do
            violation "$f: the public header includes \"$h\""
        done ;;
    *.c | *.h)
        violation "$f: a source file outside every layer folder" ;;
    esac
done

for dir in "$lib"/*/; do
    layer=${dir%/}
    layer=${layer##*/}
    own=$(rank_of "$layer")
    [ "$own" -ge 0 ] || continue
    for f in "$dir"*.c "$dir"*.h; do
        [ -f "$f" ] || continue
        out=$(quoted_includes "$f" | while IFS='	' read -r n h; do
            case $h in
            *tools/* | ../* | */../* | ./*)
                echo "$f:$n: includes \"$h\": lib/ never reaches outside itself"
                continue ;;
            runnel.h) continue ;;
            */*/*)
                echo "$f:$n: includes \"$h\": write \"layer/name.h\""
                continue ;;
            */*)
                to=${h%%/*}
                r=$(rank_of "$to")
                if [ "$r" -lt 0 ]; then
                    echo "$f:$n: includes \"$h\": '$to' is not a layer"
                elif [ "$r" -gt "$own" ]; then
                    echo "$f:$n: includes \"$h\": $layer may not use $to, a layer above it"
                elif [ ! -f "$lib/$h" ]; then
                    echo "$f:$n: includes \"$h\", which does not exist"
                fi ;;
            *)
                [ -f "$dir$h" ] ||
                    echo "$f:$n: includes \"$h\", which is not in $layer/: write \"layer/$h\"" ;;
            esac
        done)
        if [ -n "$out" ]; then
            printf '%s\n' "$out" | sed 's/^/layers: /' >&2
            bad=1
        fi
    done
done

if [ -n "$tools" ]; then
    for f in "$tools"/*.c "$tools"/*.h; do
        [ -f "$f" ] || continue
        out=$(quoted_includes "$f" | while IFS='	' read -r n h; do
            case $h in
            runnel.h) ;;
            */*) echo "$f:$n: includes \"$h\": the command uses only runnel.h" ;;
            *) [ -f "$tools/$h" ] ||
                echo "$f:$n: includes \"$h\": the command uses only runnel.h" ;;
            esac
        done)
        if [ -n "$out" ]; then
            printf '%s\n' "$out" | sed 's/^/layers: /' >&2
            bad=1
        fi
    done
fi

[ "$bad" = 0 ] && echo "layers: ok ($order)"
exit "$bad"
