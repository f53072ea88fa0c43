// The code cache and the key that guards it (cache.h).
#include "wasm/native/cache.h"
#include "wasm/native/translate.h"

#include "wasm/runtime/runtime.h"

#include <elf.h>
#include <link.h>
#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/Support/SHA256.h>
#include <llvm/TargetParser/Host.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace weft::native {
namespace {

constexpr char kEntryMagic[8] = {'W', 'E', 'F', 'T', 'N', 'O', 'B', 'J'};

std::string hex(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::array<uint8_t, 32> sha256(std::span<const uint8_t> bytes) {
  return llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(bytes.data(), bytes.size()));
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// GNU build ids of the loaded objects: the one holding this code and, if
// LLVM is a shared library, LLVM's. A rebuilt weft (or a rebuilt libLLVM
// under the same version) gets a new key, so stale code never loads.
struct BuildIds {
  std::string weft;
  std::string llvm;
};

std::string build_id_of(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const uint8_t* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const uint8_t* name = p + sizeof note;
      const uint8_t* desc = name + ((note.n_namesz + 3) & ~3u);
      const uint8_t* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0)
        return hex({desc, note.n_descsz});
      p = next;
    }
  }
  return {};
}

BuildIds find_build_ids() {
  struct Search {
    uintptr_t here;
    BuildIds ids;
  } search{reinterpret_cast<uintptr_t>(&find_build_ids), {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        bool holds_here = false;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
          if (ph.p_type == PT_LOAD && s->here >= start && s->here < start + ph.p_memsz)
            holds_here = true;
        }
        if (holds_here) s->ids.weft = build_id_of(info);
        const char* name = info->dlpi_name ? info->dlpi_name : "";
        if (std::strstr(name, "libLLVM") != nullptr) s->ids.llvm = build_id_of(info);
        return 0;
      },
      &search);
  return search.ids;
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}

// Little-endian reads that fail past the end instead of reading it.
struct Cursor {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
  bool u32(uint32_t& v) {
    if (bytes.size() - pos < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{bytes[pos + i]} << (8 * i);
    pos += 4;
    return true;
  }
  bool u64(uint64_t& v) {
    if (bytes.size() - pos < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{bytes[pos + i]} << (8 * i);
    pos += 8;
    return true;
  }
};

std::atomic<bool> cache_failed{false};

std::string cache_root() {
  const char* env = std::getenv("WEFT_CACHE");
  if (env != nullptr) {
    const std::string_view v(env);
    if (v.empty() || v == "off" || v == "0") return {};
    return std::string(v);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != 0)
    return std::string(xdg) + "/weft";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0)
    return std::string(home) + "/.cache/weft";
  return {};
}

void cache_failure(const std::string& what) {
  if (!cache_failed.exchange(true)) {
    std::fprintf(stderr, "weft: warning: code cache: %s; running without the cache\n",
                 what.c_str());
  }
}

// ---- eviction ---------------------------------------------------------------
// The cache is capped at WEFT_CACHE_MAX_MB (default 1024 MiB) of entries
// under native/, least recently used first: a load touches an entry's
// modification time, so the time says when it was last stored or loaded.
// Every rebuild of weft has a new key, so without this the directories of
// old builds would pile up forever. A sweep runs on this process's first
// store and again after every 64 MiB it writes; it also removes temporaries
// an interrupted store left (older than an hour) and emptied directories.
// Two processes sweeping at once only race to remove the same files.
uint64_t cache_limit_bytes() {
  static const uint64_t limit = [] {
    const char* env = std::getenv("WEFT_CACHE_MAX_MB");
    const uint64_t mb = env != nullptr && *env != 0 ? std::strtoull(env, nullptr, 10) : 1024;
    return mb * 1024 * 1024;
  }();
  return limit;
}

void sweep(const std::string& root) {
  namespace fs = std::filesystem;
  struct Entry {
    fs::file_time_type used;
    uint64_t size;
    fs::path path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& dir : fs::directory_iterator(root + "/native", ec)) {
    std::error_code dir_ec;
    if (!dir.is_directory(dir_ec)) continue;
    for (const auto& file : fs::directory_iterator(dir.path(), dir_ec)) {
      std::error_code file_ec;
      const auto used = file.last_write_time(file_ec);
      const uint64_t size = file.file_size(file_ec);
      if (file_ec) continue;  // gone meanwhile
      const std::string name = file.path().filename().string();
      if (name.find(".tmp") != std::string::npos) {
        if (now - used > std::chrono::hours(1)) fs::remove(file.path(), file_ec);
        continue;
      }
      if (file.path().extension() != ".obj") continue;
      entries.push_back({used, size, file.path()});
      total += size;
    }
  }
  const uint64_t limit = cache_limit_bytes();
  if (total > limit) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.used < b.used; });
    // Down to 90% of the limit, so that the next store does not sweep again.
    for (const Entry& e : entries) {
      if (total <= limit / 10 * 9) break;
      std::error_code rm_ec;
      if (fs::remove(e.path, rm_ec)) total -= e.size;
    }
  }
  for (const auto& dir : fs::directory_iterator(root + "/native", ec)) {
    std::error_code dir_ec;
    if (dir.is_directory(dir_ec) && fs::is_empty(dir.path(), dir_ec))
      fs::remove(dir.path(), dir_ec);
  }
}

void after_store(const std::string& root, uint64_t bytes) {
  static std::mutex mutex;
  static bool swept = false;
  static uint64_t written = 0;
  std::lock_guard lock(mutex);
  written += bytes;
  if (swept && written < 64 * 1024 * 1024) return;
  swept = true;
  written = 0;
  sweep(root);
}

}  // namespace

std::string sha256_hex(std::span<const uint8_t> bytes) { return hex(sha256(bytes)); }

const std::string& code_key() {
  static const std::string base = [] {
    const BuildIds ids = find_build_ids();
    if (ids.weft.empty()) return std::string();
    std::string features;
    std::vector<std::string> on;
    for (const auto& f : llvm::sys::getHostCPUFeatures())
      if (f.second) on.push_back(f.first().str());
    std::sort(on.begin(), on.end());
    for (const std::string& f : on) features += "+" + f;
    std::ostringstream k;
    k << "weft-native 1; build " << ids.weft << "; llvm " << LLVM_VERSION_STRING << " "
      << (ids.llvm.empty() ? "static" : ids.llvm) << "; cpu " << llvm::sys::getHostCPUName().str()
      << " " << features << "; O2";
    const std::vector<uint32_t>& kept = kept_interpreted();
    if (!kept.empty()) {
      k << "; interpreted";
      for (uint32_t f : kept) k << " " << f;
    }
    return k.str();
  }();
  // Code for guarded memories has no bounds checks: it must never load
  // into a process that reserves none.
  static const std::string guarded = base.empty() ? base : base + "; memory guarded";
  static const std::string checked = base.empty() ? base : base + "; memory checked";
  return detail::guarded_memories() ? guarded : checked;
}

std::string serialize_batches(std::span<const Batch> batches) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(batches.size()));
  for (const Batch& b : batches) {
    put_u32(out, static_cast<uint32_t>(b.funcs.size()));
    for (uint32_t f : b.funcs) put_u32(out, f);
    put_u64(out, b.object.size());
    out += b.object;
  }
  return out;
}

Result<std::vector<Batch>> parse_batches(std::span<const uint8_t> bytes, uint32_t defined) {
  Cursor c{bytes};
  auto bad = [&](const char* what) {
    return Error::malformed(c.pos, std::string("native code: ") + what);
  };
  uint32_t count = 0;
  if (!c.u32(count)) return bad("truncated batch count");
  std::vector<Batch> out;
  std::vector<bool> seen(defined, false);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t n = 0;
    if (!c.u32(n)) return bad("truncated function count");
    if (n == 0 || n > defined) return bad("function count out of range");
    Batch b;
    b.funcs.resize(n);
    for (uint32_t& f : b.funcs) {
      if (!c.u32(f)) return bad("truncated function list");
      if (f >= defined) return bad("function number out of range");
      if (seen[f]) return bad("function in two batches");
      seen[f] = true;
    }
    uint64_t size = 0;
    if (!c.u64(size)) return bad("truncated object size");
    if (size > bytes.size() - c.pos) return bad("object runs past the end");
    b.object.assign(reinterpret_cast<const char*>(bytes.data() + c.pos), size);
    c.pos += size;
    out.push_back(std::move(b));
  }
  if (c.pos != bytes.size()) return bad("bytes after the last batch");
  return out;
}

bool cache_disabled_by_failure() { return cache_failed.load(); }

std::optional<ModuleCache> ModuleCache::open(std::span<const uint8_t> wasm) {
  if (cache_failed.load(std::memory_order_relaxed) || code_key().empty()) return std::nullopt;
  const std::string root = cache_root();
  if (root.empty()) return std::nullopt;
  ModuleCache cache;
  cache.key_ = code_key() + "; module " + sha256_hex(wasm);
  cache.root_ = root;
  cache.dir_ = root + "/native/" + sha256_hex(as_bytes(cache.key_)).substr(0, 32);
  return cache;
}

std::vector<Batch> ModuleCache::load(uint32_t defined) const {
  std::vector<Batch> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return out;  // no entry yet
  std::vector<bool> loaded(defined, false);
  for (const auto& entry : it) {
    const std::filesystem::path& path = entry.path();
    if (path.extension() != ".obj") continue;
    std::ifstream in(path, std::ios::binary);
    std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto intact = [&]() -> std::optional<Batch> {
      Cursor c{as_bytes(file)};
      if (file.size() < sizeof kEntryMagic || std::memcmp(file.data(), kEntryMagic, 8) != 0)
        return std::nullopt;
      c.pos = 8;
      uint32_t key_len = 0;
      if (!c.u32(key_len) || key_len > file.size() - c.pos) return std::nullopt;
      if (std::string_view(file).substr(c.pos, key_len) != key_) return std::nullopt;
      c.pos += key_len;
      if (file.size() - c.pos < 32) return std::nullopt;
      const auto body = as_bytes(file).subspan(c.pos + 32);
      if (std::memcmp(sha256(body).data(), file.data() + c.pos, 32) != 0) return std::nullopt;
      auto batches = parse_batches(body, defined);
      if (!batches || batches.value().size() != 1) return std::nullopt;
      return std::move(batches.value()[0]);
    }();
    if (!intact) {
      std::filesystem::remove(path, ec);
      continue;
    }
    // Two processes may have cached overlapping batches: keep the first.
    bool overlaps = false;
    for (uint32_t f : intact->funcs) overlaps = overlaps || loaded[f];
    if (overlaps) continue;
    for (uint32_t f : intact->funcs) loaded[f] = true;
    // Used now: the eviction sweep keeps recently used entries.
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
    intact->path = path.string();
    out.push_back(std::move(*intact));
  }
  return out;
}

void ModuleCache::discard(const Batch& batch) const {
  std::error_code ec;
  if (!batch.path.empty()) std::filesystem::remove(batch.path, ec);
}

void ModuleCache::store(const Batch& batch) const {
  if (cache_failed.load(std::memory_order_relaxed)) return;
  const std::string body = serialize_batches(std::span<const Batch>(&batch, 1));
  std::string file(kEntryMagic, sizeof kEntryMagic);
  put_u32(file, static_cast<uint32_t>(key_.size()));
  file += key_;
  const auto digest = sha256(as_bytes(body));
  file.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  file += body;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return cache_failure("cannot create " + dir_ + ": " + ec.message());
  static std::atomic<uint64_t> serial{0};
  const std::string name = dir_ + "/b" + std::to_string(batch.funcs.front()) + "-" +
                           sha256_hex(as_bytes(body)).substr(0, 16) + ".obj";
  const std::string tmp =
      name + ".tmp" + std::to_string(getpid()) + "-" + std::to_string(serial.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) {
      const std::string why = std::strerror(errno);
      std::filesystem::remove(tmp, ec);
      return cache_failure("cannot write " + tmp + ": " + why);
    }
  }
  std::filesystem::rename(tmp, name, ec);
  if (ec) {
    const std::string why = ec.message();  // before remove() overwrites ec
    std::filesystem::remove(tmp, ec);
    return cache_failure("cannot write " + name + ": " + why);
  }
  after_store(root_, file.size());
}

}  // namespace weft::native
