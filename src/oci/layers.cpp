#include "oci/layers.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "wasm/binary/reader.h"  // WEFT_CHECK

namespace weft::oci {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    parts.emplace_back(p.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The entry name as tar writes it ("./a/b/", "a//b") made canonical, or
// empty if it is not a safe relative path.
std::string canonical_entry_path(std::string_view name) {
  std::string out;
  for (const std::string& part : split_path(name)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return {};
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

// No component of `rel`'s parent directory under `root` may be a symbolic
// link (or anything but a directory): a write must land where its name says.
Result<void> check_parents(const fs::path& root, const std::string& rel, const std::string& where) {
  std::vector<std::string> parts = split_path(rel);
  parts.pop_back();
  std::string so_far;
  for (const std::string& part : parts) {
    so_far += (so_far.empty() ? "" : "/") + part;
    const fs::path at = root / so_far;
    struct stat st {};
    if (lstat(at.c_str(), &st) != 0) return {};  // created by the extraction, as a directory
    if (S_ISLNK(st.st_mode))
      return Error::usage(where + ": written through the symbolic link \"" + so_far + "\"");
    if (!S_ISDIR(st.st_mode))
      return Error::usage(where + ": \"" + so_far + "\" is not a directory");
  }
  return {};
}

// Whether a symbolic link at `rel` pointing at `target` stays inside the
// root. Its parents hold no links (check_parents), so its directory is
// where its name says. The target may climb ("../") only at its start and
// no higher than the root, then only descend: a ".." after a component
// that is itself a link would climb from wherever that link leads, which a
// lexical check cannot know ("b -> .", then "b/b/../../.." escapes). By
// induction every link so made points inside the root, and so does
// descending from one.
bool link_stays_inside(const std::string& rel, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  size_t depth = split_path(rel).size() - 1;
  bool descending = false;
  for (const std::string& part : split_path(target)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (descending || depth == 0) return false;
      --depth;
    } else {
      descending = true;
    }
  }
  return true;
}

void remove_all_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

struct ReadArchive {
  archive* a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
};
struct WriteDisk {
  archive* a = archive_write_disk_new();
  ~WriteDisk() { archive_write_free(a); }
};

// libarchive's message for the last failure on `a`; it has none for some
// (a corrupt stream can fail with the message unset: null, which a fuzzed
// layer turned into a crash), so the errno it kept, or a plain word.
std::string archive_failure(struct archive* a) {
  if (const char* message = archive_error_string(a); message != nullptr) return message;
  const int code = archive_errno(a);
  return code > 0 ? std::string(std::strerror(code)) : std::string("malformed archive");
}

}  // namespace

bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos)
    return false;
  for (const std::string& part : split_path(path))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

Result<void> unpack_layer(const fs::path& layer_file, const fs::path& root, const std::string& name,
                          const UnpackLimits& limits, UnpackTally& tally) {
  ReadArchive in;
  archive_read_support_filter_gzip(in.a);
  archive_read_support_filter_zstd(in.a);
  archive_read_support_format_tar(in.a);
  archive_read_support_format_gnutar(in.a);
  if (archive_read_open_filename(in.a, layer_file.c_str(), 1 << 16) != ARCHIVE_OK)
    return Error::usage(name + ": not a tar archive: " + archive_failure(in.a));
  WriteDisk out;
  // libarchive's own guards behind ours: no "..", no extraction through
  // symbolic links (the root is canonical, so the check covers only what
  // the layers made); no owners, no special bits. The paths given to it
  // are absolute (root/NAME), checked above.
  archive_write_disk_set_options(out.a, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_PERM |
                                            ARCHIVE_EXTRACT_TIME);
  std::vector<char> buffer(1 << 16);
  std::set<std::string> made;  // paths this layer wrote
  tally.skipped_bytes_base = tally.decompressed;
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(in.a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      return Error::usage(name + ": " + archive_failure(in.a));
    if (++tally.entries > limits.max_entries)
      return Error::limit(name + ": more than " + std::to_string(limits.max_entries) +
                          " entries in the image's layers");
    const char* raw = archive_entry_pathname(entry);
    const std::string raw_name = raw != nullptr ? raw : "";
    const std::string where = name + ": \"" + raw_name + "\"";
    // Every entry's bytes count, kept or skipped (a "." or a whiteout may
    // carry data too), and so does all that was decompressed to reach it.
    const int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (size < 0 || tally.bytes + static_cast<uint64_t>(size) > limits.max_bytes ||
        tally.skipped_bytes_base + static_cast<uint64_t>(archive_filter_bytes(in.a, 0)) >
            2 * limits.max_bytes + (64u << 20))
      return Error::limit(name + ": the image's files are larger than " +
                          std::to_string(limits.max_bytes >> 20) + " MiB unpacked");
    if (raw_name.empty() || raw_name.front() == '/')
      return Error::usage(where + ": an absolute path");
    const std::string rel = canonical_entry_path(raw_name);
    if (rel.empty()) {
      if (canonical_entry_path(raw_name + "/x").empty())
        return Error::usage(where + ": a path with \"..\"");
      tally.bytes += static_cast<uint64_t>(size);
      continue;  // "./": the root itself
    }
    WEFT_CHECK(check_parents(root, rel, where));
    const std::string base = rel.substr(rel.rfind('/') + 1);
    const std::string dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
    // Whiteouts: ".wh.NAME" deletes NAME of a lower layer; ".wh..wh..opq"
    // empties the directory it is in of what lower layers put there. What
    // this layer made stays, wherever in the layer the whiteout comes.
    if (base.starts_with(".wh.")) {
      tally.bytes += static_cast<uint64_t>(size);
      const fs::path parent = dir.empty() ? root : root / dir;
      const std::string prefix = dir.empty() ? "" : dir + "/";
      if (base == ".wh..wh..opq") {
        std::error_code ec;
        std::vector<fs::path> lower;
        for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator();
             it.increment(ec))
          if (!made.count(prefix + it->path().filename().string())) lower.push_back(it->path());
        for (const fs::path& p : lower) remove_all_quietly(p);
      } else {
        const std::string victim = base.substr(4);
        if (victim.empty() || victim == "." || victim == ".." ||
            victim.find('/') != std::string::npos)
          return Error::usage(where + ": a whiteout of nothing");
        if (!made.count(prefix + victim)) remove_all_quietly(parent / victim);
      }
      continue;
    }
    const char* hard = archive_entry_hardlink(entry);
    const mode_t type = hard != nullptr ? AE_IFREG : archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
      return Error::usage(where +
                          ": a device, FIFO or socket (only files, directories and links "
                          "are unpacked)");
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr || !link_stays_inside(rel, target))
        return Error::usage(where + ": a symbolic link to \"" + (target ? target : "") +
                            "\", outside the image");
    }
    if (hard != nullptr) {
      const std::string target = canonical_entry_path(hard);
      if (target.empty() || hard[0] == '/')
        return Error::usage(where + ": a hard link to \"" + hard + "\", outside the image");
      WEFT_CHECK(check_parents(root, target, where));
      struct stat st {};
      const fs::path target_path = root / target;
      if (lstat(target_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error::usage(where + ": a hard link to \"" + hard +
                            "\", which is not a file unpacked before it");
      archive_entry_set_hardlink(entry, target_path.c_str());
    }
    // A path in the root that a lower layer made something else: replaced.
    const fs::path dest = root / rel;
    struct stat existing {};
    if (lstat(dest.c_str(), &existing) == 0 && !(type == AE_IFDIR && S_ISDIR(existing.st_mode)))
      remove_all_quietly(dest);
    archive_entry_set_pathname(entry, dest.c_str());
    archive_entry_set_perm(entry,
                           (archive_entry_perm(entry) & 0777) | (type == AE_IFDIR ? 0700 : 0600));
    if (archive_write_header(out.a, entry) != ARCHIVE_OK)
      return Error::io(where + ": cannot unpack: " + archive_failure(out.a));
    // This layer's own: its whiteouts leave it (and its parents) alone.
    for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
      made.insert(rel.substr(0, slash));
    made.insert(rel);
    if (type == AE_IFREG) {
      uint64_t written = 0;
      for (;;) {
        const la_ssize_t n = archive_read_data(in.a, buffer.data(), buffer.size());
        if (n == 0) break;
        if (n < 0) return Error::usage(where + ": " + archive_failure(in.a));
        written += static_cast<uint64_t>(n);
        if (tally.bytes + written > limits.max_bytes || written > static_cast<uint64_t>(size))
          return Error::limit(name + ": the image's files are larger than " +
                              std::to_string(limits.max_bytes >> 20) + " MiB unpacked");
        if (archive_write_data(out.a, buffer.data(), static_cast<size_t>(n)) != n)
          return Error::io(where + ": cannot write: " + archive_failure(out.a));
      }
      tally.bytes += written;
    }
    if (archive_write_finish_entry(out.a) != ARCHIVE_OK)
      return Error::io(where + ": cannot unpack: " + archive_failure(out.a));
  }
  tally.decompressed += static_cast<uint64_t>(archive_filter_bytes(in.a, 0));
  return {};
}

}  // namespace weft::oci
