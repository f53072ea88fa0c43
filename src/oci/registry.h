// A client of the OCI distribution API (registry v2) over libcurl: manifests
// and blobs in both directions, with the token handshake registries use
// (an anonymous or credentialed Bearer token from the realm a 401 names)
// and Basic auth. HTTPS with the system's CAs; plain HTTP only for a
// loopback registry or when the user asked for it (--insecure-registry).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "weft/result.h"

namespace weft::oci {

struct RegistryOptions {
  bool insecure = false;  // plain HTTP to any host
  long connect_timeout_ms = 10'000;
  // A transfer slower than 1 byte/s for this long is abandoned.
  long stall_timeout_s = 30;
};

struct FetchedDocument {
  std::string body;
  std::string media_type;  // Content-Type
  std::string digest;      // Docker-Content-Digest, if the registry sent one
};

class RegistryClient {
 public:
  RegistryClient(std::string host, RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // GET /v2/REPO/manifests/REFERENCE, accepting indexes and manifests (OCI
  // and Docker's), at most kMaxDocumentBytes.
  Result<FetchedDocument> get_manifest(const std::string& repo, const std::string& reference);
  // GET /v2/REPO/blobs/DIGEST into `out`, at most `size` bytes (the
  // descriptor's); the caller verifies the digest.
  Result<void> download_blob(const std::string& repo, const std::string& digest, uint64_t size,
                             const std::filesystem::path& out);
  Result<bool> has_blob(const std::string& repo, const std::string& digest);
  // A monolithic upload: POST an upload session, PUT the bytes with the digest.
  Result<void> upload_blob(const std::string& repo, const std::string& digest,
                           const std::string& bytes);
  Result<void> put_manifest(const std::string& repo, const std::string& reference,
                            const std::string& media_type, const std::string& bytes);

  const std::string& base_url() const { return base_; }

 private:
  struct Response;
  Result<Response> request(const std::string& method, const std::string& url,
                           const std::string& scope,
                           const std::map<std::string, std::string>& headers,
                           const std::string* body, const std::filesystem::path* out_file,
                           uint64_t max_bytes, bool follow_redirects);
  Result<void> authenticate(const std::string& challenge, const std::string& scope);

  std::string host_;
  std::string base_;  // "https://host:port"
  RegistryOptions options_;
  std::string credentials_;    // "user:password" from the Docker config, if any
  std::string authorization_;  // the header value that last worked
};

}  // namespace weft::oci
