#include "oci/digest.h"

#include <openssl/evp.h>

#include <algorithm>

namespace weft::oci {

Result<Digest> parse_digest(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return Error::usage("digest \"" + std::string(text) + "\": expected ALGORITHM:HEX");
  Digest d{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  const bool hex_ok = std::all_of(d.hex.begin(), d.hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (d.algorithm == "sha256" && d.hex.size() == 64 && hex_ok) return d;
  if (d.algorithm == "sha512" && d.hex.size() == 128 && hex_ok)
    return Error::usage("digest \"" + std::string(text) + "\": sha512 is not supported");
  return Error::usage("digest \"" + std::string(text) +
                      "\": expected sha256: and 64 lowercase hex digits");
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  if (size > 0) EVP_DigestUpdate(state_->ctx, data, size);
}

std::string Sha256::digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, out, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 15];
  }
  return text;
}

std::string sha256_digest(std::span<const uint8_t> bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.digest();
}

std::string sha256_digest(std::string_view bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.digest();
}

}  // namespace weft::oci
