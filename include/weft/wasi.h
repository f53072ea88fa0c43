// weft — a sandboxed WASI preview1 host (`wasi_snapshot_preview1`).
//
// Usage by an embedder:
//   weft::wasi::Config config;
//   config.args = {"prog.wasm", "x"};
//   config.preopens.push_back({"/srv/data", "/data", /*read_only=*/true});
//   auto ctx = weft::wasi::Context::create(std::move(config));   // Result
//   weft::Linker linker;  weft::wasi::add_to_linker(linker);     // once, shared
//   weft::Store store;    store.set_user_data(ctx->get());       // per run
//   ... instantiate, call "_start"; Error::exit(code) carries proc_exit.
//
// Sandbox: the guest sees only its preopened directories. Every path is
// resolved beneath the directory fd it is relative to (openat2 with
// RESOLVE_BENEATH), so `..`, absolute paths and symlinks cannot escape.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "weft/result.h"
#include "weft/weft.h"

namespace weft::wasi {

struct Preopen {
  std::string host_path;   // a directory on the host
  std::string guest_path;  // the name the guest sees (fd_prestat_dir_name)
  bool read_only = false;  // the guest gets read-only rights beneath it
};

struct Config {
  std::vector<std::string> args;                         // argv, args[0] = program name
  std::vector<std::pair<std::string, std::string>> env;  // exactly what the guest sees
  std::vector<Preopen> preopens;                         // become fds 3, 4, ... in order

  enum class Stdio {
    Inherit,  // the host's own fd 0/1/2
    Buffer,   // stdin reads stdin_data; stdout/stderr are captured in memory
    Null,     // stdin is empty; output is discarded
  };
  Stdio stdin_mode = Stdio::Inherit;
  Stdio stdout_mode = Stdio::Inherit;
  Stdio stderr_mode = Stdio::Inherit;
  std::string stdin_data;               // input for stdin_mode == Buffer
  size_t max_output_bytes = 64u << 20;  // per captured stream; writes beyond fail (FBIG)
};

// A directory entry as fd_readdir reports it (cached per fd between calls).
struct DirEntry {
  std::string name;
  uint64_t inode = 0;
  uint8_t filetype = 0;  // __wasi_filetype_t
};

// One open descriptor in the guest's fd table. Internal, but visible so the
// tests can inspect it.
struct FdEntry {
  enum class Kind : uint8_t {
    HostFd,     // a real host descriptor (file or directory), owned
    HostStdio,  // inherited host fd 0/1/2, not owned
    BufferIn,   // stdin from Config::stdin_data
    BufferOut,  // captured stdout (stream 1) or stderr (stream 2)
    NullIn,     // empty stdin
    NullOut,    // discarded output
  };
  Kind kind = Kind::HostFd;
  int host_fd = -1;
  uint8_t filetype = 0;  // __wasi_filetype_t
  uint16_t fdflags = 0;  // __wasi_fdflags_t as last set by the guest
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  bool is_preopen = false;
  bool read_only = false;    // beneath a read-only preopen
  std::string preopen_name;  // guest path, for preopens
  int out_stream = 0;        // 1 or 2 for BufferOut
  // fd_readdir snapshot, taken when the guest reads from cookie 0.
  std::shared_ptr<std::vector<DirEntry>> dir_cache;
};

class Context {
 public:
  // Opens every preopen directory (O_PATH|O_DIRECTORY); a missing or
  // non-directory path is an Io error naming it.
  static Result<std::unique_ptr<Context>> create(Config config);

  explicit Context(Config config);  // no preopens opened; prefer create()
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Captured output (Buffer mode); each call returns what was written since
  // the last call and clears it.
  std::string take_stdout();
  std::string take_stderr();

  const Config& config() const { return config_; }

  // Blocking host calls (poll_oneoff sleeps) return early with INTR once
  // this flag is set; an embedder's timeout thread sets it together with
  // InterruptHandle::interrupt(). Safe to set from any thread.
  void interrupt() { interrupted_->store(true, std::memory_order_relaxed); }
  bool interrupted() const { return interrupted_->load(std::memory_order_relaxed); }
  std::shared_ptr<std::atomic<bool>> interrupt_flag() const { return interrupted_; }

  // --- for the host functions (wasi.cpp) ---
  FdEntry* get(uint32_t fd);
  // Inserts at the lowest free fd >= 3; returns the new fd.
  uint32_t insert(FdEntry entry);
  size_t open_fd_count() const;
  // The table holds at most 4096 descriptors; path_open then fails (MFILE).
  bool fd_table_full() const;
  // Closes and removes; false if fd is not open.
  bool close(uint32_t fd);
  // Moves `from` onto `to` (closing what was at `to`); false if either is not open.
  bool renumber(uint32_t from, uint32_t to);
  // Appends to a captured stream, honouring max_output_bytes. Returns the
  // number of bytes accepted (short on overflow).
  size_t append_output(int stream, const uint8_t* data, size_t len);
  // Reads from Buffer-mode stdin.
  size_t read_stdin(uint8_t* out, size_t len);
  size_t stdin_remaining() const { return stdin_data_.size() - stdin_pos_; }

 private:
  Config config_;
  std::map<uint32_t, FdEntry> fds_;
  std::string stdin_data_;
  size_t stdin_pos_ = 0;
  std::shared_ptr<std::atomic<bool>> interrupted_ = std::make_shared<std::atomic<bool>>(false);
  std::string stdout_buf_;
  std::string stderr_buf_;
};

// Registers every wasi_snapshot_preview1 function on the linker as a
// store-independent host function. Each finds its Context through
// `static_cast<wasi::Context*>(caller.store().user_data())`; a null user
// data makes the call trap with a HostError.
void add_to_linker(weft::Linker& linker);

// The errno values of wasi_snapshot_preview1 (a few used by embedders).
namespace errno_code {
inline constexpr uint16_t kSuccess = 0;
inline constexpr uint16_t kBadf = 8;
inline constexpr uint16_t kFault = 21;
inline constexpr uint16_t kInval = 28;
inline constexpr uint16_t kNosys = 52;
inline constexpr uint16_t kNotcapable = 76;
}  // namespace errno_code

}  // namespace weft::wasi
