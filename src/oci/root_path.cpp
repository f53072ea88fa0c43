#include "oci/root_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <system_error>
#include <vector>

namespace weft::oci {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS

void push_components(std::deque<std::string>& queue, std::string_view path, bool front) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (front) {
    queue.insert(queue.begin(), parts.begin(), parts.end());
  } else {
    queue.insert(queue.end(), parts.begin(), parts.end());
  }
}

}  // namespace

std::optional<fs::path> resolve_in_root(const fs::path& root, std::string_view cwd,
                                        std::string_view path) {
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  std::deque<std::string> pending;
  if (path.empty() || path.front() != '/') push_components(pending, cwd, false);
  push_components(pending, path, false);

  std::vector<std::string> resolved;  // components below the root, none a link
  bool missing = false;               // a component did not exist: the rest is lexical
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    if (!missing) {
      fs::path here = canonical_root;
      for (const std::string& r : resolved) here /= r;
      here /= part;
      struct stat st;
      if (::lstat(here.c_str(), &st) != 0) {
        missing = true;
      } else if (S_ISLNK(st.st_mode)) {
        if (++links > kMaxLinks) return std::nullopt;
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlink(here.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<size_t>(n) >= target.size()) return std::nullopt;
        target.resize(static_cast<size_t>(n));
        if (!target.empty() && target.front() == '/') resolved.clear();
        push_components(pending, target, true);
        continue;
      }
    }
    resolved.push_back(std::move(part));
  }
  fs::path out = canonical_root;
  for (const std::string& r : resolved) out /= r;
  return out;
}

}  // namespace weft::oci
