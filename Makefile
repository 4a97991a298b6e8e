# Broadsheet's build. `make run`, `make test` and `make bench` are the three commands the README
# opens with; each installs what is missing first (scripts/install-deps is idempotent).

CC      ?= cc
PKGS    := libmicrohttpd sqlite3 libcmark libsodium jansson zlib libcurl
CFLAGS  ?= -O2 -g
WARN    := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wformat-nonliteral
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

SRC      := $(wildcard src/*.c)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
TEST_SRC := $(wildcard tests/unit/test_*.c)
MIGRATIONS := $(wildcard migrations/sqlite/*.sql)

# Two builds side by side: the normal one and the sanitizer one (ASan + UBSan).
OUT      ?= build
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PORT ?= 8080

.PHONY: all run test unit-test http-test browser-test asan-test bench deps deps-build clean format

all: $(OUT)/broadsheet

# --- building -------------------------------------------------------------------------------

define build_rules
# $(1): output dir, $(2): extra flags
$(1)/gen/migrations_sqlite.c: $(MIGRATIONS) scripts/embed-migrations
	@mkdir -p $$(dir $$@)
	@scripts/embed-migrations migrations/sqlite migrations_sqlite > $$@.tmp && mv $$@.tmp $$@

$(1)/gen/passwords_common.c: src/passwords_common.txt scripts/embed-passwords
	@mkdir -p $$(dir $$@)
	@scripts/embed-passwords src/passwords_common.txt auth_common_passwords > $$@.tmp && mv $$@.tmp $$@

$(1)/obj/%.o: src/%.c src/*.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@

$(1)/obj/gen/%.o: $(1)/gen/%.c src/migrations.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(PKG_CFLAGS) -Isrc -c $$< -o $$@

$(1)/libbroadsheet.a: $(patsubst src/%.c,$(1)/obj/%.o,$(LIB_SRC)) $(1)/obj/gen/migrations_sqlite.o \
                      $(1)/obj/gen/passwords_common.o
	@rm -f $$@ && ar rcs $$@ $$^

$(1)/broadsheet: $(1)/obj/main.o $(1)/libbroadsheet.a
	@echo "  LINK    $$@"
	@$$(CC) $$(CFLAGS) $(2) -o $$@ $$^ $$(PKG_LIBS)

$(1)/gen/suites.h: $(TEST_SRC)
	@mkdir -p $$(dir $$@)
	@{ for f in $$(TEST_SRC); do n=$$$${f##*/test_}; n=$$$${n%.c}; echo "void suite_$$$$n(void);"; done; \
	   echo 'static const struct { const char *name; void (*fn)(void); } suites[] = {'; \
	   for f in $$(TEST_SRC); do n=$$$${f##*/test_}; n=$$$${n%.c}; echo "    {\"$$$$n\", suite_$$$$n},"; done; \
	   echo '};'; } > $$@

$(1)/unit-tests: $(TEST_SRC) tests/unit/runner.c $(wildcard tests/unit/*.h) $(1)/gen/suites.h $(1)/libbroadsheet.a
	@echo "  LINK    $$@"
	@$$(CC) $$(CFLAGS) $(2) $$(WARN) -Wno-missing-prototypes $$(PKG_CFLAGS) -Isrc -Itests/unit -I$(1)/gen \
	    -o $$@ tests/unit/runner.c $(TEST_SRC) $(1)/libbroadsheet.a $$(PKG_LIBS)
endef

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build/asan,$(SAN_FLAGS)))

# --- the three commands ---------------------------------------------------------------------

deps:
	scripts/install-deps

deps-build:
	scripts/install-deps --build

run: deps-build
	$(MAKE) build/broadsheet
	@mkdir -p data
	build/broadsheet serve --demo --port $(PORT)

test: deps
	$(MAKE) build/broadsheet build/unit-tests build/asan/broadsheet build/asan/unit-tests
	$(MAKE) unit-test http-test browser-test asan-test

unit-test: build/unit-tests
	build/unit-tests

http-test: build/broadsheet
	cd tests && BROADSHEET_BIN=$(CURDIR)/build/broadsheet node --test --test-concurrency=1 http/

browser-test: build/broadsheet
	cd tests && BROADSHEET_BIN=$(CURDIR)/build/broadsheet node --test --test-concurrency=1 browser/

# The unit and HTTP tests once more under AddressSanitizer and UndefinedBehaviorSanitizer; any
# report aborts the process, which fails the test.
asan-test: build/asan/broadsheet build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    build/asan/unit-tests
	cd tests && BROADSHEET_SANITIZED=1 BROADSHEET_BIN=$(CURDIR)/build/asan/broadsheet \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    node --test --test-concurrency=1 http/

bench:
	scripts/install-deps --bench
	$(MAKE) build/broadsheet
	bench/run

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf build
