# Broadsheet's build. `make run`, `make test` and `make bench` are the three commands the README
# opens with; each installs what is missing first (scripts/install-deps is idempotent).

CC      ?= cc
PKGS    := libmicrohttpd sqlite3 libcmark libsodium jansson zlib libcurl libpq
CFLAGS  ?= -O2 -g
WARN    := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wformat-nonliteral
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

SRC      := $(wildcard src/*.c)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
TEST_SRC := $(wildcard tests/unit/test_*.c)
MIGRATIONS := $(wildcard migrations/sqlite/*.sql)
MIGRATIONS_PGSQL := $(wildcard migrations/pgsql/*.sql)

# Three builds side by side: the normal one, the sanitizer one (ASan + UBSan), and the fuzzing
# one (clang, libFuzzer + ASan + UBSan; see "fuzzing" below).
OUT      ?= build
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CC  ?= clang
FUZZ_LIB_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                  -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

PORT ?= 8080

.PHONY: all run test unit-test http-test browser-test asan-test asan-unit-test pg-test bench deps deps-build clean format \
        fuzz fuzz-build fuzz-smoke

all: $(OUT)/broadsheet

# --- building -------------------------------------------------------------------------------

define build_rules
# $(1): output dir, $(2): extra flags, $(3): compiler (default $(CC))
$(1)/gen/migrations_sqlite.c: $(MIGRATIONS) scripts/embed-migrations
	@mkdir -p $$(dir $$@)
	@scripts/embed-migrations migrations/sqlite migrations_sqlite > $$@.tmp && mv $$@.tmp $$@

$(1)/gen/migrations_pgsql.c: $(MIGRATIONS_PGSQL) scripts/embed-migrations
	@mkdir -p $$(dir $$@)
	@scripts/embed-migrations migrations/pgsql migrations_pgsql > $$@.tmp && mv $$@.tmp $$@

$(1)/gen/passwords_common.c: src/passwords_common.txt scripts/embed-passwords
	@mkdir -p $$(dir $$@)
	@scripts/embed-passwords src/passwords_common.txt auth_common_passwords > $$@.tmp && mv $$@.tmp $$@

$(1)/obj/%.o: src/%.c src/*.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$(or $(3),$$(CC)) $$(CFLAGS) $(2) $$(WARN) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@

$(1)/obj/gen/%.o: $(1)/gen/%.c src/migrations.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$(or $(3),$$(CC)) $$(CFLAGS) $(2) $$(WARN) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@

$(1)/libbroadsheet.a: $(patsubst src/%.c,$(1)/obj/%.o,$(LIB_SRC)) $(1)/obj/gen/migrations_sqlite.o \
                      $(1)/obj/gen/migrations_pgsql.o \
                      $(1)/obj/gen/passwords_common.o
	@rm -f $$@ && ar rcs $$@ $$^

$(1)/broadsheet: $(1)/obj/main.o $(1)/libbroadsheet.a
	@echo "  LINK    $$@"
	@$(or $(3),$$(CC)) $$(CFLAGS) $(2) -o $$@ $$^ $$(PKG_LIBS)

$(1)/gen/suites.h: $(TEST_SRC)
	@mkdir -p $$(dir $$@)
	@{ for f in $$(TEST_SRC); do n=$$$${f##*/test_}; n=$$$${n%.c}; echo "void suite_$$$$n(void);"; done; \
	   echo 'static const struct { const char *name; void (*fn)(void); } suites[] = {'; \
	   for f in $$(TEST_SRC); do n=$$$${f##*/test_}; n=$$$${n%.c}; echo "    {\"$$$$n\", suite_$$$$n},"; done; \
	   echo '};'; } > $$@

$(1)/unit-tests: $(TEST_SRC) tests/unit/runner.c $(wildcard tests/unit/*.h) $(1)/gen/suites.h $(1)/libbroadsheet.a
	@echo "  LINK    $$@"
	@$(or $(3),$$(CC)) $$(CFLAGS) $(2) $$(WARN) -Wno-missing-prototypes $$(PKG_CFLAGS) -Isrc -Itests/unit -I$(1)/gen \
	    -o $$@ tests/unit/runner.c $(TEST_SRC) $(1)/libbroadsheet.a $$(PKG_LIBS)
endef

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build/asan,$(SAN_FLAGS)))
$(eval $(call build_rules,build/fuzz,$(FUZZ_LIB_FLAGS),$(FUZZ_CC)))

# --- the three commands ---------------------------------------------------------------------

deps:
	scripts/install-deps

deps-build:
	scripts/install-deps --build

run: deps-build
	$(MAKE) build/broadsheet
	@mkdir -p data
	build/broadsheet serve --demo --port $(PORT)

# Four lanes at once (scripts/test-lanes): the tests spend most of their time waiting for
# servers and clocks (two lanes kept two cores about half busy), so two cores serve all four.
# The HTTP suites (on SQLite, under the sanitizers, on PostgreSQL) are queues of test files
# (scripts/test-queue), each worked by its own lane; a lane done with its own work takes files
# from the others' queues: the fourth, once the browser tests and the fuzz smoke run are done,
# from PostgreSQL's (on a PostgreSQL server of its own), then the sanitizers' and SQLite's; the
# SQLite and PostgreSQL lanes from the sanitizers' (the slowest: every request under ASan), so
# the run ends when the last queue is empty rather than when one lane has run it alone.
# One file at a time per lane: at two in every lane the machine's two cores were overloaded
# (load 12) and the rate-limit tests' argon2id log-ins timed out.
QUEUES := build/test-queues
HTTP_FILES := $(patsubst tests/%,%,$(wildcard tests/http/*.test.mjs))
PGSQL_FILES := $(patsubst tests/%,%,$(wildcard tests/pgsql/*.test.mjs))
SANITIZERS := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SQLITE_QUEUE = scripts/test-queue run $(QUEUES)/sqlite -- \
    env BROADSHEET_BIN=$(CURDIR)/build/broadsheet node --test --test-concurrency=1
ASAN_QUEUE = scripts/test-queue run $(QUEUES)/asan -- env BROADSHEET_SANITIZED=1 \
    BROADSHEET_BIN=$(CURDIR)/build/asan/broadsheet $(SANITIZERS) node --test --test-concurrency=1
test: deps
	$(MAKE) build/broadsheet build/unit-tests build/asan/broadsheet build/asan/unit-tests
	scripts/test-queue make $(QUEUES)/sqlite $(HTTP_FILES)
	scripts/test-queue make $(QUEUES)/asan $(HTTP_FILES)
	scripts/test-queue make $(QUEUES)/pg $(PGSQL_FILES) $(HTTP_FILES)
	scripts/test-lanes '$(MAKE) --no-print-directory unit-test && $(SQLITE_QUEUE) && $(ASAN_QUEUE)' \
	    '$(MAKE) --no-print-directory asan-unit-test && $(ASAN_QUEUE)' \
	    'scripts/pg-test build/unit-tests build/broadsheet --queue $(QUEUES)/pg && $(ASAN_QUEUE)' \
	    '$(MAKE) --no-print-directory browser-test fuzz-smoke && \
	     scripts/pg-test build/unit-tests build/broadsheet --queue $(QUEUES)/pg --helper && \
	     $(ASAN_QUEUE) && $(SQLITE_QUEUE)'

# Each part on its own (HTTP_JOBS: test files at once in http-test, pg-test and asan-test).
HTTP_JOBS ?= 1

unit-test: build/unit-tests
	build/unit-tests

http-test: build/broadsheet
	cd tests && BROADSHEET_BIN=$(CURDIR)/build/broadsheet node --test --test-concurrency=$(HTTP_JOBS) http/

# The PostgreSQL backend on a throwaway server of its own (scripts/pg-test).
pg-test: build/broadsheet build/unit-tests
	HTTP_JOBS=$(HTTP_JOBS) scripts/pg-test build/unit-tests build/broadsheet

browser-test: build/broadsheet
	cd tests && BROADSHEET_BIN=$(CURDIR)/build/broadsheet node --test --test-concurrency=1 browser/

# The unit and HTTP tests once more under AddressSanitizer and UndefinedBehaviorSanitizer; any
# report aborts the process, which fails the test.
asan-test: asan-unit-test build/asan/broadsheet
	cd tests && BROADSHEET_SANITIZED=1 BROADSHEET_BIN=$(CURDIR)/build/asan/broadsheet \
	    $(SANITIZERS) node --test --test-concurrency=$(HTTP_JOBS) http/

asan-unit-test: build/asan/unit-tests
	$(SANITIZERS) build/asan/unit-tests

bench:
	scripts/install-deps --bench
	$(MAKE) build/broadsheet
	bench/run

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h

clean:
	rm -rf build

# --- fuzzing ---------------------------------------------------------------------------------
# One libFuzzer target per parser of outside input: tests/fuzz/fuzz_NAME.c, with its seed corpus
# in tests/fuzz/corpus/NAME/ and an optional dictionary tests/fuzz/dict/NAME.dict (a new file
# there is picked up by itself). Each is linked against build/fuzz/libbroadsheet.a, the library
# compiled by clang with -fsanitize=fuzzer-no-link,address,undefined, into build/fuzz/bin/NAME.
# Both define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (OSS-Fuzz's convention), which only
# lowers tmpl.c's caps on work per render so that a run is not spent copying megabytes.
#
#   make fuzz          each target for FUZZ_SECONDS (60) over build/fuzz/corpus/NAME, a copy of
#                      the committed corpus that keeps what earlier runs found
#   make fuzz-smoke    each target for FUZZ_SMOKE_SECONDS (5) over a fresh copy, two at a time;
#                      part of `make test`
#   make fuzz FUZZ_TARGETS="tmpl cidr" FUZZ_SECONDS=600    some targets, longer
#
# A crash, a sanitizer report, a leak, an input slower than FUZZ_TIMEOUT seconds or a failed
# FUZZ_CHECK fails the run; the input is kept as build/fuzz/artifacts/NAME-crash-… (or leak-,
# timeout-, oom-; reproduce with `build/fuzz/bin/NAME FILE`) and the log's end is printed. Runs
# never write into tests/.
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TIMEOUT ?= 10

build/fuzz/bin/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/libbroadsheet.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) $(WARN) $(PKG_CFLAGS) -Isrc -Itests/fuzz -o $@ $< \
	    build/fuzz/libbroadsheet.a $(PKG_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/bin/%)

# $(1): target, $(2): seconds, $(3): corpus directory. Runs the target and prints one line, or
# the end of its log when it failed.
define fuzz_run
	@mkdir -p $(3) build/fuzz/artifacts build/fuzz/logs
	@for f in tests/fuzz/corpus/$(1)/*; do [ -e $(3)/$${f##*/} ] || cp $$f $(3)/; done
	@echo "  FUZZ    $(1) for $(2) s"
	@if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/fuzz/bin/$(1) \
	        -max_total_time=$(2) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/artifacts/$(1)- \
	        $(if $(wildcard tests/fuzz/dict/$(1).dict),-dict=tests/fuzz/dict/$(1).dict) \
	        $(3) > build/fuzz/logs/$(1).log 2>&1; then \
	    echo "  FUZZ    $(1): $$(grep -o 'stat::number_of_executed_units: *[0-9]*' \
	        build/fuzz/logs/$(1).log | grep -o '[0-9]*$$') runs, no failure"; \
	else \
	    tail -n 60 build/fuzz/logs/$(1).log; \
	    echo "  FUZZ    $(1) FAILED: see build/fuzz/logs/$(1).log and build/fuzz/artifacts/"; \
	    exit 1; \
	fi
endef

FUZZ_RUNS  := $(FUZZ_ALL:%=fuzz-run-%)
FUZZ_SMOKES := $(FUZZ_ALL:%=fuzz-smoke-%)
.PHONY: $(FUZZ_RUNS) $(FUZZ_SMOKES)

$(FUZZ_RUNS): fuzz-run-%: build/fuzz/bin/%
	$(call fuzz_run,$*,$(FUZZ_SECONDS),build/fuzz/corpus/$*)

$(FUZZ_SMOKES): fuzz-smoke-%: build/fuzz/bin/%
	@rm -rf build/fuzz/smoke/$*
	$(call fuzz_run,$*,$(FUZZ_SMOKE_SECONDS),build/fuzz/smoke/$*)

fuzz: deps
	$(MAKE) fuzz-build
	$(MAKE) -k --no-print-directory $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-smoke: fuzz-build
	$(MAKE) -j2 --output-sync=target --no-print-directory $(FUZZ_TARGETS:%=fuzz-smoke-%)
