#include "oci/registry.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "oci/manifest.h"
#include "oci/reference.h"

namespace weft::oci {
namespace {

void global_curl_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string base64_decode(const std::string& in) {
  std::string out((in.size() / 4 + 1) * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  out.resize(static_cast<size_t>(n));
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
  out.resize(out.size() - std::min(pad, out.size()));
  return out;
}

std::string base64_encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// "user:password" for `host` from Docker's config.json (what `docker login`
// and `skopeo login --authfile` write), if there is an entry.
std::string docker_credentials(const std::string& host) {
  std::filesystem::path file;
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != 0)
    file = std::filesystem::path(dir) / "config.json";
  else if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0)
    file = std::filesystem::path(home) / ".docker" / "config.json";
  if (file.empty()) return {};
  std::ifstream in(file);
  if (!in) return {};
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) return {};
  for (const std::string& key : {host, "https://" + host, "http://" + host}) {
    auto it = j["auths"].find(key);
    if (it != j["auths"].end() && it->is_object() && it->contains("auth") &&
        (*it)["auth"].is_string())
      return base64_decode((*it)["auth"].get<std::string>());
  }
  return {};
}

// The parameters of a WWW-Authenticate challenge: scheme, and key="value" pairs.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
Challenge parse_challenge(const std::string& header) {
  Challenge c;
  size_t i = header.find(' ');
  c.scheme = lower(header.substr(0, i));
  while (i != std::string::npos && i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = lower(header.substr(i, eq - i));
    std::string value;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      ++i;
    } else {
      const size_t end = header.find(',', i);
      value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end;
    }
    c.params[key] = value;
  }
  return c;
}

std::string url_escape(const std::string& s) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Transfer {
  std::string body;
  std::FILE* file = nullptr;
  uint64_t received = 0;
  uint64_t max_bytes = 0;
  bool over_limit = false;
  long status = 0;  // of the response being received (the last after redirects)
  std::map<std::string, std::string> headers;  // lowercase names; the last redirect's
};

// An error answer's body (a 401's, a 404's) is the registry's message: kept
// apart from the content and from its size limit.
constexpr size_t kMaxErrorBody = 64 * 1024;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->status >= 300) {
    if (t->body.size() + len > kMaxErrorBody) return 0;
    t->body.append(data, len);
    return len;
  }
  if (t->received + len > t->max_bytes) {
    t->over_limit = true;
    return 0;  // aborts the transfer
  }
  t->received += len;
  if (t->file != nullptr) {
    if (std::fwrite(data, 1, len, t->file) != len) return 0;
  } else {
    t->body.append(data, len);
  }
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string line(data, len);
  if (line.starts_with("HTTP/")) {
    t->headers.clear();  // a new response (after a redirect or a 100)
    t->body.clear();
    const size_t space = line.find(' ');
    t->status = space == std::string::npos ? 0 : std::strtol(line.c_str() + space + 1, nullptr, 10);
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.pop_back();
  t->headers[lower(line.substr(0, colon))] = value;
  return len;
}

struct ReadBody {
  const std::string* data;
  size_t offset = 0;
};
size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* r = static_cast<ReadBody*>(user);
  const size_t len = std::min(size * n, r->data->size() - r->offset);
  std::memcpy(buffer, r->data->data() + r->offset, len);
  r->offset += len;
  return len;
}

// The registry's error document, if it sent one: {"errors":[{"code","message"}]}.
std::string registry_error(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty())
    return {};
  const auto& e = j["errors"][0];
  std::string out;
  if (e.is_object() && e.contains("code") && e["code"].is_string())
    out = e["code"].get<std::string>();
  if (e.is_object() && e.contains("message") && e["message"].is_string())
    out += (out.empty() ? "" : ": ") + e["message"].get<std::string>();
  return out.substr(0, 300);
}

// "WHAT: HTTP 500 (CODE: message)": the status and the registry's own words.
Error status_error(const std::string& what, long status, const std::string& body) {
  const std::string detail = registry_error(body);
  return Error::io(what + ": HTTP " + std::to_string(status) +
                   (detail.empty() ? "" : " (" + detail + ")"));
}

}  // namespace

struct RegistryClient::Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

RegistryClient::RegistryClient(std::string host, RegistryOptions options)
    : host_(std::move(host)), options_(options) {
  global_curl_init();
  const bool plain = options_.insecure || is_loopback_host(host_);
  base_ = (plain ? "http://" : "https://") + host_;
  credentials_ = docker_credentials(host_);
}

RegistryClient::~RegistryClient() = default;

Result<RegistryClient::Response> RegistryClient::request(
    const std::string& method, const std::string& url, const std::string& scope,
    const std::map<std::string, std::string>& headers, const std::string* body,
    const std::filesystem::path* out_file, uint64_t max_bytes, bool follow_redirects) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return Error::io("cannot start an HTTP request (libcurl)");
    Transfer t;
    t.max_bytes = max_bytes;
    if (out_file != nullptr) {
      t.file = std::fopen(out_file->c_str(), "wb");
      if (t.file == nullptr) {
        curl_easy_cleanup(curl);
        return Error::io("cannot write " + out_file->string());
      }
    }
    curl_slist* list = nullptr;
    for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    // Credentials go to the registry itself, never to another origin an
    // answer (an upload's Location) names.
    if (!authorization_.empty() && url.starts_with(base_ + "/"))
      list = curl_slist_append(list, ("Authorization: " + authorization_).c_str());
    ReadBody rb{body};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // An HTTPS registry's redirects stay HTTPS.
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
                     base_.starts_with("https://") ? "https" : "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "weft");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    // Slower than 1 KiB/s for the stall time is abandoned; a document (not
    // a blob into a file) also has a deadline of its own.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
    if (out_file == nullptr) curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    // Blob downloads may be redirected to storage; libcurl drops the
    // Authorization header when the host changes.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, follow_redirects ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT" || method == "POST") {
      static const std::string empty;
      rb.data = body != nullptr ? body : &empty;
      if (method == "PUT")
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      else
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &rb);
      if (method == "PUT")
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rb.data->size()));
      else
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(rb.data->size()));
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    if (t.file != nullptr && std::fclose(t.file) != 0 && rc == CURLE_OK)
      return Error::io("cannot write " + out_file->string());
    if (t.over_limit)
      return Error::limit(method + " " + url + ": response longer than " +
                          std::to_string(max_bytes) + " bytes");
    if (rc != CURLE_OK) {
      std::string why = curl_easy_strerror(rc);
      // Unreachable: no connection (a timeout before any answer counts).
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
          (rc == CURLE_OPERATION_TIMEDOUT && t.status == 0))
        return Error::io("registry " + host_ + " unreachable: " + why + " (" + url + ")");
      return Error::io(method + " " + url + ": " + why);
    }
    if (status == 401 && attempt == 1)
      return Error::io(method + " " + url + ": the registry refused the credentials (401)" +
                       (credentials_.empty() ? "" : " from the Docker config"));
    if (status == 401) {
      auto it = t.headers.find("www-authenticate");
      if (it == t.headers.end())
        return Error::io(method + " " + url + ": 401 without a WWW-Authenticate challenge");
      if (auto ok = authenticate(it->second, scope); !ok) return ok.error();
      continue;  // again, with the token
    }
    Response r;
    r.status = status;
    r.body = std::move(t.body);
    r.headers = std::move(t.headers);
    return r;
  }
  return Error::io(method + " " + url + ": the registry refused the credentials (401)");
}

Result<void> RegistryClient::authenticate(const std::string& header, const std::string& scope) {
  const Challenge c = parse_challenge(header);
  if (c.scheme == "basic") {
    if (credentials_.empty())
      return Error::io("registry " + host_ +
                       " asks for a login, and no credentials for it are in "
                       "the Docker config (~/.docker/config.json or $DOCKER_CONFIG)");
    authorization_ = "Basic " + base64_encode(credentials_);
    return {};
  }
  if (c.scheme != "bearer")
    return Error::io("registry " + host_ + ": unsupported auth scheme \"" + c.scheme + "\"");
  auto realm = c.params.find("realm");
  if (realm == c.params.end() || realm->second.empty())
    return Error::io("registry " + host_ + ": Bearer challenge without a realm");
  const std::string& url = realm->second;
  const bool https = url.starts_with("https://");
  const size_t authority_start = https ? 8 : 7;
  const std::string authority =
      url.substr(authority_start, url.find('/', authority_start) - authority_start);
  if (authority.empty() || authority.find('@') != std::string::npos ||
      (!https && !url.starts_with("http://")))
    return Error::io("registry " + host_ + ": token realm \"" + url + "\" is not a plain URL");
  if (!https && !options_.insecure && !is_loopback_host(authority))
    return Error::io("registry " + host_ + ": token realm \"" + url +
                     "\" is not HTTPS (use --insecure-registry to allow it)");
  std::string token_url = url + (url.find('?') == std::string::npos ? "?" : "&");
  if (auto s = c.params.find("service"); s != c.params.end())
    token_url += "service=" + url_escape(s->second) + "&";
  token_url += "scope=" + url_escape(c.params.count("scope") ? c.params.at("scope") : scope);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Error::io("cannot start an HTTP request (libcurl)");
  Transfer t;
  t.max_bytes = 1u << 20;
  curl_easy_setopt(curl, CURLOPT_URL, token_url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, https ? "https" : "http");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "weft");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (!credentials_.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, credentials_.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return Error::io("token request to " + url + ": " + curl_easy_strerror(rc));
  if (status != 200)
    return Error::io("token request to " + url + ": HTTP " + std::to_string(status));
  nlohmann::json j = nlohmann::json::parse(t.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"})
      if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) {
        token = j[key].get<std::string>();
        break;
      }
  }
  if (token.empty()) return Error::io("token request to " + url + ": no token in the answer");
  authorization_ = "Bearer " + token;
  return {};
}

Result<FetchedDocument> RegistryClient::get_manifest(const std::string& repo,
                                                     const std::string& reference) {
  const std::string url = base_ + "/v2/" + repo + "/manifests/" + reference;
  std::map<std::string, std::string> headers{
      {"Accept", std::string(media::kOciIndex) + ", " + std::string(media::kOciManifest) + ", " +
                     std::string(media::kDockerList) + ", " + std::string(media::kDockerManifest)}};
  auto r = request("GET", url, "repository:" + repo + ":pull", headers, nullptr, nullptr,
                   kMaxDocumentBytes, false);
  if (!r) return r.error();
  if (r->status == 404) {
    const std::string detail = registry_error(r->body);
    return Error::io("docker://" + host_ + "/" + repo + ": no manifest \"" + reference +
                     "\" in the registry" + (detail.empty() ? "" : " (" + detail + ")"));
  }
  if (r->status != 200) return status_error("GET " + url, r->status, r->body);
  FetchedDocument doc;
  doc.body = std::move(r->body);
  if (auto it = r->headers.find("content-type"); it != r->headers.end())
    doc.media_type = it->second.substr(0, it->second.find(';'));
  if (auto it = r->headers.find("docker-content-digest"); it != r->headers.end())
    doc.digest = it->second;
  return doc;
}

Result<void> RegistryClient::download_blob(const std::string& repo, const std::string& digest,
                                           uint64_t size, const std::filesystem::path& out) {
  const std::string url = base_ + "/v2/" + repo + "/blobs/" + digest;
  auto r = request("GET", url, "repository:" + repo + ":pull", {}, nullptr, &out, size, true);
  if (!r) return r.error();
  if (r->status != 200) {
    return status_error("GET " + url, r->status, r->body);
  }
  return {};
}

Result<bool> RegistryClient::has_blob(const std::string& repo, const std::string& digest) {
  const std::string url = base_ + "/v2/" + repo + "/blobs/" + digest;
  auto r = request("HEAD", url, "repository:" + repo + ":pull,push", {}, nullptr, nullptr, 0, true);
  if (!r) return r.error();
  return r->status == 200;
}

Result<void> RegistryClient::upload_blob(const std::string& repo, const std::string& digest,
                                         const std::string& bytes) {
  const std::string scope = "repository:" + repo + ":pull,push";
  const std::string start = base_ + "/v2/" + repo + "/blobs/uploads/";
  auto r = request("POST", start, scope, {}, nullptr, nullptr, 1u << 20, false);
  if (!r) return r.error();
  auto location = r->headers.find("location");
  if (r->status != 202 || location == r->headers.end()) {
    return status_error("POST " + start, r->status, r->body);
  }
  // The upload URL: relative to the registry (or to the request), or
  // absolute; another origin is allowed (storage behind the registry) but
  // gets no credentials, and plain HTTP only where the registry may use it.
  std::string url = location->second;
  if (url.starts_with("/")) {
    url = base_ + url;
  } else if (!url.starts_with("https://") && !url.starts_with("http://")) {
    url = start + url;
  } else if (url.starts_with("http://") && !base_.starts_with("http://")) {
    return Error::io("POST " + start + ": the upload URL \"" + url +
                     "\" is plain HTTP for an HTTPS registry");
  }
  url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
         url_escape(digest);
  auto put = request("PUT", url, scope, {{"Content-Type", "application/octet-stream"}}, &bytes,
                     nullptr, 1u << 20, false);
  if (!put) return put.error();
  if (put->status != 201) {
    return status_error("PUT blob " + digest, put->status, put->body);
  }
  return {};
}

Result<void> RegistryClient::put_manifest(const std::string& repo, const std::string& reference,
                                          const std::string& media_type, const std::string& bytes) {
  const std::string url = base_ + "/v2/" + repo + "/manifests/" + reference;
  auto r = request("PUT", url, "repository:" + repo + ":pull,push", {{"Content-Type", media_type}},
                   &bytes, nullptr, 1u << 20, false);
  if (!r) return r.error();
  if (r->status != 201) {
    return status_error("PUT " + url, r->status, r->body);
  }
  return {};
}

}  // namespace weft::oci
