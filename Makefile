# relayguard - one non-recursive Makefile.
#
#   make            build build/relayguard, relayguard-policyd, relayguardctl
#   make check      install missing Debian packages, build, run every test
#   make demo       sign real mail through a throwaway Postfix on loopback
#   make fuzz-long  every fuzz target for 10 million runs (FUZZ_BUDGET=s)
#   make bench      throughput against bare Postfix and opendkim; policy
#                   decisions/s against postfwd and policyd-rate-limit;
#                   limit decisions/s against redis-benchmark
#   make install    PREFIX, SYSCONFDIR, LIBDIR, DESTDIR as usual (the Redis
#                   module: LIBDIR/relayguard/relayguard-redis.so)
#   make deb        the Debian package in build/deb (dpkg-buildpackage)
#
# Users may set CC, CFLAGS, LDFLAGS, PREFIX, SYSCONFDIR, DESTDIR.  The
# project's own flags are appended after theirs so they cannot be dropped.
# SAN=1 builds with ASan + UBSan; WERROR=0 turns -Werror off.

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
LIBDIR ?= $(PREFIX)/lib
WERROR ?= 1
SAN ?= 0

ifeq ($(SAN),1)
B ?= build-san
else
B ?= build
endif
PKGS := milter libcrypto libidn2 hiredis
# libopendkim: only the oracle of tests/unit/dkimsign_test.c (relayguard
# signs by itself, core/dkimsign.c)
OPENDKIM_CFLAGS = $(shell pkg-config --cflags opendkim 2>/dev/null)
OPENDKIM_LIBS = $(shell pkg-config --libs opendkim 2>/dev/null)

RG_WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla
ifeq ($(WERROR),1)
RG_WARN += -Werror
endif
RG_HARDEN := -fstack-protector-strong -fstack-clash-protection -fPIE
RG_LDHARDEN := -pie -Wl,-z,relro,-z,now
ifeq ($(SAN),1)
RG_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else
RG_SAN :=
RG_HARDEN += -D_FORTIFY_SOURCE=2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lresolv -lm

RG_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iutil -Icore -Ifilter -Ipolicy \
	$(RG_WARN) $(RG_HARDEN) $(RG_SAN) -MMD -MP
ALL_CFLAGS = $(CFLAGS) $(RG_CFLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(RG_LDHARDEN) $(RG_SAN) -pthread

UTIL_SRC := $(wildcard util/*.c)
CORE_SRC := $(wildcard core/*.c)
FILTER_SRC := $(wildcard filter/*.c)
CTL_SRC := $(wildcard ctl/*.c)
UTIL_OBJ := $(UTIL_SRC:%.c=$(B)/%.o)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o) $(UTIL_OBJ)
FILTER_OBJ := $(FILTER_SRC:%.c=$(B)/%.o)
CTL_OBJ := $(CTL_SRC:%.c=$(B)/%.o)

# relayguard-policyd: policy/main.c plus the modules in libpolicy.a (unit
# tests link those); libev has no pkg-config file in Debian 12
POLICY_SRC := $(filter-out policy/main.c,$(wildcard policy/*.c))
POLICY_OBJ := $(POLICY_SRC:%.c=$(B)/%.o)
POLICY_LIBS := -lev
POLICYD := $(B)/relayguard-policyd

UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# small programs the shell tests drive (tests/tools/NAME.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)

PROG := $(B)/relayguard
# the Redis module (redis/): RELAYGUARD.LIMIT, loaded by redis-server; no
# sanitizers in it (redis-server has no ASan runtime to load it with)
RGMOD := $(B)/relayguard-redis.so
RGMOD_SRC := $(wildcard redis/*.c)
RGMOD_OBJ := $(RGMOD_SRC:%.c=$(B)/%.pic.o)
# test drivers used by the integration tests
TEST_BIN := $(B)/tests/spfq
CTL := $(B)/relayguardctl
# small driver programs the tests and benchmarks use
TOOLS := $(B)/tests/limitq $(B)/tests/limit_bench

.PHONY: all check check-unit check-milter check-policy check-integration \
	check-conf lint deps demo bench bench-policy fuzz fuzz-long install \
	uninstall clean tools deb FORCE

all: $(PROG) $(POLICYD) $(CTL) $(RGMOD)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(PROG): $(FILTER_OBJ) $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(FILTER_OBJ) $(B)/libcore.a $(PKG_LIBS)

$(CTL): $(CTL_OBJ) $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CTL_OBJ) $(B)/libcore.a $(PKG_LIBS) -lresolv

$(POLICYD): $(B)/policy/main.o $(B)/libpolicy.a $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(B)/policy/main.o $(B)/libpolicy.a \
		$(B)/libcore.a $(PKG_LIBS) $(POLICY_LIBS)

$(B)/redis/%.pic.o: redis/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -D_DEFAULT_SOURCE $(RG_WARN) \
		$(filter-out -fPIE -D_FORTIFY_SOURCE=2,$(RG_HARDEN)) \
		-D_FORTIFY_SOURCE=2 -fPIC \
		-ffp-contract=off -fvisibility=hidden -MMD -MP -c -o $@ $<

$(RGMOD): $(RGMOD_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-z,relro,-z,now -Wl,-z,defs \
		-o $@ $(RGMOD_OBJ) -lm

$(B)/libpolicy.a: $(POLICY_OBJ)
	rm -f $@
	ar rcs $@ $(POLICY_OBJ)

# The configuration directory is compiled into one object, core/conf.o
# (conf_default_path()); the stamp rebuilds it when SYSCONFDIR changes, so
# "make install SYSCONFDIR=..." installs where the programs look.
$(B)/core/conf.o: RG_CFLAGS += -DRG_SYSCONFDIR='"$(SYSCONFDIR)"'
$(B)/core/conf.o: $(B)/sysconfdir.stamp
$(B)/sysconfdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@
FORCE:

$(B)/libcore.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $(CORE_OBJ)

$(B)/tests/spfq: tests/spfq.c $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcore.a $(PKG_LIBS)

$(B)/tests/limitq: tests/tools/limitq.c $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcore.a $(PKG_LIBS)

$(B)/tests/limit_bench: tests/bench/limit_bench.c $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcore.a $(PKG_LIBS)

tools: $(TOOLS)

$(B)/tests/%_test: tests/unit/%_test.c $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< \
		$(B)/libcore.a $(PKG_LIBS) -lcmocka $(UNIT_LDEXTRA)

$(B)/tests/%: tests/tools/%.c $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libcore.a $(PKG_LIBS)

# dkimsign_test compares every RSA signature with libopendkim's
$(B)/tests/dkimsign_test: UNIT_LDEXTRA = $(OPENDKIM_CFLAGS) $(OPENDKIM_LIBS)

# audit_test makes writev(2) block or fail on purpose
$(B)/tests/audit_test: UNIT_LDEXTRA = -Wl,--wrap=writev
# keytable_test swaps a key file for a symbolic link as it is opened
$(B)/tests/keytable_test: UNIT_LDEXTRA = -Wl,--wrap=open64 \
	-Wl,--wrap=openat64 -Wl,--wrap=__openat64_2

# tests of policy/ modules (the shorter stem wins over the rule above)
$(B)/tests/policy_%_test: tests/unit/policy_%_test.c $(B)/libpolicy.a \
		$(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< \
		$(B)/libpolicy.a $(B)/libcore.a $(PKG_LIBS) $(POLICY_LIBS) \
		-lcmocka

# --- packages -------------------------------------------------------------

# Everything the build and the tests need, installed when missing.
DEB_PKGS := $(shell cat tests/packages.txt 2>/dev/null)
# and those only the benchmarks need (rspamd): not installed by make check
BENCH_PKGS := $(shell grep -v '^\#' tests/bench/packages.txt 2>/dev/null)

deps:
	@sh tests/deps.sh $(DEB_PKGS)

# --- Debian package -------------------------------------------------------

# build/deb/relayguard_VERSION_ARCH.deb from a copy of this tree
# (dpkg-buildpackage), checked by lintian (debian/make-deb.sh)
deb: deps
	@sh debian/make-deb.sh build/deb

# --- tests ----------------------------------------------------------------

# the build on every core unless make was given -j itself
JOBS := $(if $(findstring -j,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))

check: deps
	$(MAKE) $(JOBS) all $(UNIT_BIN) $(TEST_BIN) $(TOOL_BIN) $(TOOLS)
	@RG_BUILD=$(B) sh tests/run.sh

check-unit: $(UNIT_BIN)
	@RG_BUILD=$(B) sh tests/run.sh unit

check-milter: $(PROG)
	@RG_BUILD=$(B) sh tests/run.sh milter

check-policy: $(PROG) $(POLICYD)
	@RG_BUILD=$(B) sh tests/run.sh policy

check-integration: $(PROG) $(POLICYD) $(CTL) $(TEST_BIN) $(TOOL_BIN) $(TOOLS)
	@RG_BUILD=$(B) sh tests/run.sh integration

lint:
	@sh tests/lint.sh

demo: deps
	$(MAKE) all
	@bash tests/demo.sh

bench: deps
	@sh tests/deps.sh $(BENCH_PKGS)
	$(MAKE) all $(TOOLS)
	@bash tests/bench/bench.sh
	@bash tests/bench/filter_cost.sh
	@FC_CONFIGS=provider FC_MSGS=10000 FC_ROUNDS=10 bash tests/bench/filter_cost.sh
	@RG_BUILD=$(B) bash tests/bench/limit_bench.sh
	@RG_BUILD=$(B) bash tests/bench/limit_bench_scale.sh
	@bash tests/bench/policy_bench.sh
	@BENCH_POLICY_EOM=1 BENCH_POLICY_SERVERS="null relayguard-redis-module" \
		bash tests/bench/policy_bench.sh

# the policy service alone: relayguard-policyd, postfwd1, postfwd2 and
# policyd-rate-limit under the same load (tests/bench/policy_bench.sh), then
# the do-nothing server and relayguard-policyd with the Redis module over a
# message's whole life (RCPT, RCPT, END-OF-MESSAGE)
bench-policy: deps
	$(MAKE) all
	@bash tests/bench/policy_bench.sh
	@BENCH_POLICY_EOM=1 BENCH_POLICY_SERVERS="null relayguard-redis-module" \
		bash tests/bench/policy_bench.sh

fuzz:
	@bash tests/fuzz/run.sh

# every fuzz target until FUZZ_RUNS executions (10 million) or FUZZ_BUDGET
# seconds each, one after the other under nice; the committed corpus in
# tests/fuzz/corpus/ is minimized (libFuzzer -merge=1) and a table of
# executions and coverage printed.  FUZZ_TARGETS picks targets.
FUZZ_RUNS ?= 10000000
fuzz-long:
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_BUDGET=$(FUZZ_BUDGET) \
		bash tests/fuzz/run.sh --long $(FUZZ_TARGETS)

# --- install --------------------------------------------------------------

install: $(PROG) $(POLICYD) $(CTL) $(RGMOD)
	install -d $(DESTDIR)$(LIBDIR)/relayguard
	install -m 644 $(RGMOD) $(DESTDIR)$(LIBDIR)/relayguard/relayguard-redis.so
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/relayguard
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/sbin/relayguard
	install -m 755 $(POLICYD) $(DESTDIR)$(PREFIX)/sbin/relayguard-policyd
	install -m 755 $(CTL) $(DESTDIR)$(PREFIX)/sbin/relayguardctl
	install -m 644 filter/relayguard.8 policy/relayguard-policyd.8 \
		ctl/relayguardctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 conf/relayguard.conf.5 conf/relayguard-limits.5 \
		$(DESTDIR)$(MANDIR)/man5/
	test -e $(DESTDIR)$(SYSCONFDIR)/relayguard/senders || \
		install -m 644 conf/senders $(DESTDIR)$(SYSCONFDIR)/relayguard/senders
	test -e $(DESTDIR)$(SYSCONFDIR)/relayguard/limits || \
		install -m 644 conf/limits $(DESTDIR)$(SYSCONFDIR)/relayguard/limits
	test -e $(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf || \
		install -m 644 conf/relayguard.conf \
			$(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/relayguard \
		$(DESTDIR)$(PREFIX)/sbin/relayguard-policyd \
		$(DESTDIR)$(PREFIX)/sbin/relayguardctl \
		$(DESTDIR)$(MANDIR)/man8/relayguard.8 \
		$(DESTDIR)$(MANDIR)/man8/relayguard-policyd.8 \
		$(DESTDIR)$(MANDIR)/man8/relayguardctl.8 \
		$(DESTDIR)$(MANDIR)/man5/relayguard.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/relayguard-limits.5 \
		$(DESTDIR)$(LIBDIR)/relayguard/relayguard-redis.so

clean:
	rm -rf build build-san

-include $(CORE_OBJ:.o=.d) $(FILTER_OBJ:.o=.d) $(CTL_OBJ:.o=.d) \
	$(UNIT_BIN:=.d) $(TOOL_BIN:=.d) $(TOOLS:=.d) $(POLICY_OBJ:.o=.d) \
	$(B)/policy/main.d $(RGMOD_OBJ:.o=.d)
