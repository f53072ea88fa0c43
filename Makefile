# The front door. `make run` and `make test` work on a fresh Debian 12
# machine as root: both install what they need first.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_GEN := -G Ninja

.PHONY: setup build install test test-sanitize fuzz diff run bench clean

setup:
	./scripts/setup.sh

build:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Headers, libweft.a, the CMake package and weft.pc for embedders, and
# bin/weft, under PREFIX (see examples/embed).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

test: setup build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Unit, spec and differential tests under AddressSanitizer + UndefinedBehaviorSanitizer.
# Line tables only (-g1): the sanitizers' reports keep file:line, and the
# build (the slowest step of CI) skips full debug info for Beast's and
# LLVM's templates.
SANITIZE_FLAGS := -O2 -g1 -DNDEBUG
test-sanitize: setup
	cmake -S . -B $(ASAN_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)"
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -L 'unit|spec|diff'

# libFuzzer over decode → validate → instantiate → call, FUZZ_SECONDS long.
FUZZ_SECONDS ?= 60
fuzz: setup
	./fuzz/run.sh $(FUZZ_SECONDS)

# The differential oracle: DIFF_SECONDS of new wasm-opt -ttf modules run in
# weft and in Node's V8, traces compared, once with weft's interpreter and
# once with its optimizing tier's machine code (a fixed seed set of each runs
# in `make test`).
DIFF_SECONDS ?= 90
diff: setup build
	python3 fuzz/diff/diff.py --runner $(BUILD_DIR)/weft_diff_run --seconds $(DIFF_SECONDS) \
	  --failures $(BUILD_DIR)/diff-failures
	python3 fuzz/diff/diff.py --runner $(BUILD_DIR)/weft_diff_run --tier optimized \
	  --seconds $(DIFF_SECONDS) --failures $(BUILD_DIR)/diff-failures-optimized

run: setup build
	./scripts/run-main.sh $(BUILD_DIR)

bench: setup build
	./bench/compute/run.sh $(BUILD_DIR)
	./bench/rust/run.sh $(BUILD_DIR)
	./bench/instantiate/run.sh $(BUILD_DIR)
	./bench/component/run.sh $(BUILD_DIR)
	./bench/validate/run.sh $(BUILD_DIR)
	./bench/http/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) build-fuzz
