# Makefile: a thin front for CMake. `make` builds build/herald, `make run` serves on the
# embedded default, `make test` builds and runs every test (see HACKING.md).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8080
DATA       ?= ./data

.PHONY: all build asan run test unit e2e fuzz bench format clean deps

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHD_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	./$(BUILD)/herald serve --listen $(LISTEN) --data $(DATA)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build asan
	@scripts/test.sh $(BUILD) $(ASAN_BUILD)

fuzz:
	@scripts/fuzz.sh

bench: build
	@bench/run.sh

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
