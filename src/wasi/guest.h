// Internal to src/wasi: bounds-checked guest memory access and the calling
// convention of the host function implementations.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "wasi/abi.h"
#include "weft/wasi.h"
#include "weft/weft.h"

namespace weft::wasi {

// Every access is checked against the memory's current size; wasm memory is
// little-endian and unaligned, like the host (x86-64/aarch64), so values
// are copied with memcpy.
class GuestMemory {
 public:
  explicit GuestMemory(std::optional<Memory> memory) : memory_(memory) {}

  // A host pointer to [addr, addr+len), or nullptr if any byte is outside
  // the memory (or there is no memory). len 0 is valid for addr <= size.
  uint8_t* ptr(uint64_t addr, uint64_t len) const {
    if (!memory_) return nullptr;
    auto view = memory_->slice(addr, len);
    if (!view) return nullptr;
    static uint8_t empty_byte;
    return len == 0 ? &empty_byte : view->data();
  }
  uint64_t size() const { return memory_ ? memory_->size_bytes() : 0; }

  template <class T>
  bool load(uint64_t addr, T& out) const {
    const uint8_t* p = ptr(addr, sizeof(T));
    if (!p) return false;
    std::memcpy(&out, p, sizeof(T));
    return true;
  }
  template <class T>
  bool store(uint64_t addr, T value) const {
    uint8_t* p = ptr(addr, sizeof(T));
    if (!p) return false;
    std::memcpy(p, &value, sizeof(T));
    return true;
  }

 private:
  std::optional<Memory> memory_;
};

struct Call {
  Context& ctx;
  GuestMemory mem;
  std::span<const Value> args;

  uint32_t u32(size_t i) const { return args[i].as_u32(); }
  uint64_t u64(size_t i) const { return args[i].bits; }
};

using HostImpl = uint16_t (*)(Call& call);

// fs_host.cpp
uint16_t fd_advise(Call& c);
uint16_t fd_allocate(Call& c);
uint16_t fd_close(Call& c);
uint16_t fd_datasync(Call& c);
uint16_t fd_fdstat_get(Call& c);
uint16_t fd_fdstat_set_flags(Call& c);
uint16_t fd_fdstat_set_rights(Call& c);
uint16_t fd_filestat_get(Call& c);
uint16_t fd_filestat_set_size(Call& c);
uint16_t fd_filestat_set_times(Call& c);
uint16_t fd_pread(Call& c);
uint16_t fd_prestat_get(Call& c);
uint16_t fd_prestat_dir_name(Call& c);
uint16_t fd_pwrite(Call& c);
uint16_t fd_read(Call& c);
uint16_t fd_readdir(Call& c);
uint16_t fd_renumber(Call& c);
uint16_t fd_seek(Call& c);
uint16_t fd_sync(Call& c);
uint16_t fd_tell(Call& c);
uint16_t fd_write(Call& c);
uint16_t path_create_directory(Call& c);
uint16_t path_filestat_get(Call& c);
uint16_t path_filestat_set_times(Call& c);
uint16_t path_link(Call& c);
uint16_t path_open(Call& c);
uint16_t path_readlink(Call& c);
uint16_t path_remove_directory(Call& c);
uint16_t path_rename(Call& c);
uint16_t path_symlink(Call& c);
uint16_t path_unlink_file(Call& c);

// host.cpp (poll_oneoff needs the fd helpers below)
uint16_t poll_oneoff(Call& c);

// Shared fd helpers (fs_host.cpp).
// The entry for fd if it holds all of `rights`: BADF if not open,
// NOTCAPABLE if a right is missing.
uint16_t lookup_fd(Call& c, uint32_t fd, uint64_t rights, FdEntry*& out);
uint8_t filetype_of_mode(uint32_t mode);

}  // namespace weft::wasi
