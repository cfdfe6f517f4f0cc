# runnel - build, test, bench, install.  `make help` lists the targets.

CC      ?= cc
AR      ?= ar
PREFIX  ?= /usr/local
DESTDIR ?=
CFLAGS  ?= -O2 -g
LDFLAGS ?=
BUILD   ?= build

LIBDIR     = $(PREFIX)/lib
INCDIR     = $(PREFIX)/include
BINDIR     = $(PREFIX)/bin
MANDIR     = $(PREFIX)/share/man/man1
PCDIR      = $(LIBDIR)/pkgconfig

MAJOR   := $(shell sed -n 's/^\#define RN_VERSION_MAJOR \([0-9]*\)/\1/p' lib/runnel.h)
VERSION := $(shell sed -n 's/^\#define RN_VERSION_STRING "\(.*\)"/\1/p' lib/runnel.h)
SONAME  := librunnel.so.$(MAJOR)

WARN = -std=c11 -Wall -Wextra -Wshadow -Wundef -Wcast-qual -Wstrict-prototypes \
       -Wmissing-prototypes -Wpointer-arith -Wvla -Wformat=2 -Wwrite-strings
DEFS = -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
LIBS = -lcsv -lz -lpcre2-8

# Debian packages with the headers we build against; `make deps` installs them.
DEB_PKGS  = libcsv-dev zlib1g-dev libcmocka-dev libpcre2-dev pkg-config
DEB_PROBE = /usr/include/csv.h /usr/include/zlib.h /usr/include/cmocka.h \
            /usr/include/pcre2.h

LIB_SRC  := $(sort $(wildcard lib/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TESTLIB_SRC := $(sort $(wildcard tests/unit/support_*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
GEN_BIN  := $(BUILD)/tests/gen
# The command's chains built by the library alone (tests/cli/test_pipeline.sh).
PE_BIN   := $(BUILD)/tests/pipeline_errors
EX_SRC   := $(sort $(wildcard examples/*.c))
EX_BIN   := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)
# Fuzz targets: each tests/fuzz/fuzz_<t>.c builds as replay_<t> with $(CC)
# for `make test` (replays tests/fuzz/corpus/<t>), and with clang's libFuzzer
# for `make fuzz`, which is optional: nothing else needs clang.
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/replay_%)
FUZZ_SECONDS ?= 60
FUZZ_CLANG   ?= clang
FUZZ_DIR     ?= build/fuzz-clang
FUZZ_CFLAGS  := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=$(FUZZ_DIR)/lib/%.o)

STATIC   := $(BUILD)/librunnel.a
SHARED   := $(BUILD)/$(SONAME)
TOOL     := tools/runnel

.PHONY: all lib tools test unit cli layers check helgrind bench bench-deps demo fuzz install \
        uninstall clean help deps

## all: build the library and the runnel command
all: lib tools

## lib: build librunnel.a, librunnel.so.MAJOR (with soname) and runnel.pc
lib: $(STATIC) $(SHARED) $(BUILD)/runnel.pc

## tools: build the command-line program at tools/runnel
tools: $(TOOL)

# Every object records the headers it read (-MMD), so a header change
# rebuilds exactly what includes it. Library files include the headers of
# other layers as "layer/name.h", through -Ilib (lib/README.md).
DEPFLAGS = -MMD -MP

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(DEPFLAGS) $(CPPFLAGS) $(CFLAGS) -Ilib -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(DEPFLAGS) $(CPPFLAGS) $(CFLAGS) -Ilib -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(DEPFLAGS) $(CPPFLAGS) $(CFLAGS) -Ilib -Itests/unit -c $< -o $@

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TESTLIB_OBJ:.o=.d) \
         $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf $(SONAME) $(BUILD)/librunnel.so

$(BUILD)/runnel.pc: Makefile lib/runnel.h
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
	  'includedir=$${prefix}/include' '' 'Name: runnel' \
	  'Description: process data streams in constant memory' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lrunnel' \
	  'Libs.private: $(LIBS)' 'Requires.private: zlib libpcre2-8' \
	  'Cflags: -I$${includedir}' > $@

$(TOOL): $(TOOL_OBJ) $(STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(STATIC) $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(TESTLIB_OBJ) $(STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB_OBJ) $(STATIC) -lcmocka $(LIBS) -lpthread

# Examples build as an application would: the public header only.
$(BUILD)/examples/%: examples/%.c $(STATIC) lib/runnel.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -Ilib -o $@ $< $(STATIC) $(LIBS) -lpthread

# A fuzz target with the replay main: saved inputs run without libFuzzer.
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) $(wildcard lib/*/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ \
	  tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(STATIC) $(LIBS)

# The same targets under libFuzzer (make fuzz): the library is built once
# with coverage instrumentation, each target links it with the fuzzer main.
$(FUZZ_DIR)/lib/%.o: lib/%.c $(wildcard lib/*.h lib/*/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEFS) -Ilib -c $< -o $@

.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_LIB_OBJ)
	$(FUZZ_CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(DEFS) -Ilib -o $@ $< \
	  $(FUZZ_LIB_OBJ) $(LIBS)

$(BUILD)/bench/ceiling: bench/ceiling.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CFLAGS) -o $@ $< -lz

$(GEN_BIN): tests/gen.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CFLAGS) -o $@ $<

$(PE_BIN): tests/pipeline_errors.c $(STATIC) lib/runnel.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -Ilib $(LDFLAGS) -o $@ $< \
	  $(STATIC) $(LIBS) -lpthread

## deps: install the Debian packages runnel builds against, if missing
deps:
	@missing=0; for f in $(DEB_PROBE); do [ -e $$f ] || missing=1; done; \
	command -v pkg-config >/dev/null || missing=1; \
	if [ $$missing = 1 ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "make deps: installing $(DEB_PKGS)"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $(DEB_PKGS); \
	fi

## layers: check that each lib/ file includes only its own layer and those below
layers:
	@sh tests/layers.sh lib tools

## test: install deps, build with -Werror, run unit and command-line tests
test: deps layers
	$(MAKE) CFLAGS="$(CFLAGS) -Werror" all $(UNIT_BIN) $(GEN_BIN) $(PE_BIN) $(EX_BIN) $(FUZZ_BIN)
	@BUILD=$(BUILD) RUNNEL=$${RUNNEL:-$(TOOL)} sh tests/run.sh

## check: the whole test suite under AddressSanitizer and UBSan
# In build/san, or in BUILD when one is given (make BUILD=build/mysan check).
SAN := $(if $(filter build,$(BUILD)),build/san,$(BUILD))
check: deps layers
	$(MAKE) BUILD=$(SAN) TOOL=$(SAN)/runnel \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all $(subst $(BUILD)/,$(SAN)/,$(UNIT_BIN) $(GEN_BIN) $(PE_BIN) $(EX_BIN) $(FUZZ_BIN))
	@BUILD=$(SAN) RUNNEL=$(SAN)/runnel \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh

## helgrind: the two-pipelines-in-two-threads test under valgrind's helgrind
helgrind: $(BUILD)/tests/test_threads
	@command -v valgrind >/dev/null || { echo "make helgrind: valgrind is not installed"; exit 1; }
	valgrind --tool=helgrind --error-exitcode=9 -q $(BUILD)/tests/test_threads

## demo: install deps, build, and run the main jobs on the samples in data/
demo: deps all
	@sh tools/demo.sh

## bench-deps: install the peers that bench compares against
bench-deps:
	@sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq time miller datamash gawk mawk ripgrep hyperfine python3 nodejs npm
	@# DuckDB has no Debian package: its Node.js package, from the npm registry.
	mkdir -p $(BUILD)/bench/duckdb && cd $(BUILD)/bench/duckdb && \
	  { [ -f package.json ] || echo '{"private": true}' >package.json; } && \
	  npm install --no-audit --no-fund @duckdb/node-api >/dev/null

## bench: generate large inputs and time runnel against installed peers
bench: all $(GEN_BIN) $(BUILD)/bench/ceiling
	@BUILD=$(BUILD) sh bench/run.sh

## fuzz: run each libFuzzer target with clang (FUZZ_SECONDS each, default 60)
# Seeds come from tests/fuzz/corpus/<t>, which is only read: new inputs go to
# $(FUZZ_DIR)/new/<t>, crashes to $(FUZZ_DIR)/crashes/, logs to
# $(FUZZ_DIR)/<t>.log. FUZZ_TARGETS="csv lines" runs only those.
fuzz:
	@command -v $(FUZZ_CLANG) >/dev/null || { echo "make fuzz: $(FUZZ_CLANG) is not installed"; exit 1; }
	$(MAKE) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@bad=0; for t in $(FUZZ_TARGETS); do \
	  new=$(FUZZ_DIR)/new/$$t; log=$(FUZZ_DIR)/$$t.log; \
	  mkdir -p $$new $(FUZZ_DIR)/crashes; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  if $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	       -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- \
	       $$new tests/fuzz/corpus/$$t >$$log 2>&1; then res=ok; \
	  else res="FAILED, see $$log"; bad=1; fi; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  cov=$$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9/]*[a-zA-Z]*' $$log | tail -n 1); \
	  echo "fuzz_$$t: $${execs:-?} executions, $${cov:-no coverage line}: $$res"; \
	done; [ $$bad = 0 ]

## install: install header, libraries, runnel.pc, runnel and its man page
install: all
	install -d $(DESTDIR)$(INCDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR)
	install -m 644 lib/runnel.h $(DESTDIR)$(INCDIR)/runnel.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/librunnel.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/librunnel.so
	install -m 644 $(BUILD)/runnel.pc $(DESTDIR)$(PCDIR)/runnel.pc
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/runnel
	if [ -f tools/runnel.1 ]; then install -d $(DESTDIR)$(MANDIR) && \
	  install -m 644 tools/runnel.1 $(DESTDIR)$(MANDIR)/runnel.1; fi

## uninstall: remove what install put in place
uninstall:
	rm -f $(DESTDIR)$(INCDIR)/runnel.h $(DESTDIR)$(LIBDIR)/librunnel.a \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/librunnel.so \
	  $(DESTDIR)$(PCDIR)/runnel.pc $(DESTDIR)$(BINDIR)/runnel \
	  $(DESTDIR)$(MANDIR)/runnel.1

## clean: remove everything the build made
clean:
	rm -rf build $(BUILD) $(TOOL)

## help: list the targets
help:
	@sed -n 's/^## //p' Makefile
