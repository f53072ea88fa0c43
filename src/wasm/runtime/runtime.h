// Runtime-internal helpers shared by the runtime's own .cpp files: creating
// store-owned objects. Not part of the layout contract in objects.h.
#pragma once

#include <memory>

#include "wasm/runtime/objects.h"
#include "weft/result.h"

namespace weft::detail {

// Reserves the memory's whole possible range and commits `type.limits.min`
// pages. Fails with ErrorKind::Limit over the store's memory cap.
// `image`: the memory will be initialised from this image, so a pooled range
// that already maps it (pristine) is preferred; the returned memory then has
// `image` set and holds the image's contents.
Result<MemoryInst*> new_memory(StoreImpl& store, const MemoryType& type,
                               const MemoryImage* image = nullptr);
// A table of `type.limits.min` elements, each `init`. Fails with
// ErrorKind::Limit over the store's per-table element cap.
Result<TableInst*> new_table(StoreImpl& store, const TableType& type, uint64_t init);
GlobalInst* new_global(StoreImpl& store, const GlobalType& type, uint64_t bits);
FuncInst* new_host_func(StoreImpl& store, const FuncType& type, std::shared_ptr<HostFunc> fn);

// The first bytes of a .cwasm (weft compile's file): the engine recognizes
// one (is_precompiled_module), the optimizing tier writes and reads it.
inline constexpr char kPrecompiledMagic[8] = {'W', 'E', 'F', 'T', 'C', 'W', 'S', 'M'};

// Process-wide: whether destroyed memories' reservations are scrubbed and
// reused (default on). Turning it off unmaps the pooled ones.
void set_memory_pooling(bool enabled);
// Process-wide: whether new memories get a guarded reservation
// (kGuardedReservationBytes) rather than one of their maximum size. The
// optimizing tier turns it on when it can turn faults into traps. A memory
// whose guarded reservation cannot be had (address space exhausted) gets
// the smaller one; code compiled for guarded memories does not run on it.
void set_guarded_memories(bool enabled);
bool guarded_memories();
// Same, for a type already interned (`type` == &interned_func_type(type_id)).
FuncInst* new_host_func(StoreImpl& store, uint32_t type_id, const FuncType* type,
                        std::shared_ptr<HostFunc> fn);

}  // namespace weft::detail

namespace weft::detail {

// A module's initial memory contents in a sealed memfd, mapped MAP_PRIVATE
// over the start of each instance's memory instead of copying the data
// segments: pages the guest only reads are shared with the page cache, a
// write copies one page. Immutable once built; shared across threads.
struct MemoryImage {
  int fd = -1;         // sealed: no writes, no resizing
  uint64_t bytes = 0;  // mapped length: host-page multiple <= the initial size
  // A shared read-only view of the file, the source for restoring pages a
  // guest wrote when its range goes back to the pool.
  const uint8_t* contents = nullptr;
  MemoryImage() = default;
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;
  ~MemoryImage();
};

// The image of `mod`'s memory 0 after its active data segments, or null when
// they must be copied at instantiation instead: an imported or no memory,
// more than one memory, an offset that is not constant (global.get), a
// segment out of bounds of the initial size (it traps, in order), fewer
// bytes than memory_image_min_bytes(), or no memfd support.
std::shared_ptr<const MemoryImage> build_memory_image(const ModuleImpl& mod);

// Makes `mem` (a freshly allocated memory of the image's module) hold the
// image. True when mapped (or already there); false when mapping failed but
// the memory is intact and zero (the caller copies the segments instead).
Result<bool> map_memory_image(MemoryInst& mem, const std::shared_ptr<const MemoryImage>& image);

// Zeroes the image part of a memory whose instantiation failed before its
// data segments were due (the spec says they were never written).
void discard_memory_image(MemoryInst& mem);

// Copy-on-write memory images (memory_image.cpp). A module whose active data
// segments copy at least this many bytes gets an image at compile time;
// smaller ones are cheaper to copy. Process-wide, read by Module::compile
// (tests lower it to 0 to force images; UINT64_MAX turns them off).
// The environment variable WEFT_MEMORY_IMAGE_MIN_BYTES overrides the default.
inline constexpr uint64_t kDefaultMemoryImageMinBytes = 32 * 1024;
void set_memory_image_min_bytes(uint64_t bytes);
uint64_t memory_image_min_bytes();
// How a pooled range's image part is reset (default on): restore only the
// pages the guest wrote, found in /proc/self/pagemap, and keep every page
// mapped; off: MADV_DONTNEED the whole image part (every page faults again
// in the next instance). For the benchmark and tests.
void set_memory_image_selective_reset(bool on);
bool memory_image_selective_reset();
// /proc/self/pagemap, opened once, or -1 if it cannot tell a private mapping's
// written pages from the pages it only read (then resets drop every page).
int pagemap_for_reset();
// Whether a /proc/self/pagemap entry is a page the process wrote (present
// and not file-backed, or swapped out): the only pages of a private
// mapping that may differ from what lies under it.
inline bool pagemap_entry_is_private(uint64_t entry) {
  constexpr uint64_t kPresent = 1ull << 63, kSwapped = 1ull << 62, kFile = 1ull << 61;
  return (entry & kSwapped) != 0 || ((entry & kPresent) != 0 && (entry & kFile) == 0);
}

}  // namespace weft::detail
