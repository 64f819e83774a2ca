# defectd — plain Makefile with generated dependencies.
#
#   make            build/defectd (optimised, hardened)
#   make check      the whole suite: -Werror, unit + corpus tests under ASan/UBSan,
#                   fuzz smoke run, integration tests against real servers
#   make run        install what is missing, build, start a private PostgreSQL under
#                   ./var/, ingest the bundled sample mailbox, print the defect list
#   make bench      benchmarks (parser throughput, ingestion), printing figures
#   make fuzz       libFuzzer target for the parser (clang), run for FUZZ_SECONDS;
#                   make fuzz-smoke: short runs of it and of the IMAP answer reader
#   make deps       apt-get install the Debian packages below
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
WERROR   ?= -Werror
FUZZ_SECONDS ?= 60
.DEFAULT_GOAL := all

# pkg-config module -> Debian package providing it
PKG_MAP := libetpan:libetpan-dev libutf8proc:libutf8proc-dev yaml-0.1:libyaml-dev \
	jansson:libjansson-dev libxml-2.0:libxml2-dev libzip:libzip-dev xlsxwriter:libxlsxwriter-dev \
	libsystemd:libsystemd-dev libcurl:libcurl4-gnutls-dev libpq:libpq-dev cmocka:libcmocka-dev
PKGS     := $(foreach m,$(PKG_MAP),$(firstword $(subst :, ,$(m))))
DEB_PKGS := $(foreach m,$(PKG_MAP),$(lastword $(subst :, ,$(m)))) libcsv-dev libmimalloc-dev pkg-config
# servers and tools the tests and `make run` use
DEB_RUN  := postgresql dovecot-imapd python3-aiosmtpd openssl
DEB_TEST := clang libclang-rt-14-dev valgrind

NODEPS_GOALS := deps clean distclean help
ifeq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
else
  HAVE_PKGCONFIG := $(shell command -v pkg-config >/dev/null 2>&1 && echo yes)
  ifneq ($(HAVE_PKGCONFIG),yes)
    $(error pkg-config is missing: run 'make deps' (apt-get install pkg-config $(DEB_PKGS)))
  endif
  MISSING := $(foreach m,$(PKG_MAP),$(if $(shell pkg-config --exists $(firstword $(subst :, ,$(m))) && echo y),,$(lastword $(subst :, ,$(m)))))
  ifeq ($(wildcard /usr/include/csv.h),)
    MISSING += libcsv-dev
  endif
  ifeq ($(wildcard /usr/include/mimalloc.h),)
    MISSING += libmimalloc-dev
  endif
  ifneq ($(strip $(MISSING)),)
    $(error missing Debian packages: $(strip $(MISSING)) -- run 'make deps' as root)
  endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(filter-out cmocka,$(PKGS)) 2>/dev/null)
# libetpan's .pc asks for -specs=no-pie-link.specs: we link PIE, so drop it
PKG_LIBS   := $(filter-out -specs=%,$(shell pkg-config --libs $(filter-out cmocka,$(PKGS)) 2>/dev/null)) -lcsv -lm
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
# the release binary takes malloc from mimalloc (no .pc file): the parser makes ~200
# small allocations per message (libetpan, iconv, our strings) and spends ~15 % of its
# time in glibc's malloc; mimalloc is ~10-15 % faster end to end (make bench).  Linked
# whether or not a symbol is used, so that it interposes malloc for every library.
# Sanitizer, valgrind-test and fuzz builds keep their own allocators.
ALLOC_LIBS := -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state

WARN := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter $(WERROR)
BASE_CFLAGS := $(WARN) -D_GNU_SOURCE -DDEFECTD_SQL_DIR=\"$(PREFIX)/share/defectd/sql\" -iquote parsers -iquote daemon -iquote build/gen $(PKG_CFLAGS) -MMD -MP
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
# -O3 with link-time optimisation: ~8 % more parser throughput than -O2 (make bench)
CFLAGS   ?= -O3 -g -flto=auto
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDHARDEN := -pie -Wl,-z,relro,-z,now

PARSER_SRC := $(wildcard parsers/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
GEN_SRC    := build/gen/vocab_default.c
LIB_SRC    := $(PARSER_SRC) $(DAEMON_SRC)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

OBJ      := $(patsubst %.c,build/obj/%.o,$(LIB_SRC)) build/obj/gen/vocab_default.o
SAN_OBJ  := $(patsubst %.c,build/san/obj/%.o,$(LIB_SRC)) build/san/obj/gen/vocab_default.o
PARSER_SAN_OBJ := $(patsubst %.c,build/san/obj/%.o,$(PARSER_SRC)) build/san/obj/gen/vocab_default.o
UNIT_BIN := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRC))

VG_BIN := $(patsubst tests/unit/%.c,build/vg/tests/%,$(UNIT_SRC))
build/vg/tests/%: build/obj/tests/unit/%.o $(OBJ)
	@mkdir -p $(@D)
	@echo "LD $@"; $(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# memcheck over the parser and the unit tests (built without sanitizers)
valgrind: all $(VG_BIN)
	@tests/tools/valgrind.sh

.PHONY: all check unit valgrind corpus-test fuzz fuzz-smoke bench run deps install clean distclean help integration
all: build/defectd build/defectctl

build/gen/vocab_default.c: config/vocabulary.yaml tests/tools/embed.py
	@mkdir -p $(@D)
	python3 tests/tools/embed.py vocab_default_yaml $< > $@.tmp && mv $@.tmp $@

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	@echo "CC $<"; $(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -c -o $@ $<
build/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC $<"; $(CC) $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -c -o $@ $<
build/san/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	@echo "CC(san) $<"; $(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -c -o $@ $<
build/san/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC(san) $<"; $(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

build/defectd: build/obj/daemon/main.o $(OBJ)
	@echo "LD $@"; $(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(ALLOC_LIBS) $(PKG_LIBS)
build/defectctl: build/defectd
	ln -sf defectd $@
build/san/defectd: build/san/obj/daemon/main.o $(SAN_OBJ)
	@echo "LD $@"; $(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/san/tests/%: build/san/obj/tests/unit/%.o $(SAN_OBJ)
	@mkdir -p $(@D)
	@echo "LD $@"; $(CC) $(SAN) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# ---- tests ---------------------------------------------------------------
unit: $(UNIT_BIN)
	@tests/tools/run-unit.sh $(UNIT_BIN)

corpus-test: build/san/defectd
	@tests/corpus/run.sh build/san/defectd

check: all build/san/defectd $(UNIT_BIN)
	@tests/run-all.sh

integration: all
	@tests/integration/run.sh

# ---- fuzzing (clang + libFuzzer) -----------------------------------------
FUZZ_CC := clang
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -iquote parsers -iquote build/gen $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c $(PARSER_SRC) $(GEN_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS)
build/fuzz/fuzz_imap_wire: tests/fuzz/fuzz_imap_wire.c daemon/imap_wire.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -iquote daemon -o $@ $^
fuzz: build/fuzz/fuzz_parse
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_parse -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -timeout=10 \
		-dict=tests/fuzz/mail.dict build/fuzz/corpus tests/fuzz/seeds
fuzz-smoke:
	@tests/fuzz/smoke.sh

# ---- run, bench ------------------------------------------------------------
run: deps-if-missing
	@$(MAKE) --no-print-directory all
	@tests/tools/make-run.sh

bench: all
	@tests/bench/run.sh

# install only what is missing (make run on a fresh machine)
deps-if-missing:
	@tests/tools/deps.sh --if-missing $(DEB_PKGS) $(DEB_RUN)

deps:
	tests/tools/deps.sh $(DEB_PKGS) $(DEB_RUN) $(DEB_TEST)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/defectd/sql $(DESTDIR)/etc/defectd
	install -m 755 build/defectd $(DESTDIR)$(PREFIX)/bin/defectd
	ln -sf defectd $(DESTDIR)$(PREFIX)/bin/defectctl
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/defectd/sql/
	install -m 644 config/defectd.yaml.example $(DESTDIR)/etc/defectd/defectd.yaml.example
	install -D -m 644 systemd/defectd.service $(DESTDIR)/lib/systemd/system/defectd.service

clean:
	rm -rf build

distclean: clean
	rm -rf var

help:
	@sed -n '1,15p' Makefile

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
