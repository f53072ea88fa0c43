// Content digests ("sha256:<64 hex>"), the only algorithm images use in
// practice; sha512 is accepted by the grammar and refused as unsupported.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/result.h"

namespace weft::oci {

struct Digest {
  std::string algorithm;  // "sha256"
  std::string hex;        // lowercase
  std::string text() const { return algorithm + ":" + hex; }
};

Result<Digest> parse_digest(std::string_view text);

// "sha256:..." of `bytes`.
std::string sha256_digest(std::span<const uint8_t> bytes);
std::string sha256_digest(std::string_view bytes);

// For content that arrives in pieces (a download, a file).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string digest();  // "sha256:..."; once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weft::oci
