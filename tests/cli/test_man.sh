# The man page tools/runnel.1: it renders without a groff warning (and
# without a warning from man, where man-db is installed), and it names every
# source, verb and ready-made job that `runnel --help` lists, and every global
# option, so that it cannot silently fall behind the program. Skipped, and
# said so, where groff is missing.

man_page=tools/runnel.1
if ! command -v groff >/dev/null 2>&1; then
    echo "  (groff not found: the man page checks are skipped;"
    echo "   apt-get install groff man-db to run them)"
elif [ ! -f "$man_page" ]; then
    cli_bad "man page: $man_page is missing"
else
    # Renders with every warning on, and nothing on stderr.
    LC_ALL=C groff -man -Tascii -ww -z "$man_page" >/dev/null 2>"$T/man.err"
    if [ -s "$T/man.err" ]; then
        cli_bad "man page: groff warns: $(head -c 300 "$T/man.err")"
    else
        cli_pass=$((cli_pass + 1))
    fi
    if command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- --warnings; then
        LC_ALL=C MANWIDTH=80 man --warnings -l "$man_page" >/dev/null 2>"$T/man.err"
        if [ -s "$T/man.err" ]; then
            cli_bad "man page: man --warnings: $(head -c 300 "$T/man.err")"
        else
            cli_pass=$((cli_pass + 1))
        fi
    fi

    # The page as plain text (no bold or underline), to look names up in.
    LC_ALL=C groff -man -Tascii -P-cbou "$man_page" >"$T/man.txt" 2>/dev/null

    # The names --help lists under its "Sources:", "Verbs ...:" and any
    # "... jobs:" heading: two a line, the first word indented by two and the
    # word at column 42.
    "$RUNNEL" --help >"$T/help.txt" 2>&1
    awk '/^[^ ].*:$/ { sec = tolower($0); next }
         sec ~ /source|verb|job/ && /^  [a-z]/ {
             print $1
             split(substr($0, 42), second, " ")
             if (second[1] != "") print second[1]
         }' \
        "$T/help.txt" >"$T/help.names"
    if ! grep -qx lines "$T/help.names" || ! grep -qx filter "$T/help.names"; then
        cli_bad "man page: could not read the names from runnel --help: $(head -c 300 "$T/help.txt")"
    else
        man_missing=
        while read -r man_name; do
            # Each is the tag of an entry: a line "       NAME ..." in the page.
            grep -q "^       $man_name\( \|\$\)" "$T/man.txt" ||
                man_missing="$man_missing $man_name"
        done <"$T/help.names"
        if [ -n "$man_missing" ]; then
            cli_bad "man page: no entry for what runnel --help lists:$man_missing"
        else
            cli_pass=$((cli_pass + 1))
        fi
    fi

    # Every long option --help lists, e.g. "--block-size", is in the page.
    man_missing=
    "$RUNNEL" help options >>"$T/help.txt" 2>&1
    for man_opt in $(sed -n '/^Options:/,/^$/p' "$T/help.txt" |
        grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$man_opt" "$T/man.txt" ||
            man_missing="$man_missing $man_opt"
    done
    if [ -n "$man_missing" ]; then
        cli_bad "man page: options runnel --help lists are missing:$man_missing"
    else
        cli_pass=$((cli_pass + 1))
    fi
fi
