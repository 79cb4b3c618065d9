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
            proto/crypto.c proto/log.c proto/ctl.c \
            proto/m2.c proto/block.c proto/ecm.c proto/cmd.c \
            proto/uplink.c proto/tls.c proto/stop.c proto/keydir.c
CARD_SRC  = card/store.c card/runtime.c card/vpcd.c card/ident.c \
            card/applets.c card/sm.c card/sm_state.c card/sm_ecm.c \
            card/sm_cmd.c card/sm_perso.c

DEC_SRC   = decoder/m1.c decoder/card.c decoder/monitor.c decoder/config.c \
            decoder/uplink.c decoder/pcsc.c decoder/state.c decoder/session.c \
            decoder/events.c decoder/export.c decoder/ecm.c decoder/sync.c \
            decoder/ctl.c
CGS_SRC   = center/db.c center/ingest.c center/stmt.c center/db_session.c \
            center/keycache.c center/separation.c center/ledger.c \
            center/commands.c center/pool.c center/conn.c center/server.c

PROTO_OBJ = $(PROTO_SRC:%.c=$(O)/%.o)
DEC_OBJ   = $(DEC_SRC:%.c=$(O)/%.o)
CGS_OBJ   = $(CGS_SRC:%.c=$(O)/%.o)
CARD_OBJ  = $(CARD_SRC:%.c=$(O)/%.o)

BINS = $(O)/vcard $(O)/cardctl $(O)/headend $(O)/decoderd $(O)/decoderctl $(O)/centerd $(O)/centerctl
TEST_BINS = $(O)/test/test_proto $(O)/test/test_formats $(O)/test/test_store \
            $(O)/test/test_runtime $(O)/test/tear_store $(O)/test/test_sm $(O)/test/test_m1 $(O)/test/test_center \
            $(O)/test/test_center_rules $(O)/test/test_keydir
TEST_BINS += $(O)/test/test_dec_card $(O)/test/test_dec_export
BENCH_BINS = $(O)/bench/nullcard $(O)/bench/apdubench $(O)/bench/replacebench \
             $(O)/bench/ingestbench
TOOL_TEST_BINS = $(O)/test/pcsc_send $(O)/test/uplink_send $(O)/test/fuzz_parsers \
                 $(O)/test/ctl_send

all: $(BINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PCSC_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libproto.a: $(PROTO_OBJ)
	$(AR) rcs $@ $^
$(O)/libcard.a: $(CARD_OBJ)
	$(AR) rcs $@ $^
$(O)/libdecoder.a: $(DEC_OBJ)
	$(AR) rcs $@ $^
$(O)/libcenter.a: $(CGS_OBJ)
	$(AR) rcs $@ $^

$(O)/vcard: $(O)/card/vcard.o $(O)/card/vcard_slot.o $(O)/card/vcard_ctl.o \
           $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(O)/cardctl: $(O)/tools/cardctl.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libcard.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

$(O)/decoderd: $(O)/decoder/decoderd.o $(O)/libdecoder.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/decoderctl: $(O)/tools/decoderctl.o $(O)/tools/util.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(O)/centerd: $(O)/center/centerd.o $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ -lsqlite3 $(CRYPTO_LIBS)
$(O)/centerctl: $(O)/tools/centerctl.o $(O)/tools/headend_cmds.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 $(CRYPTO_LIBS)
$(O)/headend: $(O)/tools/headend.o $(O)/tools/headend_cmds.o $(O)/tools/util.o $(O)/tools/keys.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# Tests: cmocka unit tests include the .c under test to reach statics.
$(O)/test/%: $(O)/test/%.o $(O)/libcard.a $(O)/libdecoder.a $(O)/libcenter.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/bench/%: $(O)/test/bench/%.o $(O)/libcard.a $(O)/libcenter.a $(O)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/test/%.o: test/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PCSC_CFLAGS) -MMD -MP -c -o $@ $<
$(O)/test/pcsc_send: $(O)/test/tools/pcsc_send.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PCSC_LIBS)
$(O)/test/fuzz_parsers: $(O)/test/fuzz/fuzz_parsers.o $(O)/tools/keys.o $(O)/tools/util.o $(O)/libdecoder.a $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(PCSC_LIBS)
$(O)/test/ctl_send: $(O)/test/tools/ctl_send.o
	$(CC) $(LDFLAGS) -o $@ $^
$(O)/test/uplink_send: $(O)/test/tools/uplink_send.o $(O)/libproto.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

deps:
	@test/deps.sh

check: deps
	$(MAKE) all tests
	test/run.sh $(O)

tests: $(TEST_BINS) $(BENCH_BINS) $(TOOL_TEST_BINS)

bench: deps
	$(MAKE) all tests
	test/bench/bench.sh $(O)

asan: deps
	$(MAKE) O=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    HARDEN="-fPIE" EXTRA_LDFLAGS="-fsanitize=address,undefined" all tests
	PTV_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    test/run.sh build-asan

# libFuzzer build of the same target, with clang (not part of check).
fuzz:
	@test/deps.sh clang libclang-rt-14-dev
	mkdir -p build-fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -DPTV_LIBFUZZER \
	    $(PCSC_CFLAGS) -o build-fuzz/fuzz_parsers test/fuzz/fuzz_parsers.c \
	    $(PROTO_SRC) decoder/m1.c tools/keys.c tools/util.c $(CRYPTO_LIBS)
	build-fuzz/fuzz_parsers -max_total_time=$${FUZZ_SECONDS:-60}

demo: deps
	$(MAKE) all
	tools/demo.sh $(O)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/share/doc/ptv
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	sed 's|/usr/local/bin|$(BINDIR)|' decoder/decoderd.service \
	    >$(DESTDIR)$(PREFIX)/lib/systemd/system/decoderd.service
	install -m 0644 README.md card/APDU.md decoder/decoderd.conf \
	    $(DESTDIR)$(PREFIX)/share/doc/ptv/

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all deps check tests bench asan fuzz demo install clean

-include $(shell find $(O) -name '*.d' 2>/dev/null)
