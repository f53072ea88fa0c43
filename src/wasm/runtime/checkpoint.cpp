// Store::checkpoint / Store::restore: returning a store to the state it had
// right after instantiation, so that a server can run each request in what
// is, to the guest, a fresh instance without paying for a new one.
//
// Everything a guest can change is recorded: memory bytes and sizes, table
// elements and sizes, global values, dropped segments, exceptions thrown,
// fuel and the memory accounted. The objects themselves (functions,
// memories, tables, globals, tags, instances) must be the same set at
// restore; anything made since means the store is not recyclable.
//
// Memories are the expensive part. A memory's pages are either private
// (written, by instantiation or since) or still read as the mapping under
// them (the module's copy-on-write image, or zero pages). Only private
// pages can differ from that mapping, and a page private at the checkpoint
// stays private, so /proc/self/pagemap tells restore which pages to put
// back: pages private at the checkpoint from the bytes saved then, pages
// written since from the mapping under them (the image's bytes or zeros,
// by copy while few, else by MADV_DONTNEED). Without pagemap the whole
// memory is saved and copied back.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "wasm/binary/reader.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "weft/weft.h"

namespace weft::detail {
namespace {

// A memory larger than this at the checkpoint is not recorded (the store
// is then not recyclable): a restore reads a pagemap entry per page.
constexpr uint64_t kMaxCheckpointMemory = 256ull << 20;
// Without pagemap every byte is saved and copied back, so the cap is lower.
constexpr uint64_t kMaxCopiedMemory = 16ull << 20;
// Pages written since the checkpoint are put back by copy (they stay
// resident: the next request does not fault on them) up to this much per
// memory and restore, and dropped past it. (Which pages stay resident thus
// depends on what the last user touched, as with the reservation pool's
// reset of a memory for a new instance.)
constexpr uint64_t kMaxKeptBytes = 1ull << 20;

uint64_t host_page() {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// Reads the pagemap entries of `pages` host pages from `base` into `out`.
bool read_pagemap(int pagemap, const uint8_t* base, uint64_t pages, std::vector<uint64_t>& out) {
  out.resize(pages);
  const uint64_t first = reinterpret_cast<uintptr_t>(base) / host_page();
  uint64_t done = 0;
  while (done < pages) {
    const uint64_t want = (pages - done) * sizeof(uint64_t);
    ssize_t got = pread(pagemap, out.data() + done, want, static_cast<off_t>((first + done) * 8));
    if (got <= 0 || got % 8 != 0) return false;
    done += static_cast<uint64_t>(got) / 8;
  }
  return true;
}

}  // namespace

struct StoreImpl::Checkpoint {
  struct MemoryRecord {
    MemoryInst* mem = nullptr;
    uint64_t size_bytes = 0;
    // The mapping under the memory then: restore relies on it unchanged.
    uint8_t* base = nullptr;
    const MemoryImage* image = nullptr;
    bool selective = false;  // pagemap: only the pages private then are saved
    // selective: the host pages private at the checkpoint, ascending, and
    // their bytes, page after page; otherwise every byte of the memory.
    std::vector<uint32_t> private_pages;
    std::vector<uint8_t> bytes;
  };
  struct TableRecord {
    TableInst* table = nullptr;
    std::vector<uint64_t> elements;
  };
  struct InstanceRecord {
    InstanceImpl* instance = nullptr;
    std::vector<uint8_t> elem_dropped, data_dropped;
    std::vector<std::vector<uint64_t>> elem_values;
  };
  size_t funcs = 0, memories = 0, tables = 0, globals = 0, tags = 0, instances = 0;
  size_t exceptions = 0;
  uint64_t fuel = 0;
  bool fuel_enabled = false;
  uint64_t memory_bytes_in_use = 0;
  std::vector<MemoryRecord> memory_records;
  std::vector<TableRecord> table_records;
  std::vector<uint64_t> global_bits;  // one per store.globals entry
  std::vector<InstanceRecord> instance_records;
  std::vector<uint64_t> scratch;  // pagemap entries, reused by restore
};

namespace {

Result<void> record_memory(MemoryInst& mem, StoreImpl::Checkpoint::MemoryRecord& rec) {
  rec.mem = &mem;
  rec.size_bytes = mem.size_bytes;
  rec.base = mem.base;
  rec.image = mem.image.get();
  if (mem.size_bytes > kMaxCheckpointMemory) {
    return Error::limit("a memory of " + std::to_string(mem.size_bytes >> 20) +
                        " MiB is too large to checkpoint");
  }
  const uint64_t page = host_page();
  // The memory images' switch (for tests and the benchmark) covers this too.
  const int pagemap = memory_image_selective_reset() ? pagemap_for_reset() : -1;
  if (pagemap >= 0 && page != 0 && mem.size_bytes % page == 0) {
    std::vector<uint64_t> entries;
    if (read_pagemap(pagemap, mem.base, mem.size_bytes / page, entries)) {
      rec.selective = true;
      for (uint64_t i = 0; i < entries.size(); ++i) {
        if (!pagemap_entry_is_private(entries[i])) continue;
        rec.private_pages.push_back(static_cast<uint32_t>(i));
        rec.bytes.insert(rec.bytes.end(), mem.base + i * page, mem.base + (i + 1) * page);
      }
      return {};
    }
  }
  if (mem.size_bytes > kMaxCopiedMemory) {
    return Error::limit("a memory of " + std::to_string(mem.size_bytes >> 20) +
                        " MiB is too large to checkpoint without /proc/self/pagemap");
  }
  rec.bytes.assign(mem.base, mem.base + mem.size_bytes);
  return {};
}

// What `mem`'s page at `offset` reads as under its mapping: the image's
// bytes or zeros.
void copy_from_mapping(const MemoryInst& mem, uint64_t offset, uint64_t len) {
  const MemoryImage* image = mem.image.get();
  uint64_t from_image = 0;
  if (image != nullptr && image->contents != nullptr && offset < image->bytes) {
    from_image = std::min(len, image->bytes - offset);
    std::memcpy(mem.base + offset, image->contents + offset, from_image);
  }
  if (from_image < len) std::memset(mem.base + offset + from_image, 0, len - from_image);
}

bool restore_memory(StoreImpl::Checkpoint::MemoryRecord& rec, std::vector<uint64_t>& entries) {
  MemoryInst& mem = *rec.mem;
  const uint64_t page = host_page();
  if (mem.base != rec.base || mem.image.get() != rec.image) return false;
  // Grown since: the new pages go back to zero, unmapped, inaccessible.
  if (mem.size_bytes < rec.size_bytes) return false;  // memories never shrink
  if (mem.size_bytes > rec.size_bytes) {
    uint8_t* start = mem.base + rec.size_bytes;
    const uint64_t len = mem.size_bytes - rec.size_bytes;
    // The size shrinks only once the pages are zero and closed: on failure
    // the store is discarded, and the reservation pool then scrubs every
    // page below the size (it takes pages past it for zero).
    if (madvise(start, len, MADV_DONTNEED) != 0 || mprotect(start, len, PROT_NONE) != 0) {
      return false;
    }
    mem.touched_bytes = std::max(mem.touched_bytes, mem.size_bytes);
    mem.size_bytes = rec.size_bytes;
  }
  if (!rec.selective) {
    std::memcpy(mem.base, rec.bytes.data(), rec.size_bytes);
    return true;
  }
  const int pagemap = pagemap_for_reset();
  if (pagemap < 0 || !read_pagemap(pagemap, mem.base, rec.size_bytes / page, entries)) {
    return false;
  }
  size_t next_saved = 0;  // index into private_pages
  uint64_t kept = 0;
  for (uint64_t i = 0; i < entries.size(); ++i) {
    while (next_saved < rec.private_pages.size() && rec.private_pages[next_saved] < i) {
      ++next_saved;
    }
    const bool saved = next_saved < rec.private_pages.size() && rec.private_pages[next_saved] == i;
    if (saved) {
      // Private then, so private now: its bytes as they were.
      std::memcpy(mem.base + i * page, rec.bytes.data() + next_saved * page, page);
      continue;
    }
    if (!pagemap_entry_is_private(entries[i])) continue;  // reads as it did
    if (kept + page <= kMaxKeptBytes) {
      copy_from_mapping(mem, i * page, page);
      kept += page;
    } else if (madvise(mem.base + i * page, page, MADV_DONTNEED) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

}  // namespace weft::detail

namespace weft {

Result<void> Store::checkpoint() {
  detail::StoreImpl& s = *impl_;
  if (s.host_call_depth != 0) return Error::usage("checkpoint while code runs in the store");
  auto cp =
      std::unique_ptr<detail::StoreImpl::Checkpoint, void (*)(detail::StoreImpl::Checkpoint*)>(
          new detail::StoreImpl::Checkpoint, [](detail::StoreImpl::Checkpoint* p) { delete p; });
  cp->funcs = s.funcs.size();
  cp->memories = s.memories.size();
  cp->tables = s.tables.size();
  cp->globals = s.globals.size();
  cp->tags = s.tags.size();
  cp->instances = s.instances.size();
  cp->exceptions = s.exceptions.size();
  cp->fuel = s.fuel;
  cp->fuel_enabled = s.fuel_enabled;
  cp->memory_bytes_in_use = s.memory_bytes_in_use;
  cp->memory_records.resize(s.memories.size());
  size_t i = 0;
  for (detail::MemoryInst& mem : s.memories) {
    WEFT_CHECK(detail::record_memory(mem, cp->memory_records[i++]));
  }
  for (detail::TableInst& table : s.tables) cp->table_records.push_back({&table, table.elements});
  for (const detail::GlobalInst& global : s.globals) cp->global_bits.push_back(global.bits);
  for (detail::InstanceImpl& inst : s.instances) {
    cp->instance_records.push_back({&inst, inst.elem_dropped, inst.data_dropped, inst.elem_values});
  }
  s.checkpoint = std::move(cp);
  return {};
}

uint64_t Store::checkpoint_bytes() const {
  const detail::StoreImpl::Checkpoint* cp = impl_->checkpoint.get();
  if (cp == nullptr) return 0;
  uint64_t bytes = 0;
  for (const auto& rec : cp->memory_records) bytes += rec.bytes.size();
  for (const auto& rec : cp->table_records) bytes += rec.elements.size() * sizeof(uint64_t);
  return bytes;
}

uint64_t Store::host_calls() const { return impl_->host_calls; }

uint64_t Store::memory_in_use() const { return impl_->memory_bytes_in_use; }

bool Store::restore() {
  detail::StoreImpl& s = *impl_;
  detail::StoreImpl::Checkpoint* cp = s.checkpoint.get();
  if (cp == nullptr || s.host_call_depth != 0) return false;
  if (s.funcs.size() != cp->funcs || s.memories.size() != cp->memories ||
      s.tables.size() != cp->tables || s.globals.size() != cp->globals ||
      s.tags.size() != cp->tags || s.instances.size() != cp->instances ||
      s.exceptions.size() < cp->exceptions) {
    return false;
  }
  for (auto& rec : cp->memory_records) {
    if (!detail::restore_memory(rec, cp->scratch)) return false;
  }
  for (auto& rec : cp->table_records) rec.table->elements = rec.elements;
  size_t g = 0;
  for (detail::GlobalInst& global : s.globals) global.bits = cp->global_bits[g++];
  for (auto& rec : cp->instance_records) {
    // Only elem.drop changes a segment's values (it empties them).
    if (rec.instance->elem_dropped != rec.elem_dropped) {
      rec.instance->elem_dropped = rec.elem_dropped;
      rec.instance->elem_values = rec.elem_values;
    }
    if (rec.instance->data_dropped != rec.data_dropped) {
      rec.instance->data_dropped = rec.data_dropped;
    }
  }
  // Exceptions thrown since: nothing restored refers to them any more.
  while (s.exceptions.size() > cp->exceptions) s.exceptions.pop_back();
  s.fuel = cp->fuel;
  s.fuel_enabled = cp->fuel_enabled;
  s.memory_bytes_in_use = cp->memory_bytes_in_use;
  s.interrupt->store(false, std::memory_order_relaxed);
  return true;
}

}  // namespace weft
