# mph - memory-pressure harness. `make` builds; `make check` runs every test;
# `make demo` runs the default scenario. Both install missing Debian packages first.

BUILD     ?= build
CC        ?= gcc
OPT       ?= -O2 -g
SAN       ?=
PKGS      := libcgroup numa inih jansson libarchive gsl
# the guest's mph is linked statically and has no VM target: no libarchive
GUEST_PKGS:= libcgroup numa inih jansson gsl
CFLAGS    := $(OPT) -std=gnu11 -Wall -Wextra -Werror $(SAN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# DEFS: -DMPH_FAILPOINTS in the build made for the tests of every kill point
DEFS      ?=
CPPFLAGS  := -MMD -MP $(DEFS)
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CMOCKA    := $(shell pkg-config --libs cmocka 2>/dev/null)

WORKLOADS := anonleak alloc overcommit pagecache shm fpm probe exec
# harness/ in layers (docs/design.md): core <- host, scenario <- target <- plan <- cmd;
# report/ reads result files only and links nothing of host/
HSRC      := $(wildcard harness/*/*.c)
HARNESS   := $(filter-out harness/cmd/main.c harness/runner/noguest.c,$(HSRC)) harness/runner/guest_init.S \
             harness/report/assets.S
# the guest's build has no VM target of its own (noguest.c stands in for it)
GUEST_HARNESS := $(filter-out harness/cmd/main.c harness/runner/vm.c harness/runner/kernel.c harness/runner/initramfs.c,$(HSRC))
WLLIB     := workloads/registry.c workloads/runtime.c workloads/hist.c $(addprefix workloads/,$(addsuffix .c,$(WORKLOADS)))
UNITS     := $(wildcard tests/unit/test_*.c)
INTEG     := $(wildcard tests/integration/test_*.c)
ITEST_OBJ := $(BUILD)/tests/integration/itest.o

obj = $(patsubst %.S,$(BUILD)/%.o,$(patsubst %.c,$(BUILD)/%.o,$(1)))
gobj = $(patsubst %.c,$(BUILD)/guest/obj/%.o,$(1))
GUEST     := $(BUILD)/guest/mph $(addprefix $(BUILD)/guest/workloads/,$(WORKLOADS))
LIBMPH    := $(BUILD)/libmph.a
# report/ reads result files only: its library is report/ and core/, and its tests
# link against nothing else (so it cannot reach the machine)
LIBREPORT := $(BUILD)/libreport.a
REPORT_SRC:= $(wildcard harness/report/*.c harness/core/*.c) harness/report/assets.S
LIBWL     := $(BUILD)/libwl.a
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNITS))
INTEG_BINS:= $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(INTEG))

.PHONY: all deps check layers unit unit-asan integration failpoint fuzz fuzz-smoke fuzz-bins demo bench clean
.DEFAULT_GOAL := all
# keep intermediate objects (itest.o) instead of rebuilding them every time
.SECONDARY:

all: mph $(addprefix workloads/,$(WORKLOADS)) $(GUEST)

deps:
	@tools/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# /init of the guest image is assembled into mph (.incbin)
$(BUILD)/harness/runner/guest_init.o: harness/runner/guest_init.S harness/runner/guest-init.sh
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<
# the gnuplot templates and the report's style sheet are assembled into mph (.incbin)
$(BUILD)/harness/report/assets.o: harness/report/assets.S $(wildcard harness/report/plots/*)
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

# Static builds of mph and the workloads for the qemu guest (VM target, harness/runner/vm.c)
$(BUILD)/guest/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
$(BUILD)/guest/libmph.a: $(call gobj,$(GUEST_HARNESS)) $(BUILD)/harness/report/assets.o
	ar rcs $@ $^
GUEST_LDLIBS := -static $(shell pkg-config --static --libs $(GUEST_PKGS) 2>/dev/null) -lm -lpthread
# glibc warns that getpwnam & co in static libcgroup/libnuma need its shared libraries
# at run time: mph never calls those paths in the guest, so those warnings are dropped
GUEST_LOG = $(BUILD)/guest/log/$(notdir $@).log
define static_link
	@mkdir -p $(dir $@) $(BUILD)/guest/log
	@echo "$(CC) -static -o $@"
	@$(CC) $(CFLAGS) -o $@ $(1) $(GUEST_LDLIBS) 2>$(GUEST_LOG) || { cat $(GUEST_LOG); exit 1; }
	@grep -v -e 'statically linked applications requires at runtime' -e ': in function ' $(GUEST_LOG) || true
endef
$(BUILD)/guest/mph: $(call gobj,harness/cmd/main.c) $(BUILD)/guest/libmph.a $(LIBWL)
	$(call static_link,$< $(BUILD)/guest/libmph.a $(LIBWL) $(BUILD)/guest/libmph.a)
$(BUILD)/guest/workloads/%: $(call obj,workloads/main.c) $(LIBWL) $(BUILD)/guest/libmph.a
	$(call static_link,$< $(LIBWL) $(BUILD)/guest/libmph.a $(LIBWL))

$(LIBMPH): $(call obj,$(HARNESS))
	ar rcs $@ $^
$(LIBWL): $(call obj,$(WLLIB))
	ar rcs $@ $^
$(LIBREPORT): $(call obj,$(REPORT_SRC))
	ar rcs $@ $^

mph $(BUILD)/mph: $(call obj,harness/cmd/main.c) $(LIBMPH) $(LIBWL)
	$(CC) $(CFLAGS) -o $@ $< $(LIBMPH) $(LIBWL) $(LIBMPH) $(LDLIBS)

# mph with fail points (harness/core/failpoint.h), for tests/integration/test_failpoints.c
# only; it uses the workloads of the normal build (MPH_WORKLOAD_DIR)
failpoint:
	@$(MAKE) --no-print-directory BUILD=build/failpoint DEFS=-DMPH_FAILPOINTS build/failpoint/mph

# every workload binary is the shared main; its file name selects the workload
$(addprefix workloads/,$(WORKLOADS)): $(call obj,workloads/main.c) $(LIBWL) $(LIBMPH)
	$(CC) $(CFLAGS) -o $@ $< $(LIBWL) $(LIBMPH) $(LIBWL) $(LDLIBS)

$(BUILD)/tests/test_report: tests/unit/test_report.c $(LIBREPORT)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBREPORT) -ljansson -lm $(CMOCKA)
$(BUILD)/tests/%: tests/unit/%.c $(LIBMPH) $(LIBWL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBMPH) $(LIBWL) $(LIBMPH) $(LDLIBS) $(CMOCKA)
$(BUILD)/itests/%: tests/integration/%.c $(ITEST_OBJ) $(LIBMPH) $(LIBWL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(ITEST_OBJ) $(LIBMPH) $(LIBWL) $(LIBMPH) $(LDLIBS) $(CMOCKA)

# the browser test decodes Chromium's screenshots itself
$(BUILD)/itests/test_report_browser: LDLIBS += -lz

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; MPH_TEST_DATA=tests $$t; done

# the same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer
unit-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" unit

integration: all failpoint $(INTEG_BINS)
	@set -e; for t in $(INTEG_BINS); do echo "== $$t"; $$t; done

# libFuzzer targets (tests/fuzz/): tests/fuzz/run.sh builds them with clang, ASan and
# UBSan in build/fuzz (through fuzz-bins) and runs each FUZZ_TIME seconds
FUZZ_TIME ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzzers/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ  := $(call obj,tests/fuzz/fuzz.c)
# journal replay acts on the paths a journal names: its target checks each of these
FUZZ_LDFLAGS_fuzz_journal := -Wl,--wrap=rmdir,--wrap=unlink,--wrap=swapoff,--wrap=swapon,--wrap=kill,--wrap=umount2
fuzz-bins: $(FUZZ_BINS)
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(FUZZ_OBJ) $(LIBMPH) $(LIBWL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBMPH) $(LIBWL) $(LIBMPH) $(LDLIBS) $(FUZZ_LDFLAGS_$*)
fuzz:
	@MAKE="$(MAKE)" tests/fuzz/run.sh $(FUZZ_TIME)
fuzz-smoke:
	@MAKE="$(MAKE)" tests/fuzz/run.sh 3

# harness/'s folders are layers whose includes point one way (docs/design.md)
layers:
	@tests/layers.sh

# builds in parallel (one job per core); the tests themselves run one after another
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: deps
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(MAKE) --no-print-directory -j$(JOBS) unit
	@$(MAKE) --no-print-directory -j$(JOBS) unit-asan
	@$(MAKE) --no-print-directory -j$(JOBS) integration
	@$(MAKE) --no-print-directory fuzz-smoke

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	./mph run scenarios/default.ini

$(BUILD)/bench/recorder_bench $(BUILD)/bench/stall_bench: $(BUILD)/bench/%: bench/%.c $(LIBMPH) $(LIBWL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBMPH) $(LIBWL) $(LIBMPH) $(LDLIBS)

# the fill-rate bench's helpers: one timer from outside, one MAP_POPULATE floor
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<
# compare-bench's floor: parsing the run.json files with jansson, nothing else
$(BUILD)/bench/compare_parse: bench/compare_parse.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -ljansson

# benchmarks print ratios measured side by side; not part of check (bench/README.md).
# deps: the fill-rate bench runs stress-ng and memhog.
bench: deps
	@$(MAKE) --no-print-directory all $(addprefix $(BUILD)/bench/,recorder_bench stall_bench fillwatch populate compare_parse)
	$(BUILD)/bench/recorder_bench ./mph
	$(BUILD)/bench/stall_bench ./mph
	BENCH_BIN=$(BUILD)/bench bench/fill-rate.sh
	BENCH_BIN=$(BUILD)/bench bench/compare-bench.sh
	bench/plan-overhead.sh

clean:
	rm -rf build mph $(addprefix workloads/,$(WORKLOADS))

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
