# The examples in examples/ give the command line's answers; the library
# installs and an example builds against it with pkg-config, shared and
# static; only rn_ symbols are exported; the versions agree.

EX=$BUILD/examples
"$RUNNEL" -o csv log data/app.log.gz then filter 'level == ERROR' \
    then extract message 'Error code: (?<code>\d+)' then count-by code >"$T/ex.want"
expect_file "errcodes example" 0 "$T/ex.want" "$EX/errcodes" data/app.log.gz
expect_file "errcodes example on stdin" 0 "$T/ex.want" sh -c '"$0" <data/app.log.gz' "$EX/errcodes"
"$RUNNEL" -o csv csv data/sales.csv then groupby category count sum:amount mean:amount >"$T/agg.want"
expect_file "csvagg example" 0 "$T/agg.want" "$EX/csvagg" data/sales.csv category amount
"$EX/csvagg" data/sales.csv category amout >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q "^csvagg: groupby: no field 'amout'.*did you mean 'amount'" "$T/err" &&
    cli_pass=$((cli_pass + 1)) || cli_bad "csvagg example, unknown field: $(cat "$T/err")"
if [ -x "$EX/push" ]; then
    "$RUNNEL" -o csv log data/app.log then filter 'level == ERROR' \
        then extract message 'Error code: (?<code>\d+)' then count-by code >"$T/push.want"
    expect_file "push example (bytes through a socketpair)" 0 "$T/push.want" "$EX/push" data/app.log
fi

# Exported symbols: rn_ only.
if command -v nm >/dev/null 2>&1 && [ -f "$BUILD/librunnel.so.0" ]; then
    other=$(nm -D --defined-only "$BUILD/librunnel.so.0" | awk '{print $3}' | grep -v '^rn_' | tr '\n' ' ')
    [ -z "$other" ] && cli_pass=$((cli_pass + 1)) || cli_bad "exported symbols without rn_: $other"
    nm -D --defined-only "$BUILD/librunnel.so.0" | grep -q ' rn_next$' &&
        cli_pass=$((cli_pass + 1)) || cli_bad "rn_next is not exported"
fi

# Install into a DESTDIR and build an example with pkg-config. The normal
# build only: the sanitizer build's objects need its own link flags.
if [ "$BUILD" = build ] && command -v pkg-config >/dev/null 2>&1; then
    D=$T/inst
    make -s install DESTDIR="$D" PREFIX=/usr/local >"$T/inst.log" 2>&1 ||
        cli_bad "make install: $(tail -3 "$T/inst.log")"
    for f in include/runnel.h lib/librunnel.a lib/librunnel.so.0 lib/librunnel.so \
             lib/pkgconfig/runnel.pc bin/runnel share/man/man1/runnel.1; do
        [ -e "$D/usr/local/$f" ] || cli_bad "make install did not install $f"
    done
    export PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$D/usr/local/lib/pkgconfig"
    for ex in csvagg push; do
        if cc -o "$T/$ex-shared" "examples/$ex.c" $(pkg-config --cflags --libs runnel) 2>"$T/cc.log"; then
            cli_pass=$((cli_pass + 1))
        else
            cli_bad "$ex against the installed library: $(head -3 "$T/cc.log")"
        fi
    done
    expect_file "csvagg built against the installed library" 0 "$T/agg.want" \
        env LD_LIBRARY_PATH="$D/usr/local/lib" "$T/csvagg-shared" data/sales.csv category amount
    if cc -o "$T/ex-shared" examples/errcodes.c $(pkg-config --cflags --libs runnel) 2>"$T/cc.log"; then
        expect_file "example built against the installed shared library" 0 "$T/ex.want" \
            env LD_LIBRARY_PATH="$D/usr/local/lib" "$T/ex-shared" data/app.log.gz
        soname=$(LD_LIBRARY_PATH="$D/usr/local/lib" ldd "$T/ex-shared" | grep -o 'librunnel.so.[0-9]*' | head -1)
        [ "$soname" = librunnel.so.0 ] && cli_pass=$((cli_pass + 1)) || cli_bad "linked soname: '$soname'"
    else
        cli_bad "cc with pkg-config (shared): $(head -3 "$T/cc.log")"
    fi
    if cc -o "$T/ex-static" examples/errcodes.c $(pkg-config --cflags runnel) \
          "$D/usr/local/lib/librunnel.a" $(pkg-config --static --libs-only-l --libs-only-other runnel | sed 's/-lrunnel//') 2>"$T/cc.log"; then
        expect_file "example built against the installed static library" 0 "$T/ex.want" \
            "$T/ex-static" data/app.log.gz
    else
        cli_bad "cc with pkg-config --static: $(head -3 "$T/cc.log")"
    fi
    unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
    # The version macros, the library and the command agree.
    printf '#include <runnel.h>\n#include <stdio.h>\nint main(void){printf("%%d %%u %%s\\n", RN_VERSION_NUMBER, rn_version_number(), rn_version_string());return 0;}\n' >"$T/v.c"
    cc -I"$D/usr/local/include" -o "$T/v" "$T/v.c" "$D/usr/local/lib/librunnel.a" -lcsv -lz -lpcre2-8 &&
        "$T/v" >"$T/v.out" && read -r num lib str <"$T/v.out" &&
        [ "$num" = "$lib" ] && [ "runnel $str" = "$("$RUNNEL" --version)" ] &&
        cli_pass=$((cli_pass + 1)) || cli_bad "versions disagree: $(cat "$T/v.out")"
    make -s uninstall DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
    [ ! -e "$D/usr/local/lib/librunnel.a" ] && cli_pass=$((cli_pass + 1)) || cli_bad "uninstall left librunnel.a"
else
    echo "  (install test: runs in the normal build with pkg-config only)"
fi
