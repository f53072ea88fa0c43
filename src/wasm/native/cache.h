// What the optimizing tier keeps on disk: the code cache under $WEFT_CACHE
// and the .cwasm files `weft compile` writes. Both hold batches, each the
// object file of some of a module's functions (their numbers listed), and
// both carry a key naming the weft build, LLVM and the CPU the code was
// made by and for; an entry whose key, checksum or layout does not match is
// never loaded.
//
// The cache trusts its directory as much as the weft binary: whoever can
// write there can run code as weft. The checksum catches corruption and
// truncation, not an attacker.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/weft.h"

namespace weft::native {

// The object code of some functions of one module (defined-function numbers).
struct Batch {
  std::vector<uint32_t> funcs;
  std::string object;
  std::string path;  // the cache file it came from, if any
};

// "weft-native 1; build <weft build id>; llvm <version> <build id>; cpu
// <name> <features>; <the translator's limits>". Empty when the running
// binary has no GNU build id: code made by another build could then look
// like this build's, so nothing is cached or precompiled.
const std::string& code_key();

// Hex SHA-256.
std::string sha256_hex(std::span<const uint8_t> bytes);

// Batches serialized back to back (count first), as in a .cwasm.
std::string serialize_batches(std::span<const Batch> batches);
// Parses what serialize_batches wrote; the error names the byte offset.
// `defined` bounds the function numbers.
Result<std::vector<Batch>> parse_batches(std::span<const uint8_t> bytes, uint32_t defined);

// The cache directory of one module: $WEFT_CACHE (default
// $XDG_CACHE_HOME/weft, else ~/.cache/weft), then native/<key hash>/.
// Unset when the cache is off (WEFT_CACHE=off or empty, no build id, no
// home) or has failed once in this process. The cache holds at most
// WEFT_CACHE_MAX_MB (default 1024) of entries, least recently used first
// out (a sweep after stores).
class ModuleCache {
 public:
  static std::optional<ModuleCache> open(std::span<const uint8_t> wasm);

  // Every intact entry; corrupt, truncated and mismatched ones are
  // skipped (and removed), so their functions get compiled again.
  std::vector<Batch> load(uint32_t defined) const;
  // Writes one batch (a temporary file renamed into place). A failure
  // warns once per process and turns the cache off.
  void store(const Batch& batch) const;
  // Removes the file a loaded batch came from (it would not link).
  void discard(const Batch& batch) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string root_;  // $WEFT_CACHE or its default
  std::string dir_;
  std::string key_;  // code_key() and the module's hash
};

// True once a write has failed (the warning printed): no more tries.
bool cache_disabled_by_failure();

}  // namespace weft::native
