// wasi:clocks (monotonic-clock, wall-clock) and wasi:random (random,
// insecure, insecure-seed).
#include <sys/random.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "wasi/p2/state.h"

namespace weft::wasi::p2 {

namespace {

using K = ValKind;

// get-random-bytes must return exactly `len` bytes, so a larger request
// traps rather than coming back short. A list<u8> result is a Val per byte
// on the host (about 100 bytes each) until the ABI lowers it, which is
// what this bounds.
constexpr uint64_t kMaxRandomBytes = 1u << 20;

uint64_t ns_of(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Val datetime(uint64_t seconds, uint32_t nanoseconds) {
  return Val::record({{"seconds", Val::u64(seconds)}, {"nanoseconds", Val::u32(nanoseconds)}});
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Result<std::string> secure_bytes(uint64_t len) {
  std::string out(static_cast<size_t>(len), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The interface has no error case; failing loudly beats weak bytes.
      return trap(std::string("getrandom failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

Result<uint64_t> check_random_len(uint64_t len, const char* fn) {
  if (len > kMaxRandomBytes) {
    return trap(std::string(fn) + " of " + std::to_string(len) + " bytes: at most " +
                std::to_string(kMaxRandomBytes) + " per call");
  }
  return len;
}

}  // namespace

void define_clocks_random(Definitions& defs) {
  const std::string mono = "wasi:clocks/monotonic-clock";
  const std::string wall = "wasi:clocks/wall-clock";

  defs.func(mono, "now", {}, [](HostState&, std::vector<Val>&) -> HostResult {
    return Val::u64(monotonic_now_ns());
  });
  defs.func(mono, "resolution", {}, [](HostState&, std::vector<Val>&) -> HostResult {
    struct timespec ts;
    clock_getres(CLOCK_MONOTONIC, &ts);
    return Val::u64(ns_of(ts));
  });
  defs.func(mono, "subscribe-instant", {K::U64},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              Pollable p;
              p.kind = Pollable::Kind::Timer;
              p.deadline_ns = args[0].bits;
              auto rep = push_own(host, p);
              if (!rep) return std::move(rep).error();
              return std::move(rep).value();
            });
  defs.func(mono, "subscribe-duration", {K::U64},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              const uint64_t now = monotonic_now_ns();
              Pollable p;
              p.kind = Pollable::Kind::Timer;
              p.deadline_ns = args[0].bits > UINT64_MAX - now ? UINT64_MAX : now + args[0].bits;
              auto rep = push_own(host, p);
              if (!rep) return std::move(rep).error();
              return std::move(rep).value();
            });

  defs.func(wall, "now", {}, [](HostState&, std::vector<Val>&) -> HostResult {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec < 0) return datetime(0, 0);  // the record cannot say "before 1970"
    return datetime(static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec));
  });
  defs.func(wall, "resolution", {}, [](HostState&, std::vector<Val>&) -> HostResult {
    struct timespec ts;
    clock_getres(CLOCK_REALTIME, &ts);
    return datetime(static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec));
  });

  const std::string random = "wasi:random/random";
  const std::string insecure = "wasi:random/insecure";
  const std::string seed = "wasi:random/insecure-seed";
  defs.func(random, "get-random-bytes", {K::U64},
            [](HostState&, std::vector<Val>& args) -> HostResult {
              auto len = check_random_len(args[0].bits, "get-random-bytes");
              if (!len) return std::move(len).error();
              auto bytes = secure_bytes(*len);
              if (!bytes) return std::move(bytes).error();
              return bytes_val(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
            });
  defs.func(random, "get-random-u64", {}, [](HostState&, std::vector<Val>&) -> HostResult {
    auto bytes = secure_bytes(8);
    if (!bytes) return std::move(bytes).error();
    uint64_t v;
    std::memcpy(&v, bytes->data(), 8);
    return Val::u64(v);
  });
  defs.func(insecure, "get-insecure-random-bytes", {K::U64},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto len = check_random_len(args[0].bits, "get-insecure-random-bytes");
              if (!len) return std::move(len).error();
              std::string bytes(static_cast<size_t>(*len), '\0');
              uint64_t word = 0;
              for (uint64_t i = 0; i < *len; ++i) {
                if (i % 8 == 0) word = splitmix64(host.insecure_state);
                bytes[i] = static_cast<char>(static_cast<uint8_t>(word >> (8 * (i % 8))));
              }
              return Val::bytes(std::move(bytes));
            });
  defs.func(insecure, "get-insecure-random-u64", {},
            [](HostState& host, std::vector<Val>&) -> HostResult {
              return Val::u64(splitmix64(host.insecure_state));
            });
  // The same pair for the life of the state: it seeds hash-map DoS
  // protection once per instance.
  defs.func(seed, "insecure-seed", {}, [](HostState& host, std::vector<Val>&) -> HostResult {
    return Val::tuple({Val::u64(host.seed_lo), Val::u64(host.seed_hi)});
  });
}

}  // namespace weft::wasi::p2
