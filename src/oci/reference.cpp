#include "oci/reference.h"

#include <algorithm>
#include <cctype>

#include "oci/digest.h"

namespace weft::oci {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A repository path component, as the distribution spec's grammar has it:
// [a-z0-9]+ joined by one of "." "_" "__" or runs of "-".
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if (is_lower_alnum(ch)) continue;
    if (ch == '.' || ch == '-') {
      if (ch == '.' && !is_lower_alnum(c[i + 1])) return false;
      continue;
    }
    if (ch == '_') {
      if (i + 1 < c.size() && c[i + 1] == '_') ++i;
      if (!is_lower_alnum(c[i + 1])) return false;
      continue;
    }
    return false;
  }
  return true;
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (!word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  if (h.front() == '[') {  // [::1]:5000
    const size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = h.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':' || rest.size() < 2) return false;
    return std::all_of(rest.begin() + 1, rest.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  }
  const size_t colon = h.find(':');
  std::string_view name = h.substr(0, colon);
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  if (colon == std::string_view::npos) return true;
  std::string_view port = h.substr(colon + 1);
  return !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

Error bad_ref(std::string_view text, const std::string& why) {
  return Error::usage("image reference \"" + std::string(text) + "\": " + why);
}

}  // namespace

bool looks_like_image_ref(std::string_view text) {
  return text.starts_with("oci:") || text.starts_with("docker://");
}

Result<ImageRef> parse_image_ref(std::string_view text) {
  ImageRef ref;
  ref.text = std::string(text);
  if (text.starts_with("oci:")) {
    ref.kind = ImageRef::Kind::Layout;
    std::string_view rest = text.substr(4);
    // skopeo's split: the path ends at the first colon.
    const size_t colon = rest.find(':');
    ref.layout_dir = std::string(rest.substr(0, colon));
    if (ref.layout_dir.empty()) return bad_ref(text, "no layout directory after \"oci:\"");
    if (colon != std::string_view::npos) {
      ref.tag = std::string(rest.substr(colon + 1));
      if (!valid_tag(ref.tag)) return bad_ref(text, "invalid tag \"" + ref.tag + "\"");
    }
    return ref;
  }
  if (!text.starts_with("docker://"))
    return bad_ref(text, "expected oci:PATH[:TAG] or docker://HOST/REPO[:TAG|@DIGEST]");
  ref.kind = ImageRef::Kind::Registry;
  std::string_view rest = text.substr(9);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return bad_ref(text, "no repository after the registry host (docker://HOST/REPO)");
  ref.host = std::string(rest.substr(0, slash));
  if (!valid_host(ref.host)) return bad_ref(text, "invalid registry host \"" + ref.host + "\"");
  std::string_view path = rest.substr(slash + 1);
  if (const size_t at = path.find('@'); at != std::string_view::npos) {
    auto digest = parse_digest(path.substr(at + 1));
    if (!digest) return bad_ref(text, digest.error().message);
    ref.digest = std::string(path.substr(at + 1));
    path = path.substr(0, at);
  } else if (const size_t colon = path.rfind(':');
             colon != std::string_view::npos && path.find('/', colon) == std::string_view::npos) {
    ref.tag = std::string(path.substr(colon + 1));
    if (!valid_tag(ref.tag)) return bad_ref(text, "invalid tag \"" + ref.tag + "\"");
    path = path.substr(0, colon);
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  if (path.empty() || path.size() > 255) return bad_ref(text, "invalid repository name");
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (!valid_component(path.substr(start, end - start)))
      return bad_ref(text, "invalid repository name \"" + std::string(path) +
                               "\" (lowercase letters, digits and . _ - separators)");
    start = end + 1;
  }
  ref.repository = std::string(path);
  return ref;
}

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? host.npos : close - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

bool is_loopback_host(std::string_view host) {
  if (host.find('@') != std::string_view::npos) return false;  // userinfo: not a plain host
  const std::string name = host_without_port(host);
  if (name == "localhost" || name == "::1") return true;
  // An IPv4 literal in 127/8, not a name that starts with "127.".
  int parts = 0;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    const std::string_view part = std::string_view(name).substr(start, end - start);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) ||
        std::stoi(std::string(part)) > 255)
      return false;
    if (parts == 0 && part != "127") return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

std::string registry_reference(const ImageRef& ref) {
  return ref.digest.empty() ? ref.tag : ref.digest;
}

}  // namespace weft::oci
