// Internal to src/wasi/p2: the host objects behind WASI 0.2 resources, the
// table from rep to object, and the helpers every interface uses to read
// arguments and build results.
//
// Reps: one counter per state hands out reps for every resource type, and
// a rep is not reused while its object lives, so a rep of one type never
// names an object of another: an unknown or wrong-typed rep traps.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "wasi/sandbox.h"
#include "weft/byte_channel.h"
#include "weft/component.h"
#include "weft/wasi.h"
#include "weft/wasi_p2.h"

namespace weft::wasi::p2 {

using component::Val;
using component::ValKind;
// What an implementation returns: a result value, nothing (std::nullopt),
// or an Error (a trap, or Error::exit). A Val converts directly.
struct HostResult : Result<std::optional<Val>> {
  using Base = Result<std::optional<Val>>;
  using Base::Base;
  HostResult(Val v) : Base(std::optional<Val>(std::move(v))) {}  // NOLINT
  HostResult(Base b) : Base(std::move(b)) {}                     // NOLINT
};

// The most one read (a stream's or a descriptor's) returns; reads may be
// short, and a list<u8> result costs a Val per byte until it is lowered.
inline constexpr size_t kMaxReadBytes = 64 * 1024;

// wasi:filesystem/types error-code, in WIT order (the discriminant).
enum class ErrorCode : uint32_t {
  Access,
  WouldBlock,
  Already,
  BadDescriptor,
  Busy,
  Deadlock,
  Quota,
  Exist,
  FileTooLarge,
  IllegalByteSequence,
  InProgress,
  Interrupted,
  Invalid,
  Io,
  IsDirectory,
  Loop,
  TooManyLinks,
  MessageSize,
  NameTooLong,
  NoDevice,
  NoEntry,
  NoLock,
  InsufficientMemory,
  InsufficientSpace,
  NotDirectory,
  NotEmpty,
  NotRecoverable,
  Unsupported,
  NoTty,
  NoSuchDevice,
  Overflow,
  NotPermitted,
  Pipe,
  ReadOnly,
  InvalidSeek,
  TextFileBusy,
  CrossDevice,
};
const char* label(ErrorCode code);
// A failed syscall's errno (EXDEV is cross-device here).
ErrorCode code_of_errno(int host_errno);
// A failed path resolution's errno: EXDEV means the path left the
// directory, which WASI calls not-permitted.
ErrorCode code_of_resolve(int host_errno);

// ---- host objects ---------------------------------------------------------

// A host fd shared by a descriptor and the streams made from it, so a
// stream outlives a dropped descriptor as the WIT allows.
struct HostFile {
  sandbox::UniqueFd fd;
};

struct ErrorObj {
  std::string message;
  std::optional<ErrorCode> fs_code;  // what filesystem-error-code reports
  std::any detail = {};              // what another interface reports (wasi:http's error-code)
};

struct Pollable {
  // Custom: readiness another interface decides (a body channel, a pending
  // HTTP response); whoever makes it ready wakes the state's guest waker.
  enum class Kind : uint8_t { Ready, Timer, FdReadable, Custom };
  Kind kind = Kind::Ready;
  uint64_t deadline_ns = 0;     // Timer: CLOCK_MONOTONIC
  int fd = -1;                  // FdReadable: not owned (the host's fd 0)
  std::function<bool()> ready;  // Custom
};

// A stream over a ByteChannel (an HTTP body) is a child of another
// resource; `guard` is what that resource wants to happen when the stream
// goes (its destructor runs when the stream is dropped).
struct InputStream {
  enum class Kind : uint8_t { Stdin, File, Channel };
  Kind kind = Kind::Stdin;
  std::shared_ptr<HostFile> file;
  uint64_t position = 0;
  bool closed = false;
  std::shared_ptr<ByteChannel> channel;  // Channel: the guest reads
  std::shared_ptr<void> guard;
};

struct OutputStream {
  enum class Kind : uint8_t { Stdout, Stderr, File, Append, Channel };
  Kind kind = Kind::Stdout;
  std::shared_ptr<HostFile> file;
  uint64_t position = 0;
  uint64_t permit = 0;  // what the last check-write allowed and write has not used
  bool closed = false;
  std::shared_ptr<ByteChannel> channel;  // Channel: the guest writes
  uint64_t limit = UINT64_MAX;           // Channel: a declared content-length
  // Channel: what a write past `limit` reports through ErrorObj::detail.
  std::any limit_error;
  std::shared_ptr<void> guard;
};

// descriptor-type, in WIT order.
enum class DescriptorType : uint32_t {
  Unknown,
  BlockDevice,
  CharacterDevice,
  Directory,
  Fifo,
  SymbolicLink,
  RegularFile,
  Socket,
};
DescriptorType descriptor_type_of_mode(uint32_t mode);

struct Descriptor {
  std::shared_ptr<HostFile> file;
  DescriptorType type = DescriptorType::Unknown;
  bool is_dir = false;
  // The descriptor-flags it was opened with (get-flags reports them).
  bool read = false;
  bool write = false;
  bool mutate_directory = false;
  uint8_t sync_flags = 0;  // bit 0 file-integrity, 1 data-integrity, 2 requested-write
  // The grant: false beneath a read-only preopen. Every write and mutation
  // needs it (not-permitted otherwise), as wasmtime's FilePerms/DirPerms.
  bool writable_grant = false;
};

struct DirEntryP2 {
  DescriptorType type = DescriptorType::Unknown;
  std::string name;
  bool bad_name = false;  // not UTF-8: read-directory-entry fails there
};

struct DirStream {
  std::vector<DirEntryP2> entries;
  size_t next = 0;
};

struct Network {};
struct TerminalInput {};
struct TerminalOutput {};

// An object of an interface outside wasi/p2 (wasi:http's fields, requests,
// bodies), kept in the same table so that reps stay unique across every
// resource type. `tag` tells the types apart (one static per type).
struct Extension {
  std::shared_ptr<void> object;
  const void* tag = nullptr;
};

using Object = std::variant<ErrorObj, Pollable, InputStream, OutputStream, Descriptor, DirStream,
                            Network, TerminalInput, TerminalOutput, Extension>;

class ResourceTable {
 public:
  // Past this many live objects a new one traps (like wasmtime's full
  // ResourceTable), so a guest leaking handles in a loop is stopped.
  static constexpr size_t kMaxObjects = 1u << 16;

  // The new rep, or a trap when the table is full.
  Result<uint32_t> push(Object object);
  template <class T>
  T* get(uint32_t rep) {
    auto it = objects_.find(rep);
    if (it == objects_.end()) return nullptr;
    return std::get_if<T>(&it->second);
  }
  // Removes the object if `rep` holds a T; false otherwise.
  template <class T>
  bool remove(uint32_t rep) {
    auto it = objects_.find(rep);
    if (it == objects_.end() || !std::holds_alternative<T>(it->second)) return false;
    objects_.erase(it);
    return true;
  }
  size_t size() const { return objects_.size(); }
  size_t count_descriptors() const;

 private:
  std::unordered_map<uint32_t, Object> objects_;
  uint32_t next_ = 1;
};

// Wakes a guest blocked in poll: an eventfd the poll waits on beside its
// fds. Shared with the channels whose guest side this state holds, so a
// wake after the state is gone writes to a live fd.
// Wakes a guest blocked in poll. The eventfd is made when poll first needs
// it: most requests never block, and an eventfd per request was three
// syscalls (create, wake, close) on its path. A wake before then is kept
// and written to the new fd.
class EventFdWaker : public Waker {
 public:
  void wake() override;
  void drain();
  int fd();  // -1 when no eventfd can be had

 private:
  std::mutex mutex_;
  bool signaled_ = false;
  sandbox::UniqueFd fd_;
};

struct HostState {
  std::unique_ptr<Context> ctx;
  ResourceTable table;
  uint64_t insecure_state = 0;  // splitmix64 state for wasi:random/insecure
  uint64_t seed_lo = 0, seed_hi = 0;
  std::shared_ptr<EventFdWaker> waker;  // made on first use
  // Runs before the guest blocks (poll, a blocking read or write): whoever
  // holds output back for batching (an HTTP response head) lets it go.
  std::function<void()> before_block;

  const std::shared_ptr<EventFdWaker>& guest_waker();
  bool interrupted() const { return ctx->interrupted(); }
};

Result<Val> push_own(HostState& host, Object object);

// Streams over body channels, for the interfaces that own the bodies:
// the guest side's waker is set to the state's.
Result<Val> push_channel_input(HostState& host, std::shared_ptr<ByteChannel> channel,
                               std::shared_ptr<void> guard);
Result<Val> push_channel_output(HostState& host, std::shared_ptr<ByteChannel> channel,
                                uint64_t limit, std::any limit_error, std::shared_ptr<void> guard);

// Typed access to Extension objects.
template <class T>
const void* extension_tag() {
  static const char tag = 0;
  return &tag;
}
template <class T>
Result<Val> push_extension(HostState& host, std::shared_ptr<T> object) {
  return push_own(host, Extension{std::move(object), extension_tag<T>()});
}
template <class T>
T* get_extension(HostState& host, uint32_t rep) {
  Extension* e = host.table.get<Extension>(rep);
  if (!e || e->tag != extension_tag<T>()) return nullptr;
  return static_cast<T*>(e->object.get());
}
template <class T>
std::shared_ptr<T> take_extension(HostState& host, uint32_t rep) {
  Extension* e = host.table.get<Extension>(rep);
  if (!e || e->tag != extension_tag<T>()) return nullptr;
  auto object = std::static_pointer_cast<T>(e->object);
  host.table.remove<Extension>(rep);
  return object;
}

// ---- definitions ----------------------------------------------------------

// What add_wasi_p2 puts on a ComponentLinker, collected first so the tests
// can call the host functions without a linker.
struct Definitions {
  struct Func {
    std::string interface_name;
    std::string name;
    component::HostFunction fn;
  };
  struct Resource {
    std::string interface_name;
    std::string name;
    component::ComponentLinker::ResourceDrop drop;
  };
  std::vector<Func> funcs;
  std::vector<Resource> resources;

  using Impl = std::function<HostResult(HostState& host, std::vector<Val>& args)>;
  // Defines `name` of `interface_name` (unversioned: "wasi:io/streams").
  // The wrapper checks the argument count and each argument's kind before
  // `impl` runs, and traps naming the function otherwise: host functions
  // are untyped, so a guest importing one at a wrong type must not reach
  // the implementation.
  void func(const std::string& interface_name, std::string name, std::vector<ValKind> params,
            Impl impl);
  // A resource whose drop removes a T from the table.
  template <class T>
  void resource(const std::string& interface_name, std::string name);
  // A resource whose objects are Extensions holding a T (an interface
  // outside wasi/p2); the drop removes only an Extension of that T.
  // `interface_name` is taken as given (with its version).
  template <class T>
  void extension_resource(std::string interface_name, std::string name);

  // Whose host state a call uses: `state` when set (one state, one
  // instance), else `lookup(store)` of the calling store (a linker shared by
  // many stores, each with its own state). A null lookup result traps.
  std::shared_ptr<P2State> state;
  std::function<P2State*(Store&)> lookup;

  P2State* state_for(Store& store) const { return state ? state.get() : lookup(store); }
};

std::string versioned(const std::string& interface_name);  // + "@" kWasiP2Version
// The argument count and kinds a host function expects, or a trap naming
// the function (host functions are untyped).
Result<void> check_args(const component::HostCall& call, const std::vector<Val>& args,
                        const std::vector<ValKind>& params);

template <class T>
void Definitions::resource(const std::string& interface_name, std::string name) {
  std::weak_ptr<P2State> weak = state;
  auto find = lookup;
  resources.push_back(
      {versioned(interface_name), std::move(name), [weak, find](Store& store, uint32_t rep) {
         // A drop after the state is gone, or of a rep that is
         // not a T, has nothing to release.
         if (auto s = weak.lock()) {
           s->host().table.remove<T>(rep);
         } else if (find) {
           if (P2State* st = find(store)) st->host().table.remove<T>(rep);
         }
       }});
}

template <class T>
void Definitions::extension_resource(std::string interface_name, std::string name) {
  std::weak_ptr<P2State> weak = state;
  auto find = lookup;
  resources.push_back(
      {std::move(interface_name), std::move(name), [weak, find](Store& store, uint32_t rep) {
         P2State* st = nullptr;
         auto locked = weak.lock();
         if (locked)
           st = locked.get();
         else if (find)
           st = find(store);
         if (!st) return;
         // Moved out first: the object's destructor may touch the table.
         std::shared_ptr<T> object = take_extension<T>(st->host(), rep);
         object.reset();
       }});
}

void define_cli(Definitions& defs);
void define_io(Definitions& defs);  // error, poll, streams
void define_clocks_random(Definitions& defs);
void define_filesystem(Definitions& defs);
void define_sockets(Definitions& defs);
void define_all(const std::shared_ptr<P2State>& state, Definitions& defs);
// The same, for a per-store state found by `lookup`.
void define_all(std::function<P2State*(Store&)> lookup, Definitions& defs);

// ---- values -----------------------------------------------------------------

Error trap(std::string message);
Val own(uint32_t rep);
Val unit_ok();
Val enum_val(std::string label, uint32_t discriminant);
Val error_code_val(ErrorCode code);
Val err_code(ErrorCode code);  // result err(error-code)
Val bytes_val(const uint8_t* data, size_t len);
Val string_list(const std::vector<std::string>& items);
// A list<u8> argument as bytes; a trap if an element is not a u8.
Result<std::string> bytes_arg(const Val& list);
bool has_flag(const Val& flags, std::string_view label);
// The case of a variant/enum value among `labels` (by discriminant, or by
// label when the discriminant is unknown), or -1.
int case_index(const Val& v, std::initializer_list<std::string_view> labels);

// Looks up the object behind a borrow/own argument; traps when the rep
// does not name a live T.
template <class T>
Result<T*> lookup(HostState& host, const Val& handle, const char* what) {
  if (T* obj = host.table.get<T>(static_cast<uint32_t>(handle.bits))) return obj;
  return trap(std::string("unknown ") + what + " handle " + std::to_string(handle.bits));
}

// A new resource of `object`: own<T>, or a trap when the table is full.
Result<Val> push_own(HostState& host, Object object);
// stream-error::last-operation-failed(error) with a new error resource.
Result<Val> stream_failed(HostState& host, std::string message,
                          std::optional<ErrorCode> code = std::nullopt);
Val stream_closed();

uint64_t monotonic_now_ns();
// Waits until `fd` is readable, `deadline_ns` (monotonic) passes, or the
// state is interrupted (a trap). True when readable.
Result<bool> wait_readable(HostState& host, int fd, uint64_t deadline_ns);

}  // namespace weft::wasi::p2
