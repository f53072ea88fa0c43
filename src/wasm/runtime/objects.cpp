// Store-owned objects: linear memories (a reserved virtual range committed
// page by page, so the base never moves), tables, globals, host functions.
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"

namespace weft::detail {
namespace {

constexpr uint64_t kPageSize = 65536;
constexpr uint64_t kFailed = std::numeric_limits<uint64_t>::max();

uint64_t max_pages_of(const MemoryType& type) {
  uint64_t max = type.limits.max.value_or(wasm::kMaxPages);
  return std::min<uint64_t>(max, wasm::kMaxPages);
}

// Reservations of destroyed memories, scrubbed to zero, kept for the next
// store: a fresh reservation costs mmap + a page fault per touched page +
// munmap (each a page-table update, very slow under some hypervisors), while
// a pooled one is reused with no syscall when the next memory has the same
// size. Only the pages a guest touched are zeroed (mincore tells which).
//
// An entry's invariant: if `image` is set, [0, image->bytes) is a private
// mapping of it that reads exactly as the image (see reset_image_part),
// read-write; every other byte is zero; [0, committed) is read-write; the
// rest is PROT_NONE; pages at or past `touched` are not resident. A range
// keeps its image mapped so that the next instance of the same module
// instantiates with no syscall at all.
class ReservationPool {
 public:
  struct Entry {
    uint8_t* base = nullptr;
    uint64_t reserved = 0;
    uint64_t committed = 0;
    uint64_t touched = 0;
    uint64_t resident = 0;  // bytes of private resident pages it holds
    std::shared_ptr<const MemoryImage> image;
  };

  static ReservationPool& get() {
    static ReservationPool* pool = new ReservationPool;  // outlives static stores
    return *pool;
  }

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  void set_enabled(bool on) {
    enabled_.store(on, std::memory_order_relaxed);
    if (!on) clear();
  }

  // A scrubbed reservation of `reserved` bytes whose first `initial` bytes
  // are read-write and the rest PROT_NONE, if the pool has one. It maps
  // `image` (if not null) when a range that does is pooled, else no image.
  std::optional<Entry> acquire(uint64_t reserved, uint64_t initial, const MemoryImage* image) {
    if (!enabled()) return std::nullopt;
    Entry entry;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto best = entries_.end();
      int best_score = -1;
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->reserved != reserved) continue;
        // Same image first (no remapping), then same size (no mprotect).
        int score = (it->image.get() == image ? 2 : 0) + (it->committed == initial ? 1 : 0);
        if (score > best_score) {
          best = it;
          best_score = score;
        }
        if (score == 3) break;
      }
      if (best == entries_.end()) return std::nullopt;
      entry = *best;
      entries_.erase(best);
      pooled_resident_ -= entry.resident;
    }
    bool ok = true;
    // Another module's image (or, impossibly, one past the new size: one
    // image belongs to one module and so to one initial size): replace it
    // with zero pages, read-write as it lies within `committed`.
    if (entry.image != nullptr && (entry.image.get() != image || entry.image->bytes > initial)) {
      if (entry.image->bytes > 0) {
        ok = mmap(entry.base, entry.image->bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == entry.base;
      }
      entry.image.reset();
    }
    if (ok && entry.committed > initial) {
      ok = mprotect(entry.base + initial, entry.committed - initial, PROT_NONE) == 0;
    } else if (ok && entry.committed < initial) {
      ok = mprotect(entry.base + entry.committed, initial - entry.committed,
                    PROT_READ | PROT_WRITE) == 0;
    }
    if (!ok) {
      munmap(entry.base, entry.reserved);
      return std::nullopt;
    }
    entry.committed = initial;
    return entry;
  }

  // Takes a memory's range back (or unmaps it). [0, size) is read-write and
  // may hold guest data; [size, touched) holds zero pages under PROT_NONE;
  // [0, image->bytes) (within size) maps `image` privately.
  void release(uint8_t* base, uint64_t reserved, uint64_t size, uint64_t touched,
               std::shared_ptr<const MemoryImage> image) {
    uint64_t resident = 0;
    uint64_t image_bytes = image != nullptr ? image->bytes : 0;
    touched = std::max(size, touched);
    if (!enabled() || image_bytes > size ||
        (image_bytes > 0 && !reset_image_part(base, *image, resident)) ||
        !scrub(base + image_bytes, size - image_bytes, touched - image_bytes, resident)) {
      munmap(base, reserved);
      return;
    }
    Entry entry{base, reserved, size, touched, resident, std::move(image)};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (entries_.size() < kMaxEntries && pooled_resident_ + resident <= kMaxPooledResident) {
        entries_.push_back(std::move(entry));
        pooled_resident_ += resident;
        return;
      }
    }
    munmap(base, reserved);
  }

  void clear() {
    std::vector<Entry> entries;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      entries.swap(entries_);
      pooled_resident_ = 0;
    }
    for (const Entry& e : entries) munmap(e.base, e.reserved);
  }

 private:
  static constexpr size_t kMaxEntries = 32;
  static constexpr uint64_t kMaxResidentBytes = 8ull << 20;    // per entry kept
  static constexpr uint64_t kMaxPooledResident = 64ull << 20;  // over all entries

  // Makes [0, image.bytes) read as the image again. Pages the guest wrote
  // are private copies: /proc/self/pagemap tells them apart (present and not
  // file-backed, or swapped). They are restored from the image in place and
  // stay resident, while pages only read stay mapped to the page cache, so
  // the next instance of the module faults on neither. Without pagemap (or
  // with selective reset off, or past the resident cap) MADV_DONTNEED drops
  // the private copies instead, which on a private file mapping also reverts
  // them to the file. Adds the private bytes kept to `resident_bytes`.
  static bool reset_image_part(uint8_t* base, const MemoryImage& image, uint64_t& resident_bytes) {
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const int pagemap = memory_image_selective_reset() ? pagemap_for_reset() : -1;
    if (pagemap < 0 || image.contents == nullptr || page == 0 || image.bytes % page != 0) {
      return madvise(base, image.bytes, MADV_DONTNEED) == 0;
    }
    constexpr size_t kChunk = 512;
    uint64_t entries[kChunk];
    uint64_t pages = image.bytes / page;
    uint64_t first_page = reinterpret_cast<uintptr_t>(base) / page;
    uint64_t kept = 0;
    for (uint64_t done = 0; done < pages;) {
      size_t count = static_cast<size_t>(std::min<uint64_t>(kChunk, pages - done));
      size_t want = count * sizeof(uint64_t);
      ssize_t got = pread(pagemap, entries, want, static_cast<off_t>((first_page + done) * 8));
      if (got != static_cast<ssize_t>(want)) {
        // Cannot tell the rest apart: drop every private copy (including
        // those just restored, so nothing private is kept).
        return madvise(base, image.bytes, MADV_DONTNEED) == 0;
      }
      for (size_t i = 0; i < count;) {
        auto is_private = [&](size_t k) { return pagemap_entry_is_private(entries[k]); };
        if (!is_private(i)) {
          ++i;
          continue;
        }
        size_t j = i + 1;
        while (j < count && is_private(j)) ++j;
        uint64_t offset = (done + i) * page;
        uint64_t len = (j - i) * page;
        if (kept + len <= kMaxResidentBytes) {
          std::memcpy(base + offset, image.contents + offset, len);
          kept += len;
        } else if (madvise(base + offset, len, MADV_DONTNEED) != 0) {
          return false;
        }
        i = j;
      }
      done += count;
    }
    resident_bytes += kept;
    return true;
  }

  // Whether an anonymous page that is not resident may still hold data
  // (swapped out). Without swap it cannot: it was never written, or was
  // dropped. Asked of the kernel at most once a second (swapon may come).
  static bool swap_configured() {
    static std::atomic<int64_t> checked_at{std::numeric_limits<int64_t>::min()};
    static std::atomic<bool> configured{true};
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    if (checked_at.load(std::memory_order_relaxed) != now) {
      struct sysinfo info {};
      configured.store(sysinfo(&info) != 0 || info.totalswap != 0, std::memory_order_relaxed);
      checked_at.store(now, std::memory_order_relaxed);
    }
    return configured.load(std::memory_order_relaxed);
  }

  // Zeroes [0, size): memset for resident pages, MADV_DONTNEED for the
  // others when they may be swapped out (not resident yet holding data).
  // False if the range should rather be unmapped (too much resident memory,
  // or a syscall failed).
  static bool scrub(uint8_t* base, uint64_t size, uint64_t touched, uint64_t& resident_bytes) {
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    if (page == 0 || page > 65536 || touched % page != 0 || size % page != 0) return false;
    uint64_t pages = touched / page;
    if (pages == 0) return true;
    std::vector<unsigned char> resident(pages);
    if (mincore(base, touched, resident.data()) != 0) return false;
    uint64_t resident_pages = 0;
    for (unsigned char r : resident) resident_pages += r & 1;
    resident_bytes += resident_pages * page;
    if (resident_bytes > kMaxResidentBytes) return false;
    uint64_t size_pages = size / page;
    uint64_t i = 0;
    while (i < size_pages) {
      bool is_resident = resident[i] & 1;
      uint64_t j = i + 1;
      while (j < size_pages && (resident[j] & 1) == is_resident) ++j;
      uint8_t* start = base + i * page;
      uint64_t len = (j - i) * page;
      if (is_resident) {
        std::memset(start, 0, len);
      } else if (swap_configured() && madvise(start, len, MADV_DONTNEED) != 0) {
        return false;
      }
      i = j;
    }
    return true;
  }

  std::atomic<bool> enabled_{true};
  std::mutex mutex_;
  std::vector<Entry> entries_;
  uint64_t pooled_resident_ = 0;
};

}  // namespace

void set_memory_pooling(bool enabled) { ReservationPool::get().set_enabled(enabled); }

namespace {
std::atomic<bool> guarded_reservations{false};
}
void set_guarded_memories(bool enabled) { guarded_reservations.store(enabled); }
bool guarded_memories() { return guarded_reservations.load(std::memory_order_relaxed); }

uint64_t MemoryInst::grow(uint64_t delta_pages) {
  uint64_t old_pages = pages();
  if (delta_pages == 0) return old_pages;
  uint64_t max_pages = max_pages_of(type);
  if (delta_pages > max_pages || old_pages + delta_pages > max_pages) return kFailed;
  uint64_t delta_bytes = delta_pages * kPageSize;
  uint64_t new_bytes = size_bytes + delta_bytes;
  if (new_bytes > reserved_bytes) return kFailed;
  if (store != nullptr) {
    uint64_t cap = store->limits.max_memory_bytes;
    if (store->memory_bytes_in_use > cap || delta_bytes > cap - store->memory_bytes_in_use) {
      return kFailed;
    }
  }
  if (mprotect(base + size_bytes, delta_bytes, PROT_READ | PROT_WRITE) != 0) return kFailed;
  size_bytes = new_bytes;
  if (store != nullptr) store->memory_bytes_in_use += delta_bytes;
  return old_pages;
}

MemoryInst::~MemoryInst() {
  if (base != nullptr)
    ReservationPool::get().release(base, reserved_bytes, size_bytes, touched_bytes,
                                   std::move(image));
}

uint32_t TableInst::grow(uint32_t delta, uint64_t init) {
  constexpr uint32_t kTableFailed = std::numeric_limits<uint32_t>::max();
  uint64_t old_size = elements.size();
  if (delta == 0) return static_cast<uint32_t>(old_size);
  uint64_t max = type.limits.max.value_or(std::numeric_limits<uint32_t>::max());
  if (store != nullptr) max = std::min<uint64_t>(max, store->limits.max_table_elements);
  uint64_t new_size = old_size + delta;
  if (new_size > max || new_size >= kTableFailed) return kTableFailed;
  elements.resize(new_size, init);
  return static_cast<uint32_t>(old_size);
}

Result<MemoryInst*> new_memory(StoreImpl& store, const MemoryType& type, const MemoryImage* image) {
  uint64_t min_pages = type.limits.min;
  uint64_t max_pages = max_pages_of(type);
  if (min_pages > max_pages) return Error::limit("memory minimum exceeds its maximum");
  uint64_t initial_bytes = min_pages * kPageSize;
  uint64_t cap = store.limits.max_memory_bytes;
  if (store.memory_bytes_in_use > cap || initial_bytes > cap - store.memory_bytes_in_use) {
    return Error::limit("memory of " + std::to_string(min_pages) +
                        " pages exceeds the store's memory limit");
  }
  // Reserve at least one page so `base` is never null, even for a memory
  // whose maximum is zero.
  const uint64_t max_bytes = std::max<uint64_t>(max_pages * kPageSize, kPageSize);
  uint64_t reserve_bytes =
      guarded_memories() ? std::max(max_bytes, kGuardedReservationBytes) : max_bytes;
  uint8_t* base = nullptr;
  uint64_t touched = 0;
  std::shared_ptr<const MemoryImage> pooled_image;
  if (auto pooled = ReservationPool::get().acquire(reserve_bytes, initial_bytes, image)) {
    base = pooled->base;
    touched = pooled->touched;
    pooled_image = std::move(pooled->image);
  } else {
    auto reserve = [](uint64_t bytes) {
      return mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    };
    void* reserved = reserve(reserve_bytes);
    if (reserved == MAP_FAILED && reserve_bytes > max_bytes) {
      // No room for the guard region: a memory that needs explicit checks.
      static std::once_flag warned;
      std::call_once(warned, [] {
        std::fprintf(stderr,
                     "weft: warning: no address space for a memory's guard region; code "
                     "compiled for guarded memories runs interpreted on such memories\n");
      });
      reserve_bytes = max_bytes;
      reserved = reserve(reserve_bytes);
    }
    if (reserved == MAP_FAILED) return Error::limit("cannot reserve address space for a memory");
    if (initial_bytes > 0 && mprotect(reserved, initial_bytes, PROT_READ | PROT_WRITE) != 0) {
      munmap(reserved, reserve_bytes);
      return Error::limit("cannot commit memory");
    }
    base = static_cast<uint8_t*>(reserved);
  }
  MemoryInst& mem = store.memories.emplace_back();
  mem.base = base;
  mem.touched_bytes = touched;
  mem.image = std::move(pooled_image);
  mem.size_bytes = initial_bytes;
  mem.reserved_bytes = reserve_bytes;
  mem.type = type;
  mem.store = &store;
  store.memory_bytes_in_use += initial_bytes;
  return &mem;
}

Result<TableInst*> new_table(StoreImpl& store, const TableType& type, uint64_t init) {
  uint64_t min = type.limits.min;
  if (type.limits.max && min > *type.limits.max) {
    return Error::limit("table minimum exceeds its maximum");
  }
  if (min > store.limits.max_table_elements || min > wasm::kMaxTableSize) {
    return Error::limit("table of " + std::to_string(min) +
                        " elements exceeds the store's table limit");
  }
  TableInst& table = store.tables.emplace_back();
  table.type = type;
  table.store = &store;
  table.elements.assign(min, init);
  return &table;
}

GlobalInst* new_global(StoreImpl& store, const GlobalType& type, uint64_t bits) {
  GlobalInst& global = store.globals.emplace_back();
  global.type = type;
  global.bits = bits;
  global.store = &store;
  return &global;
}

FuncInst* new_host_func(StoreImpl& store, const FuncType& type, std::shared_ptr<HostFunc> fn) {
  auto [type_id, interned] = intern_func_type_ref(type);
  return new_host_func(store, type_id, interned, std::move(fn));
}

FuncInst* new_host_func(StoreImpl& store, uint32_t type_id, const FuncType* type,
                        std::shared_ptr<HostFunc> fn) {
  FuncInst& func = store.funcs.emplace_back();
  func.type_id = type_id;
  func.type = type;
  func.store = &store;
  func.host = std::move(fn);
  return &func;
}

}  // namespace weft::detail
