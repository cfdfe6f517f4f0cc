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

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TESTLIB_SRC := $(sort $(wildcard tests/unit/support_*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
GEN_BIN  := $(BUILD)/tests/gen
EX_SRC   := $(sort $(wildcard examples/*.c))
EX_BIN   := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)

STATIC   := $(BUILD)/librunnel.a
SHARED   := $(BUILD)/$(SONAME)
TOOL     := tools/runnel

.PHONY: all lib tools test unit cli check helgrind bench bench-deps demo fuzz install uninstall \
        clean help deps

## all: build the library and the runnel command
all: lib tools

## lib: build librunnel.a, librunnel.so.MAJOR (with soname) and runnel.pc
lib: $(STATIC) $(SHARED) $(BUILD)/runnel.pc

## tools: build the command-line program at tools/runnel
tools: $(TOOL)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/tools/%.o: tools/%.c $(wildcard tools/*.h) lib/runnel.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -Ilib -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(wildcard tests/unit/*.h) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CPPFLAGS) $(CFLAGS) -Ilib -Itests/unit -c $< -o $@

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

$(BUILD)/bench/ceiling: bench/ceiling.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CFLAGS) -o $@ $< -lz

$(GEN_BIN): tests/gen.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(CFLAGS) -o $@ $<

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

## test: install deps, build with -Werror, run unit and command-line tests
test: deps
	$(MAKE) CFLAGS="$(CFLAGS) -Werror" all $(UNIT_BIN) $(GEN_BIN) $(EX_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

## check: the whole test suite under AddressSanitizer and UBSan
check: deps
	$(MAKE) BUILD=build/san TOOL=build/san/runnel \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all $(subst $(BUILD)/,build/san/,$(UNIT_BIN) $(GEN_BIN) $(EX_BIN))
	@BUILD=build/san RUNNEL=build/san/runnel \
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
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq time miller datamash gawk mawk ripgrep hyperfine

## bench: generate large inputs and time runnel against installed peers
bench: all $(GEN_BIN) $(BUILD)/bench/ceiling
	@BUILD=$(BUILD) sh bench/run.sh

## fuzz: run each libFuzzer target (FUZZ_SECONDS, default 60)
fuzz:
	@echo "make fuzz: no fuzz targets yet (see README, 'What does not work yet')"

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
	rm -rf build $(TOOL)

## help: list the targets
help:
	@sed -n 's/^## //p' Makefile
