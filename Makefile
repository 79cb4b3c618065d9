# ptv -- pay-TV security-module data recovery across card swaps.
# SPDX-License-Identifier: BSD-2-Clause
# Plain make: `make`, `make check`, `make demo`, `make bench`, `make asan`,
# `make install PREFIX=/usr/local DESTDIR=`.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
CC       ?= cc
O        ?= build
WERROR   ?= -Werror

PCSC_CFLAGS := $(shell pkg-config --cflags libpcsclite 2>/dev/null || echo -I/usr/include/PCSC)
PCSC_LIBS   := $(shell pkg-config --libs libpcsclite 2>/dev/null || echo -lpcsclite)
# sd_notify for the daemons' readiness (proto/daemon.c)
SYSTEMD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
# The operator console (centerd -A): HTTPS by libmicrohttpd, JSON by jansson.
MHD_CFLAGS  := $(shell pkg-config --cflags libmicrohttpd jansson 2>/dev/null)
MHD_LIBS    := $(shell pkg-config --libs libmicrohttpd jansson 2>/dev/null || echo -lmicrohttpd -ljansson)
# the center's two engines: SQLite and PostgreSQL's libpq
PQ_CFLAGS   := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PCSC_CFLAGS += $(PQ_CFLAGS)
DB_LIBS      = -lsqlite3 -lpq
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

WARN = -std=c11 -Wall -Wextra -Wshadow -Wcast-qual -Wwrite-strings \
       -Wmissing-prototypes -Wstrict-prototypes -Wconversion \
       -Wimplicit-fallthrough -Wformat-security -Wformat=2 $(WERROR)
HARDEN = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT ?= -O2 -g
CFLAGS ?=
CFLAGS += $(OPT) $(WARN) $(HARDEN) $(EXTRA_CFLAGS)
LDFLAGS += -pie -Wl,-z,relro,-z,now $(EXTRA_LDFLAGS)
CRYPTO_LIBS = -lssl -lcrypto

PROTO_SRC = proto/err.c proto/num.c proto/buf.c proto/tlv.c proto/apdu.c proto/file.c \
            proto/crypto.c proto/ec.c proto/log.c proto/ctl.c \
            proto/m2.c proto/block.c proto/ecm.c proto/cmd.c \
            proto/uplink.c proto/tls.c proto/stop.c proto/keydir.c \
            proto/cert.c
PROTO_SRC += proto/daemon.c
CARD_SRC  = card/store.c card/runtime.c card/vpcd.c card/ident.c \
            card/applets.c card/sm.c card/sm_state.c card/sm_ecm.c \
            card/sm_cmd.c card/sm_perso.c

DEC_SRC   = decoder/m1.c decoder/card.c decoder/monitor.c decoder/config.c \
            decoder/uplink.c decoder/pcsc.c decoder/state.c decoder/session.c \
            decoder/events.c decoder/export.c decoder/ecm.c decoder/sync.c \
            decoder/ctl.c decoder/ctlsock.c decoder/upjob.c \
            decoder/files.c decoder/metrics.c decoder/preflight.c
DEC_SRC  += decoder/quarantine.c decoder/emm.c
DEC_SRC  += decoder/contact.c decoder/answer.c
DEC_SRC  += decoder/pcsc_tx.c
CGS_SRC   = center/db.c center/ingest.c center/stmt.c center/db_session.c \
            center/keycache.c center/separation.c center/ledger.c \
            center/commands.c center/pool.c center/conn.c center/server.c \
            center/io.c center/stats.c center/addrs.c
CGS_SRC  += center/db_schema.c center/db_cmd.c center/db_report.c \
            center/db_card.c
CGS_SRC  += center/store_sqlite.c center/store_pg.c center/group.c
CGS_SRC  += center/group_ckpt.c
CGS_SRC  += center/store_wal.c
CGS_SRC  += center/db_rows.c center/db_views.c
CGS_SRC  += center/db_txn.c center/ingest_check.c
CGS_SRC  += center/db_name.c center/pg_text.c

CONSOLE_SRC = center/console.c center/view.c center/page.c center/metrics.c \
              center/html.c center/token.c
CONSOLE_SRC += center/console_login.c center/console_reply.c
CONSOLE_SRC += center/page_overview.c center/page_card.c center/page_list.c
CONSOLE_SRC += center/view_row.c center/view_list.c

PROTO_OBJ = $(PROTO_SRC:%.c=$(O)/%.o)
CONSOLE_OBJ = $(CONSOLE_SRC:%.c=$(O)/%.o)
DEC_OBJ   = $(DEC_SRC:%.c=$(O)/%.o)
CGS_OBJ   = $(CGS_SRC:%.c=$(O)/%.o)
CARD_OBJ  = $(CARD_SRC:%.c=$(O)/%.o)

BINS = $(O)/vcard $(O)/cardctl $(O)/headend $(O)/decoderd $(O)/decoderctl $(O)/centerd $(O)/centerctl
TEST_BINS = $(O)/test/test_proto $(O)/test/test_formats $(O)/test/test_store \
            $(O)/test/test_runtime $(O)/test/tear_store $(O)/test/test_sm $(O)/test/test_m1 $(O)/test/test_center \
            $(O)/test/test_center_rules $(O)/test/test_keydir
TEST_BINS += $(O)/test/test_dec_card $(O)/test/test_dec_export
TEST_BINS += $(O)/test/test_wire $(O)/test/test_sm_cmd
TEST_BINS += $(O)/test/test_dec_session
TEST_BINS += $(O)/test/test_center_cmds $(O)/test/test_center_card
TEST_BINS += $(O)/test/test_causes
TEST_BINS += $(O)/test/test_db_name
TEST_BINS += $(O)/test/test_console
TEST_BINS += $(O)/test/test_center_group
TEST_BINS += $(O)/test/test_center_durable
TEST_BINS += $(O)/test/test_center_walbuf
TEST_BINS += $(O)/test/test_center_store
TEST_BINS += $(O)/test/test_migrate
TEST_BINS += $(O)/test/test_crypto
BENCH_BINS = $(O)/bench/nullcard $(O)/bench/apdubench $(O)/bench/replacebench \
             $(O)/bench/ingestbench
TOOL_TEST_BINS = $(O)/test/pcsc_send $(O)/test/uplink_send $(O)/test/ctl_send \
                 $(O)/test/stallcenter \
                 $(O)/test/trickle $(O)/test/card_apdu
TOOL_TEST_BINS += $(O)/test/loadgen
TOOL_TEST_BINS += $(O)/test/powercut.so
TOOL_TEST_BINS += $(O)/test/rogue_card
TOOL_TEST_BINS += $(O)/test/jsoncheck
TOOL_TEST_BINS += $(O)/test/failsync.so

# Fuzz targets: test/fuzz/fuzz_NAME.c defines only LLVMFuzzerTestOneInput.
# Each builds as $(O)/fuzz/fuzz_NAME, linked with replay.o (a plain
# program replaying test/fuzz/corpus/NAME/, run by make check) or, in
# `make fuzz`, with libFuzzer.  Add a target's name here and commit its
# corpus; extra objects go in FUZZ_OBJS_NAME.
FUZZ_TARGETS = m2 block ecm cmd cert tlv apdu rapdu uplink_frames uplink_answer \
               ctl_request ctl_reply m1 config registration num hex
FUZZ_TARGETS += card_answers
FUZZ_TARGETS += card_rt vpcd
FUZZ_TARGETS += quarantine
FUZZ_BINS = $(FUZZ_TARGETS:%=$(O)/fuzz/fuzz_%)
FUZZ_MAIN ?= $(O)/test/fuzz/replay.o
FUZZ_LINK ?=
FUZZ_LIBS = $(O)/libcard.a $(O)/libdecoder.a $(O)/libcenter.a $(O)/libproto.a
FUZZ_OBJS_registration = $(O)/tools/keys.o $(O)/tools/util.o
FUZZ_OBJS_card_rt = $(O)/test/fuzz/card_fixture.o
FUZZ_OBJS_vpcd = $(O)/test/fuzz/card_fixture.o

all: $(BINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PCSC_CFLAGS) $(JANSSON_CFLAGS) -MMD -MP -c -o $@ $<

# Archives are made afresh, and again when the Makefile changes, so an
# object dropped from a list (a file split or removed) leaves them.
$(O)/libproto.a: $(PROTO_OBJ) Makefile
	rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(O)/libcard.a: $(CARD_OBJ) Makefile
	rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(O)/libdecoder.a: $(DEC_OBJ) Makefile
	rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(O)/libcenter.a: $(CGS_OBJ) Makefile
	rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(O)/libconsole.a: $(CONSOLE_OBJ) Makefile
	rm -f $@ && $(AR) rcs $@ $(filter %.o,$^)
$(CONSOLE_OBJ): CFLAGS += $(MHD_CFLAGS)

$(O)/vcard: $(O)/card/vcard.o $(O)/card/vcard_slot.o $(O)/card/vcard_ctl.o \
           $(O)/card/vcard_lock.o \
           $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(SYSTEMD_LIBS)
$(O)/cardctl: $(O)/tools/cardctl.o $(O)/tools/usage.o $(O)/tools/m2show.o $(O)/tools/json.o $(O)/tools/client.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) $(CRYPTO_LIBS)

$(O)/decoderd: $(O)/decoder/decoderd.o $(O)/libdecoder.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(CRYPTO_LIBS) $(PCSC_LIBS) \
	    $(SYSTEMD_LIBS)
$(O)/decoderctl: $(O)/tools/decoderctl.o $(O)/tools/dctl_reply.o $(O)/tools/dctl_lists.o $(O)/tools/usage.o $(O)/tools/json.o $(O)/tools/client.o $(O)/tools/util.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) $(CRYPTO_LIBS)
$(O)/centerd: $(O)/center/centerd.o $(O)/libconsole.a $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(DB_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS) \
	    $(SYSTEMD_LIBS)
CENTERCTL_OBJ = $(O)/tools/centerctl.o $(O)/tools/centerctl_tls.o \
                $(O)/tools/centerctl_show.o $(O)/tools/centerctl_card.o \
                $(O)/tools/centerctl_emm.o $(O)/tools/show.o \
                $(O)/tools/usage.o
$(O)/centerctl: $(CENTERCTL_OBJ) $(O)/tools/headend_cmds.o $(O)/tools/m2show.o $(O)/tools/json.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DB_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS)
$(O)/headend: $(O)/tools/headend.o $(O)/tools/usage.o $(O)/tools/headend_cmds.o $(O)/tools/m2show.o $(O)/tools/json.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) $(CRYPTO_LIBS)

# Tests: cmocka unit tests include the .c under test to reach statics.
$(O)/test/%: $(O)/test/%.o $(O)/libcard.a $(O)/libdecoder.a $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(DB_LIBS) $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/bench/%: $(O)/test/bench/%.o $(O)/libcard.a $(O)/libcenter.a $(O)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DB_LIBS) $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/test/test_console: $(O)/test/test_console.o $(O)/libconsole.a $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(DB_LIBS) $(MHD_LIBS) $(CRYPTO_LIBS)
# the group's fdatasync wrapped: a sync held, or failed, by the test
$(O)/test/test_center_durable: LDFLAGS += -Wl,--wrap=fdatasync
$(O)/test/%.o: test/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PCSC_CFLAGS) -MMD -MP -c -o $@ $<
$(O)/test/pcsc_send: $(O)/test/tools/pcsc_send.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PCSC_LIBS)
$(O)/fuzz/fuzz_%: $(O)/test/fuzz/fuzz_%.o $(O)/test/fuzz/common.o $(FUZZ_MAIN) \
    $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(FUZZ_LINK) -o $@ $(filter %.o,$^) $(FUZZ_LIBS) \
	    $(DB_LIBS) $(CRYPTO_LIBS) $(PCSC_LIBS)
$(foreach t,$(FUZZ_TARGETS),$(eval $(O)/fuzz/fuzz_$(t): $(FUZZ_OBJS_$(t))))
$(O)/fuzz/mkcorpus: $(O)/test/fuzz/mkcorpus.o $(O)/test/fuzz/common.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_LIBS) $(DB_LIBS) \
	    $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/test/card_apdu: $(O)/test/tools/card_apdu.o $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(O)/fuzz/mkcorpus_card: $(O)/test/fuzz/mkcorpus_card.o \
    $(O)/test/fuzz/card_fixture.o $(O)/test/fuzz/common.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_LIBS) $(CRYPTO_LIBS)
$(O)/test/rogue_card: $(O)/test/tools/rogue_card.o $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
# an LD_PRELOAD: the commit group's fdatasync fails (center_syncfail.sh)
$(O)/test/failsync.so: test/tools/failsync.c proto/num.c
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(WARN) -fPIC -shared -o $@ $^ -ldl
$(O)/test/jsoncheck: $(O)/test/tools/jsoncheck.o
	$(CC) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS)
$(O)/test/ctl_send: $(O)/test/tools/ctl_send.o
	$(CC) $(LDFLAGS) -o $@ $^
$(O)/test/uplink_send: $(O)/test/tools/uplink_send.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(O)/test/trickle: $(O)/test/tools/trickle.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(O)/test/stallcenter: $(O)/test/tools/stallcenter.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
# The power-cut shim (LD_PRELOAD; test/tools/powercut.c), a test tool
# only: position-independent for a shared object, without the sanitizers
# (a preloaded library comes before their runtime).
POWERCUT_CFLAGS = $(filter-out -fPIE -fsanitize%,$(CFLAGS)) -fPIC
$(O)/test/powercut.so: test/tools/powercut.c proto/num.c
	@mkdir -p $(dir $@)
	$(CC) $(POWERCUT_CFLAGS) -shared -Wl,-z,relro,-z,now -o $@ $^ -ldl \
	    -pthread
LOADGEN_OBJ = $(O)/test/tools/loadgen.o $(O)/test/tools/lg_cards.o \
              $(O)/test/tools/lg_drive.o
$(O)/test/loadgen: $(LOADGEN_OBJ) $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(DB_LIBS) $(CRYPTO_LIBS)

deps:
	@test/deps.sh

check: deps
	$(MAKE) all tests
	test/run.sh $(O)

tests: $(TEST_BINS) $(BENCH_BINS) $(TOOL_TEST_BINS) $(FUZZ_BINS)

bench: deps
	$(MAKE) all tests
	test/bench/bench.sh $(O)

# The center's ingest alone, for a quick A/B (about 5 s a thread count):
# make bench-ingest [INGEST_SECONDS=1] [INGEST_THREADS=1,2,4]
INGEST_SECONDS ?= 1
bench-ingest: $(O)/bench/ingestbench
	@d=$$(mktemp -d /tmp/ptv-ingest.XXXXXX) && \
	$(O)/bench/ingestbench "$$d" $(INGEST_SECONDS) $(INGEST_THREADS); \
	rc=$$?; rm -rf "$$d"; exit $$rc

# The sanitizer build (gcc, ASan + UBSan) in build-asan.  `make asan` runs
# every test under it; make check runs its unit tests and fuzz replays
# (test/sanitizers.sh builds them with asan-units).
ASAN_VARS = O=build-asan HARDEN="-fPIE" \
    OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
    EXTRA_LDFLAGS="-fsanitize=address,undefined"
asan: deps
	$(MAKE) $(ASAN_VARS) all tests
	PTV_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    test/run.sh build-asan
asan-units:
	$(MAKE) $(ASAN_VARS) unit-bins
unit-bins: $(TEST_BINS) $(FUZZ_BINS)
list-units:
	@echo $(notdir $(TEST_BINS))
list-fuzz:
	@echo $(FUZZ_TARGETS)

# The fuzz targets built with clang and libFuzzer in build-fuzz, then each
# run for FUZZ_SECONDS (test/fuzz/libfuzzer.sh, which make check runs with
# a shorter budget).  New inputs go to a scratch directory, never into
# the committed corpus.
# The gcc build is the one whose warnings are errors; clang warns about a
# few things gcc accepts (a vprintf wrapper without a format attribute,
# OpenSSL's SSL_set_tlsext_host_name macro casting away const).
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
fuzz-build:
	$(MAKE) O=build-fuzz CC=clang HARDEN="-fPIE" OPT="-g -O1 \
	    -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE)" FUZZ_MAIN= \
	    WERROR= \
	    FUZZ_LINK="-fsanitize=fuzzer $(FUZZ_SANITIZE)" fuzz-bins
fuzz-bins: $(FUZZ_BINS)
fuzz:
	@test/deps.sh clang libclang-rt-14-dev
	$(MAKE) fuzz-build
	PTV_FUZZ_SECONDS=$${FUZZ_SECONDS:-60} test/fuzz/libfuzzer.sh build-fuzz \
	    $(FUZZ_TARGETS)
# Rewrite the seed corpus (commit the result).
fuzz-corpus: $(O)/fuzz/mkcorpus $(O)/fuzz/mkcorpus_card
	$(O)/fuzz/mkcorpus test/fuzz/corpus
	$(O)/fuzz/mkcorpus_card test/fuzz/corpus

# Static checks.  compile_commands.json is written from the flags above
# (no network, no bear) for every C file the build compiles; fixtures that
# tests #include (smfix.c and the like) are checked through their includers.
# Without -Werror: gcc's build is the warnings gate, clang-tidy runs its
# checks (and would turn clang-only warnings into errors it cannot filter).
TIDY_FIXTURES := $(shell grep -rhoE '^\#include "[a-z_]+\.c"' test | \
                   sed -E 's/.*"(.*)"/\1/' | sort -u)
TIDY_SRC := $(sort $(filter-out $(addprefix %/,$(TIDY_FIXTURES)), \
              $(wildcard card/*.c center/*.c decoder/*.c proto/*.c tools/*.c \
                test/*/*.c)))
FORMAT_SRC := $(sort $(wildcard card/*.[ch] center/*.[ch] decoder/*.[ch] \
                proto/*.[ch] tools/*.[ch] test/*/*.[ch]))
# cmocka's assertions, as the analyzer can follow them (see the header).
TIDY_UNIT_FLAGS = ' -include test/lib/cmocka_analyzer.h'
CLANG_TIDY ?= clang-tidy
CLANG_FORMAT ?= clang-format

compile_commands.json: Makefile $(TIDY_SRC) test/lib/cmocka_analyzer.h
	@{ echo '['; sep=''; for f in $(TIDY_SRC); do \
	    case $$f in test/unit/*) x=$(TIDY_UNIT_FLAGS);; *) x=;; esac; \
	    printf '%s{"directory":"%s","file":"%s","command":"%s%s -c %s -o %s"}\n' \
	        "$$sep" "$(CURDIR)" "$$f" \
	        '$(CC) $(filter-out -Werror,$(CFLAGS)) $(PCSC_CFLAGS)' "$$x" \
	        "$$f" "$(O)/$${f%.c}.o"; \
	    sep=','; done; echo ']'; } >$@.tmp && mv $@.tmp $@
# One file per clang-tidy: in one process several files make the analyzer's
# va_list checker report va_start-ed lists as uninitialized (clang 14).
# A file already found clean, with the same preprocessed text, is skipped
# (test/static/tidy_one.sh; the cache is $(O)/tidy-cache).
tidy: compile_commands.json
	@test/deps.sh clang-tidy
	@printf '%s\n' $(TIDY_SRC) | \
	    TIDY_CPP='$(CC) $(filter-out -Werror,$(CFLAGS)) $(PCSC_CFLAGS)' \
	    CLANG_TIDY='$(CLANG_TIDY)' xargs -P2 -I{} sh -c \
	    'case {} in test/unit/*) x="-include test/lib/cmocka_analyzer.h";; \
	    *) x=;; esac; test/static/tidy_one.sh $(O)/tidy-cache {} $$x'
list-tidy:
	@echo $(TIDY_SRC)
list-format:
	@echo $(FORMAT_SRC)
format-check:
	@test/deps.sh clang-format
	@rc=0; for f in $(FORMAT_SRC); do \
	    $(CLANG_FORMAT) --style=file "$$f" | cmp -s - "$$f" || \
	        { echo "$$f: not as clang-format leaves it"; rc=1; }; \
	done; exit $$rc

demo: deps
	$(MAKE) all
	tools/demo.sh $(O)

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs (daemons in
# sbin), their manual pages, the systemd units and the sysusers file
# (dist/), and the sample configuration: always under DOCDIR/examples,
# and into SYSCONFDIR/ptv where no file of that name is there yet (the
# operator's own is never overwritten).  make uninstall removes what
# install wrote except SYSCONFDIR/ptv, the operator's.
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/ptv
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR  ?= /etc
DAEMONS  = vcard decoderd centerd
TOOLS    = cardctl headend decoderctl centerctl
UNITS    = $(DAEMONS:%=%.service)
SAMPLES  = decoder/decoderd.conf dist/centerd.env dist/vcard.env
DOCS     = README.md card/APDU.md
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/ptv
	install -m 0755 $(TOOLS:%=$(O)/%) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(DAEMONS:%=$(O)/%) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(TOOLS:%=man/%.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(DAEMONS:%=man/%.8) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS); do \
	    sed 's|@SBINDIR@|$(SBINDIR)|g' dist/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 0644 dist/ptv.sysusers $(DESTDIR)$(SYSUSERSDIR)/ptv.conf
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(SAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	for f in $(SAMPLES); do \
	    t=$(DESTDIR)$(SYSCONFDIR)/ptv/$${f##*/}; \
	    test -e $$t || install -m 0644 $$f $$t || exit 1; done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) \
	    $(DAEMONS:%=$(DESTDIR)$(SBINDIR)/%) \
	    $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
	    $(DAEMONS:%=$(DESTDIR)$(MANDIR)/man8/%.8) \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(DESTDIR)$(SYSUSERSDIR)/ptv.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "$(DESTDIR)$(SYSCONFDIR)/ptv (the configuration) is kept"

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all deps check tests bench bench-ingest asan asan-units unit-bins list-units list-fuzz fuzz fuzz-build fuzz-bins fuzz-corpus \
        tidy format-check list-tidy list-format demo install uninstall clean

-include $(shell find $(O) -name '*.d' 2>/dev/null)
