// bench_instantiate: time of one request's instance life (Store + instantiate
// + drop) for
//   (a) an empty module,
//   (b) a module with 1 MiB of active data segments,
//   (c) (b) plus a call to an export that reads one word per 4 KiB page of
//       the data (so every page of the image is mapped),
// with the copy-on-write memory image (pooled ranges reset selectively: the
// default; or by MADV_DONTNEED of the whole image, so pages fault again) and
// with images turned off (segments copied, as before), next to the
// reference: memcpy of 1 MiB into fresh memory (mmap + copy + munmap), which
// is what copying segments into a new memory costs. Then (b) and (c) again
// with the optimizing tier: the module's code native (LLVM, compiled once)
// and every memory in a guarded 8 GiB reservation, as `weft` runs them.
//
// usage: bench_instantiate [ITERATIONS]   (default 10000, after 1000 warm-up)
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wasm/native/native.h"
#include "wasm/runtime/runtime.h"
#include "weft/weft.h"

namespace {

constexpr uint32_t kDataStart = 1024;  // where a C toolchain puts its data
constexpr uint32_t kSegmentBytes = 64 * 1024;
constexpr uint32_t kSegments = 16;  // 16 × 64 KiB = 1 MiB
constexpr uint32_t kDataBytes = kSegmentBytes * kSegments;
constexpr uint32_t kMemoryPages = 32;  // 2 MiB: data plus room (heap/stack)

// ---- A tiny wasm binary writer ----

void put_uleb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v != 0) byte |= 0x80;
    out.push_back(byte);
  } while (v != 0);
}

void put_sleb(std::vector<uint8_t>& out, int64_t v) {
  while (true) {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    out.push_back(byte);
    if (done) return;
  }
}

void put_section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  out.push_back(id);
  put_uleb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

void put_name(std::vector<uint8_t>& out, const std::string& name) {
  put_uleb(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

std::vector<uint8_t> header() { return {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

// Deterministic nonzero-ish bytes, so nothing can be skipped as zero.
std::vector<uint8_t> data_bytes() {
  std::vector<uint8_t> data(kDataBytes);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint8_t& b : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<uint8_t>(x) | 1;
  }
  return data;
}

// (memory (export "memory") 32)
// (func (export "sum") (result i64) ;; adds the i64 at every 4 KiB of the data
//   (local $i i32) (local $acc i64)
//   (local.set $i (i32.const 1024))
//   (loop (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $i))))
//         (br_if 0 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4096)))
//                            (i32.const 1024 + 1 MiB))))
//   (local.get $acc))
// (data (i32.const 1024 + k * 64 KiB) "...") × 16
std::vector<uint8_t> data_module(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = header();
  put_section(out, 1, {0x01, 0x60, 0x00, 0x01, 0x7E});  // type 0: () -> i64
  put_section(out, 3, {0x01, 0x00});                    // func 0: type 0
  std::vector<uint8_t> memory = {0x01, 0x00};           // one memory, no max
  put_uleb(memory, kMemoryPages);
  put_section(out, 5, memory);
  std::vector<uint8_t> exports;
  put_uleb(exports, 2);
  put_name(exports, "memory");
  exports.insert(exports.end(), {0x02, 0x00});
  put_name(exports, "sum");
  exports.insert(exports.end(), {0x00, 0x00});
  put_section(out, 7, exports);

  std::vector<uint8_t> body = {0x02, 0x01, 0x7F, 0x01, 0x7E};  // locals: i32, i64
  body.push_back(0x41);                                        // i32.const 1024
  put_sleb(body, kDataStart);
  body.insert(body.end(), {0x21, 0x00,              // local.set $i
                           0x03, 0x40,              // loop
                           0x20, 0x01, 0x20, 0x00,  // local.get $acc, $i
                           0x29, 0x03, 0x00,        // i64.load align=8
                           0x7C, 0x21, 0x01,        // i64.add, local.set $acc
                           0x20, 0x00, 0x41});      // local.get $i, i32.const
  put_sleb(body, 4096);
  body.insert(body.end(), {0x6A, 0x22, 0x00, 0x41});  // i32.add, local.tee $i, i32.const
  put_sleb(body, kDataStart + kDataBytes);
  body.insert(body.end(), {0x49, 0x0D, 0x00,    // i32.lt_u, br_if 0
                           0x0B,                // end loop
                           0x20, 0x01, 0x0B});  // local.get $acc, end
  std::vector<uint8_t> code;
  put_uleb(code, 1);
  put_uleb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  put_section(out, 10, code);

  std::vector<uint8_t> segments;
  put_uleb(segments, kSegments);
  for (uint32_t k = 0; k < kSegments; ++k) {
    segments.push_back(0x00);  // active, memory 0
    segments.push_back(0x41);  // i32.const offset
    put_sleb(segments, kDataStart + k * kSegmentBytes);
    segments.push_back(0x0B);
    put_uleb(segments, kSegmentBytes);
    segments.insert(segments.end(), data.begin() + k * kSegmentBytes,
                    data.begin() + (k + 1) * kSegmentBytes);
  }
  put_section(out, 11, segments);
  return out;
}

uint64_t expected_sum(const std::vector<uint8_t>& data) {
  uint64_t sum = 0;
  for (uint32_t off = 0; off < kDataBytes; off += 4096) {
    uint64_t word;
    std::memcpy(&word, data.data() + off, 8);
    sum += word;
  }
  return sum;
}

// ---- Timing ----

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
};

Stats measure(int iterations, const std::function<void()>& body) {
  for (int i = 0; i < std::min(iterations, 1000); ++i) body();  // warm-up: fill pools
  std::vector<double> us(iterations);
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    body();
    auto end = std::chrono::steady_clock::now();
    us[i] = std::chrono::duration<double, std::micro>(end - start).count();
  }
  Stats s;
  for (double v : us) s.mean += v;
  s.mean /= iterations;
  std::sort(us.begin(), us.end());
  s.p50 = us[iterations / 2];
  s.p99 = us[std::min<size_t>(iterations - 1, static_cast<size_t>(iterations * 0.99))];
  return s;
}

void print_row(const char* name, const Stats& s) {
  std::printf("%-44s p50 %9.2f µs   p99 %9.2f µs   mean %9.2f µs\n", name, s.p50, s.p99, s.mean);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_instantiate: %s\n", what.c_str());
  std::exit(1);
}

std::shared_ptr<const weft::Module> compile(const std::vector<uint8_t>& bytes) {
  auto module = weft::Module::compile(bytes);
  if (!module) die("compile failed: " + module.error().to_string());
  return *module;
}

// One request: a fresh store, instantiate, optionally call, drop.
void run_once(const weft::Linker& linker, const std::shared_ptr<const weft::Module>& module,
              bool call, uint64_t expected) {
  weft::Store store;
  auto instance = linker.instantiate(store, module);
  if (!instance) die("instantiate failed: " + instance.error().to_string());
  if (call) {
    auto sum = instance->get_func("sum");
    if (!sum) die("no export sum");
    auto result = sum->call({});
    if (!result) die("call failed: " + result.error().to_string());
    if ((*result)[0].bits != expected) die("sum mismatch: the memory does not hold the data");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (iterations < 1) die("ITERATIONS must be positive");

  std::vector<uint8_t> data = data_bytes();
  uint64_t expected = expected_sum(data);
  std::vector<uint8_t> data_wasm = data_module(data);
  weft::Linker linker;

  auto empty = compile(header());
  auto with_image = compile(data_wasm);                  // default: the image is used
  weft::detail::set_memory_image_min_bytes(UINT64_MAX);  // modules compiled now copy
  auto with_copy = compile(data_wasm);
  weft::detail::set_memory_image_min_bytes(weft::detail::kDefaultMemoryImageMinBytes);

  std::printf("instantiate + drop, %d iterations (after warm-up); 1 MiB = %u segments × %u KiB\n",
              iterations, kSegments, kSegmentBytes / 1024);
  Stats s_empty = measure(iterations, [&] { run_once(linker, empty, false, 0); });
  Stats s_image = measure(iterations, [&] { run_once(linker, with_image, false, 0); });
  Stats s_image_call = measure(iterations, [&] { run_once(linker, with_image, true, expected); });
  weft::detail::set_memory_image_selective_reset(false);
  weft::detail::set_memory_pooling(false);  // empty the pool: ranges reset the other way
  weft::detail::set_memory_pooling(true);
  Stats s_dontneed = measure(iterations, [&] { run_once(linker, with_image, false, 0); });
  Stats s_dontneed_call =
      measure(iterations, [&] { run_once(linker, with_image, true, expected); });
  weft::detail::set_memory_image_selective_reset(true);
  Stats s_copy = measure(iterations, [&] { run_once(linker, with_copy, false, 0); });
  Stats s_copy_call = measure(iterations, [&] { run_once(linker, with_copy, true, expected); });

  // Reference: copying 1 MiB into fresh memory.
  Stats s_memcpy = measure(iterations, [&] {
    void* fresh =
        mmap(nullptr, kDataBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) die("mmap failed");
    std::memcpy(fresh, data.data(), kDataBytes);
    asm volatile("" : : "r"(fresh) : "memory");
    munmap(fresh, kDataBytes);
  });
  // And into memory already faulted in (the floor for any copying scheme).
  std::vector<uint8_t> warm(kDataBytes);
  Stats s_memcpy_warm = measure(iterations, [&] {
    std::memcpy(warm.data(), data.data(), kDataBytes);
    asm volatile("" : : "r"(warm.data()) : "memory");
  });

  // The optimizing tier, as the CLI enables it (guarded memories where the
  // machine allows), no code cache.
  setenv("WEFT_CACHE", "off", 1);
  weft::native::enable(weft::Tier::Interpreter);
  weft::CompileOptions optimized;
  optimized.tier = weft::Tier::Optimized;
  auto native_module = weft::Module::compile(data_wasm, optimized);
  if (!native_module) die("compile (optimized) failed: " + native_module.error().to_string());
  const bool guarded = weft::detail::guarded_memories();
  Stats s_native = measure(iterations, [&] { run_once(linker, *native_module, false, 0); });
  Stats s_native_call =
      measure(iterations, [&] { run_once(linker, *native_module, true, expected); });

  print_row("(a) empty module", s_empty);
  print_row("(b) 1 MiB data, CoW image", s_image);
  print_row("(c) 1 MiB data, CoW image + call reading it", s_image_call);
  print_row("(b) image, reset by MADV_DONTNEED", s_dontneed);
  print_row("(c) image, reset by MADV_DONTNEED + call", s_dontneed_call);
  print_row("(b') 1 MiB data, segments copied", s_copy);
  print_row("(c') 1 MiB data, segments copied + call", s_copy_call);
  std::printf("native code, memories %s:\n",
              guarded ? "guarded (8 GiB reservations)" : "bounds-checked (no guard regions)");
  print_row("(b) 1 MiB data, CoW image", s_native);
  print_row("(c) 1 MiB data, CoW image + native call", s_native_call);
  print_row("reference: memcpy 1 MiB into fresh mmap", s_memcpy);
  print_row("reference: memcpy 1 MiB into warm memory", s_memcpy_warm);
  std::printf("ratio memcpy(fresh) / (b) image instantiate+drop, p50: %.1fx\n",
              s_memcpy.p50 / s_image.p50);
  std::printf("ratio (b') copied / (b) image, p50: %.1fx\n", s_copy.p50 / s_image.p50);
  std::printf("goal: (b) p50 <= 10 µs: %s\n", s_image.p50 <= 10.0 ? "met" : "NOT met");
  std::printf("goal: (b) with native code p50 <= 5 µs: %s\n",
              s_native.p50 <= 5.0 ? "met" : "NOT met");
  weft::native::stop_background_compiles();
  return 0;
}
