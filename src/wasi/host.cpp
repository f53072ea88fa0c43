// wasi_snapshot_preview1 outside the file system (args, environ, clocks,
// poll, random, proc, sched, sockets) and the registration of every
// function on a Linker.
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "wasi/guest.h"

namespace weft::wasi {

using namespace abi;

namespace {

// ---------------------------------------------------------------- args/env

// Writes a NUL-terminated string list the way args_get/environ_get expect:
// pointers into `ptrs`, bytes into `buf`.
uint16_t write_string_list(Call& c, const std::vector<std::string>& items, uint32_t ptrs,
                           uint32_t buf) {
  uint64_t total = 0;
  for (const auto& s : items) total += s.size() + 1;
  uint8_t* ptr_area = c.mem.ptr(ptrs, static_cast<uint64_t>(items.size()) * 4);
  uint8_t* buf_area = c.mem.ptr(buf, total);
  if (!ptr_area || !buf_area) return kFault;
  uint64_t offset = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const uint32_t addr = static_cast<uint32_t>(buf + offset);
    std::memcpy(ptr_area + i * 4, &addr, 4);
    std::memcpy(buf_area + offset, items[i].data(), items[i].size());
    buf_area[offset + items[i].size()] = 0;
    offset += items[i].size() + 1;
  }
  return kSuccess;
}

uint16_t write_list_sizes(Call& c, const std::vector<std::string>& items, uint32_t count_ptr,
                          uint32_t size_ptr) {
  uint64_t total = 0;
  for (const auto& s : items) total += s.size() + 1;
  if (total > std::numeric_limits<uint32_t>::max()) return kOverflow;
  if (!c.mem.ptr(count_ptr, 4) || !c.mem.ptr(size_ptr, 4)) return kFault;
  c.mem.store<uint32_t>(count_ptr, static_cast<uint32_t>(items.size()));
  c.mem.store<uint32_t>(size_ptr, static_cast<uint32_t>(total));
  return kSuccess;
}

std::vector<std::string> environ_strings(const Context& ctx) {
  std::vector<std::string> out;
  out.reserve(ctx.config().env.size());
  for (const auto& [name, value] : ctx.config().env) out.push_back(name + "=" + value);
  return out;
}

uint16_t args_get(Call& c) { return write_string_list(c, c.ctx.config().args, c.u32(0), c.u32(1)); }
uint16_t args_sizes_get(Call& c) {
  return write_list_sizes(c, c.ctx.config().args, c.u32(0), c.u32(1));
}
uint16_t environ_get(Call& c) {
  return write_string_list(c, environ_strings(c.ctx), c.u32(0), c.u32(1));
}
uint16_t environ_sizes_get(Call& c) {
  return write_list_sizes(c, environ_strings(c.ctx), c.u32(0), c.u32(1));
}

// ---------------------------------------------------------------- clocks

bool host_clock(uint32_t id, clockid_t& out) {
  switch (id) {
    case kClockRealtime:
      out = CLOCK_REALTIME;
      return true;
    case kClockMonotonic:
      out = CLOCK_MONOTONIC;
      return true;
    case kClockProcessCputime:
      out = CLOCK_PROCESS_CPUTIME_ID;
      return true;
    case kClockThreadCputime:
      out = CLOCK_THREAD_CPUTIME_ID;
      return true;
    default:
      return false;
  }
}

uint64_t timespec_ns(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return timespec_ns(ts);
}

uint16_t clock_res_get(Call& c) {  // (id, resolution*)
  clockid_t clock;
  if (!host_clock(c.u32(0), clock)) return kInval;
  struct timespec ts;
  if (clock_getres(clock, &ts) != 0) return from_host_errno(errno);
  if (!c.mem.store<uint64_t>(c.u32(1), timespec_ns(ts))) return kFault;
  return kSuccess;
}

uint16_t clock_time_get(Call& c) {  // (id, precision u64, time*)
  clockid_t clock;
  if (!host_clock(c.u32(0), clock)) return kInval;
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return from_host_errno(errno);
  if (!c.mem.store<uint64_t>(c.u32(2), timespec_ns(ts))) return kFault;
  return kSuccess;
}

// ---------------------------------------------------------------- misc

uint16_t random_get(Call& c) {  // (buf*, len)
  const uint32_t len = c.u32(1);
  uint8_t* p = c.mem.ptr(c.u32(0), len);
  if (!p) return kFault;
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_host_errno(errno);
    }
    done += static_cast<size_t>(n);
  }
  return kSuccess;
}

uint16_t sched_yield_impl(Call&) {
  sched_yield();
  return kSuccess;
}

// Signals are not delivered to guests.
uint16_t proc_raise(Call&) { return kNosys; }

// No sockets are ever granted, so every open descriptor is not a socket
// (an inherited stdio socket is refused as unsupported).
uint16_t no_socket(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return kBadf;
  if (e->filetype == kFiletypeSocketStream || e->filetype == kFiletypeSocketDgram) {
    return kNotsup;
  }
  return kNotsock;
}

// ---------------------------------------------------------------- poll

struct PollEvent {
  uint64_t userdata = 0;
  uint16_t error = 0;
  uint8_t type = 0;
  uint64_t nbytes = 0;
  uint16_t flags = 0;
};

struct ClockSub {
  uint64_t userdata;
  uint64_t deadline;  // CLOCK_MONOTONIC ns
};

struct FdSub {
  uint64_t userdata;
  uint8_t type;
  size_t pollfd_index;
  int host_fd;
  uint8_t filetype;
};

uint64_t readable_bytes(int fd, uint8_t filetype) {
  if (filetype == kFiletypeRegularFile) {
    struct stat st;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &st) == 0 && pos >= 0 && st.st_size > pos) {
      return static_cast<uint64_t>(st.st_size - pos);
    }
    return 0;
  }
  int available = 0;
  if (ioctl(fd, FIONREAD, &available) == 0 && available > 0) {
    return static_cast<uint64_t>(available);
  }
  return 0;
}

// While waiting, check the context's interrupt flag this often so a timeout
// cannot be outlived by a guest sleeping in poll_oneoff.
constexpr uint64_t kPollSliceNs = 50'000'000;

}  // namespace

uint16_t poll_oneoff(Call& c) {  // (in*, out*, nsubscriptions, nevents*)
  const uint32_t in = c.u32(0), out = c.u32(1), count = c.u32(2), nevents_ptr = c.u32(3);
  if (count == 0) return kInval;
  const uint8_t* subs = c.mem.ptr(in, static_cast<uint64_t>(count) * kSubscriptionSize);
  uint8_t* events_out = c.mem.ptr(out, static_cast<uint64_t>(count) * kEventSize);
  if (!subs || !events_out || !c.mem.ptr(nevents_ptr, 4)) return kFault;

  std::vector<PollEvent> ready;  // events known without waiting
  std::vector<ClockSub> clocks;
  std::vector<FdSub> fd_subs;
  std::vector<struct pollfd> pollfds;
  const uint64_t start = now_ns(CLOCK_MONOTONIC);

  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* s = subs + static_cast<uint64_t>(i) * kSubscriptionSize;
    uint64_t userdata;
    std::memcpy(&userdata, s, 8);
    const uint8_t tag = s[8];
    if (tag == kEventClock) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, s + 16, 4);
      std::memcpy(&timeout, s + 24, 8);
      std::memcpy(&flags, s + 40, 2);
      clockid_t clock;
      if (!host_clock(id, clock) || (flags & ~kSubclockAbstime)) {
        ready.push_back({userdata, kInval, kEventClock, 0, 0});
        continue;
      }
      uint64_t remaining = timeout;
      if (flags & kSubclockAbstime) {
        const uint64_t now = now_ns(clock);
        remaining = timeout > now ? timeout - now : 0;
      }
      const uint64_t deadline = remaining > std::numeric_limits<uint64_t>::max() - start
                                    ? std::numeric_limits<uint64_t>::max()
                                    : start + remaining;
      clocks.push_back({userdata, deadline});
    } else if (tag == kEventFdRead || tag == kEventFdWrite) {
      uint32_t fd;
      std::memcpy(&fd, s + 16, 4);
      FdEntry* e = c.ctx.get(fd);
      if (!e) {
        ready.push_back({userdata, kBadf, tag, 0, 0});
        continue;
      }
      if (!(e->rights_base & kRightPollFdReadwrite)) {
        ready.push_back({userdata, kNotcapable, tag, 0, 0});
        continue;
      }
      switch (e->kind) {
        case FdEntry::Kind::BufferIn:
          ready.push_back({userdata, 0, tag, tag == kEventFdRead ? c.ctx.stdin_remaining() : 0,
                           static_cast<uint16_t>(tag == kEventFdRead && c.ctx.stdin_remaining() == 0
                                                     ? kEventrwHangup
                                                     : 0)});
          continue;
        case FdEntry::Kind::NullIn:
        case FdEntry::Kind::BufferOut:
        case FdEntry::Kind::NullOut:
          ready.push_back({userdata, 0, tag, 0, 0});
          continue;
        case FdEntry::Kind::HostFd:
        case FdEntry::Kind::HostStdio:
          break;
      }
      // Files and directories are always ready, as poll(2) reports them.
      fd_subs.push_back({userdata, tag, pollfds.size(), e->host_fd, e->filetype});
      pollfds.push_back(
          {e->host_fd, static_cast<short>(tag == kEventFdRead ? POLLIN : POLLOUT), 0});
    } else {
      return kInval;
    }
  }

  uint64_t earliest = std::numeric_limits<uint64_t>::max();
  for (const auto& clock : clocks) earliest = std::min(earliest, clock.deadline);

  while (true) {
    const uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint64_t wait_ns = 0;
    if (ready.empty()) {
      wait_ns = earliest == std::numeric_limits<uint64_t>::max()
                    ? kPollSliceNs
                    : (earliest > now ? earliest - now : 0);
      wait_ns = std::min(wait_ns, kPollSliceNs);
    }
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(wait_ns / 1'000'000'000ull);
    ts.tv_nsec = static_cast<long>(wait_ns % 1'000'000'000ull);
    if (!pollfds.empty() || wait_ns > 0) {
      for (auto& p : pollfds) p.revents = 0;
      int n = ppoll(pollfds.empty() ? nullptr : pollfds.data(), pollfds.size(), &ts, nullptr);
      if (n < 0 && errno != EINTR) return from_host_errno(errno);
    }
    for (const auto& sub : fd_subs) {
      const short revents = pollfds[sub.pollfd_index].revents;
      if (revents == 0) continue;
      PollEvent ev{sub.userdata, 0, sub.type, 0, 0};
      if (revents & POLLNVAL) {
        ev.error = kBadf;
      } else {
        if (revents & POLLHUP) ev.flags |= kEventrwHangup;
        if (sub.type == kEventFdRead) ev.nbytes = readable_bytes(sub.host_fd, sub.filetype);
      }
      ready.push_back(ev);
    }
    const uint64_t after = now_ns(CLOCK_MONOTONIC);
    for (const auto& clock : clocks) {
      if (clock.deadline <= after) ready.push_back({clock.userdata, 0, kEventClock, 0, 0});
    }
    if (!ready.empty()) break;
    if (c.ctx.interrupted()) return kIntr;
  }

  const size_t n = std::min<size_t>(ready.size(), count);
  for (size_t i = 0; i < n; ++i) {
    uint8_t* e = events_out + i * kEventSize;
    std::memset(e, 0, kEventSize);
    std::memcpy(e + 0, &ready[i].userdata, 8);
    std::memcpy(e + 8, &ready[i].error, 2);
    e[10] = ready[i].type;
    std::memcpy(e + 16, &ready[i].nbytes, 8);
    std::memcpy(e + 24, &ready[i].flags, 2);
  }
  c.mem.store<uint32_t>(nevents_ptr, static_cast<uint32_t>(n));
  return kSuccess;
}

// ---------------------------------------------------------------- linker

namespace {

constexpr ValType I32 = ValType::I32;
constexpr ValType I64 = ValType::I64;

struct Entry {
  const char* name;
  std::vector<ValType> params;
  HostImpl impl;
};

HostFunc wrap(HostImpl impl) {
  return [impl](Caller& caller, std::span<const Value> args,
                std::span<Value> results) -> Result<void> {
    auto* ctx = static_cast<Context*>(caller.store().user_data());
    if (!ctx) return Error::make_trap(TrapKind::HostError, "wasi: the store has no WASI context");
    Call call{*ctx, GuestMemory(caller.memory()), args};
    results[0] = Value::i32(impl(call));
    return {};
  };
}

}  // namespace

void add_to_linker(weft::Linker& linker) {
  const std::vector<Entry> entries = {
      {"args_get", {I32, I32}, args_get},
      {"args_sizes_get", {I32, I32}, args_sizes_get},
      {"environ_get", {I32, I32}, environ_get},
      {"environ_sizes_get", {I32, I32}, environ_sizes_get},
      {"clock_res_get", {I32, I32}, clock_res_get},
      {"clock_time_get", {I32, I64, I32}, clock_time_get},
      {"fd_advise", {I32, I64, I64, I32}, fd_advise},
      {"fd_allocate", {I32, I64, I64}, fd_allocate},
      {"fd_close", {I32}, fd_close},
      {"fd_datasync", {I32}, fd_datasync},
      {"fd_fdstat_get", {I32, I32}, fd_fdstat_get},
      {"fd_fdstat_set_flags", {I32, I32}, fd_fdstat_set_flags},
      {"fd_fdstat_set_rights", {I32, I64, I64}, fd_fdstat_set_rights},
      {"fd_filestat_get", {I32, I32}, fd_filestat_get},
      {"fd_filestat_set_size", {I32, I64}, fd_filestat_set_size},
      {"fd_filestat_set_times", {I32, I64, I64, I32}, fd_filestat_set_times},
      {"fd_pread", {I32, I32, I32, I64, I32}, fd_pread},
      {"fd_prestat_get", {I32, I32}, fd_prestat_get},
      {"fd_prestat_dir_name", {I32, I32, I32}, fd_prestat_dir_name},
      {"fd_pwrite", {I32, I32, I32, I64, I32}, fd_pwrite},
      {"fd_read", {I32, I32, I32, I32}, fd_read},
      {"fd_readdir", {I32, I32, I32, I64, I32}, fd_readdir},
      {"fd_renumber", {I32, I32}, fd_renumber},
      {"fd_seek", {I32, I64, I32, I32}, fd_seek},
      {"fd_sync", {I32}, fd_sync},
      {"fd_tell", {I32, I32}, fd_tell},
      {"fd_write", {I32, I32, I32, I32}, fd_write},
      {"path_create_directory", {I32, I32, I32}, path_create_directory},
      {"path_filestat_get", {I32, I32, I32, I32, I32}, path_filestat_get},
      {"path_filestat_set_times", {I32, I32, I32, I32, I64, I64, I32}, path_filestat_set_times},
      {"path_link", {I32, I32, I32, I32, I32, I32, I32}, path_link},
      {"path_open", {I32, I32, I32, I32, I32, I64, I64, I32, I32}, path_open},
      {"path_readlink", {I32, I32, I32, I32, I32, I32}, path_readlink},
      {"path_remove_directory", {I32, I32, I32}, path_remove_directory},
      {"path_rename", {I32, I32, I32, I32, I32, I32}, path_rename},
      {"path_symlink", {I32, I32, I32, I32, I32}, path_symlink},
      {"path_unlink_file", {I32, I32, I32}, path_unlink_file},
      {"poll_oneoff", {I32, I32, I32, I32}, poll_oneoff},
      {"proc_raise", {I32}, proc_raise},
      {"random_get", {I32, I32}, random_get},
      {"sched_yield", {}, sched_yield_impl},
      {"sock_accept", {I32, I32, I32}, no_socket},
      {"sock_recv", {I32, I32, I32, I32, I32, I32}, no_socket},
      {"sock_send", {I32, I32, I32, I32, I32}, no_socket},
      {"sock_shutdown", {I32, I32}, no_socket},
  };
  for (const Entry& e : entries) {
    linker.func("wasi_snapshot_preview1", e.name, FuncType{e.params, {I32}}, wrap(e.impl));
  }
  linker.func("wasi_snapshot_preview1", "proc_exit", FuncType{{I32}, {}},
              [](Caller&, std::span<const Value> args, std::span<Value>) -> Result<void> {
                return Error::exit(args[0].as_i32());
              });
}

}  // namespace weft::wasi
