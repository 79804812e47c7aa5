# headspa — top-level entry points. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
HEADSPA    := $(BUILD)/src/cli/headspa
OUT        ?= out

.PHONY: all deps configure build run test test-asan bench fuzz format clean

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DHEADSPA_BUILD_BENCH=ON \
	  -DHEADSPA_BUILD_TESTS=ON -DHEADSPA_EXCLUDE_MODULES=

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: a demo on the built-in head.
run: build
	bash scripts/demo.sh $(HEADSPA) $(OUT)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 900

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (no benchmarks), built
# with clang: its sanitizer builds compile in half the time of GCC's here. A build folder made
# by another compiler is started afresh.
test-asan: deps
	@if [ -f $(ASAN_BUILD)/CMakeCache.txt ] && \
	  ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' $(ASAN_BUILD)/CMakeCache.txt; then \
	  echo "test-asan: $(ASAN_BUILD) was configured for another compiler; starting it afresh"; \
	  rm -rf $(ASAN_BUILD); fi
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DHEADSPA_SANITIZE=ON -DHEADSPA_BUILD_BENCH=OFF -DHEADSPA_EXCLUDE_MODULES=
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) --timeout 1800

bench: build
	bash scripts/bench.sh $(BUILD)

# libFuzzer targets (clang). FUZZ_SECONDS per target; default a short smoke run.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHEADSPA_BUILD_FUZZERS=ON -DHEADSPA_BUILD_TESTS=OFF -DHEADSPA_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(OUT)
