// P2State, the resource table, and the value helpers shared by the WASI
// 0.2 interfaces.
#include "wasi/p2/state.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <cstring>

namespace weft::wasi {

namespace {

// The seeds of wasi:random/insecure and insecure-seed, which promise no
// secrecy, from a per-thread buffer of getrandom output refilled 512 bytes
// at a time: three getrandom calls for every request's state were three
// syscalls on the request's path. Each byte is handed out once.
uint64_t random_u64() {
  thread_local struct {
    uint8_t bytes[512];
    size_t used = sizeof bytes;
  } pool;
  if (pool.used + sizeof(uint64_t) > sizeof pool.bytes) {
    size_t done = 0;
    while (done < sizeof pool.bytes) {
      ssize_t n = getrandom(pool.bytes + done, sizeof pool.bytes - done, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // No entropy source: a clock-derived value still seeds the
        // insecure generator (its contract promises nothing more).
        return p2::monotonic_now_ns() ^ 0x9e3779b97f4a7c15ull;
      }
      done += static_cast<size_t>(n);
    }
    pool.used = 0;
  }
  uint64_t v = 0;
  std::memcpy(&v, pool.bytes + pool.used, sizeof v);
  pool.used += sizeof v;
  return v;
}

}  // namespace

P2State::P2State(std::unique_ptr<Context> context) : host_(std::make_unique<p2::HostState>()) {
  host_->ctx = std::move(context);
  host_->insecure_state = random_u64();
  host_->seed_lo = random_u64();
  host_->seed_hi = random_u64();
}

P2State::~P2State() = default;

Result<std::shared_ptr<P2State>> P2State::create(Config config) {
  auto ctx = Context::create(std::move(config));
  if (!ctx) return std::move(ctx).error();
  return std::make_shared<P2State>(std::move(ctx).value());
}

Context& P2State::context() { return *host_->ctx; }
const Config& P2State::config() const { return host_->ctx->config(); }
std::string P2State::take_stdout() { return host_->ctx->take_stdout(); }
std::string P2State::take_stderr() { return host_->ctx->take_stderr(); }
void P2State::interrupt() { host_->ctx->interrupt(); }
size_t P2State::resource_count() const { return host_->table.size(); }

}  // namespace weft::wasi

namespace weft::wasi::p2 {

const char* label(ErrorCode code) {
  static constexpr const char* kLabels[] = {
      "access",
      "would-block",
      "already",
      "bad-descriptor",
      "busy",
      "deadlock",
      "quota",
      "exist",
      "file-too-large",
      "illegal-byte-sequence",
      "in-progress",
      "interrupted",
      "invalid",
      "io",
      "is-directory",
      "loop",
      "too-many-links",
      "message-size",
      "name-too-long",
      "no-device",
      "no-entry",
      "no-lock",
      "insufficient-memory",
      "insufficient-space",
      "not-directory",
      "not-empty",
      "not-recoverable",
      "unsupported",
      "no-tty",
      "no-such-device",
      "overflow",
      "not-permitted",
      "pipe",
      "read-only",
      "invalid-seek",
      "text-file-busy",
      "cross-device",
  };
  static_assert(sizeof kLabels / sizeof kLabels[0] ==
                static_cast<size_t>(ErrorCode::CrossDevice) + 1);
  return kLabels[static_cast<uint32_t>(code)];
}

ErrorCode code_of_errno(int e) {
  switch (e) {
    case EACCES:
      return ErrorCode::Access;
    case EAGAIN:
      return ErrorCode::WouldBlock;
    case EALREADY:
      return ErrorCode::Already;
    case EBADF:
      return ErrorCode::BadDescriptor;
    case EBUSY:
      return ErrorCode::Busy;
    case EDEADLK:
      return ErrorCode::Deadlock;
    case EDQUOT:
      return ErrorCode::Quota;
    case EEXIST:
      return ErrorCode::Exist;
    case EFBIG:
      return ErrorCode::FileTooLarge;
    case EILSEQ:
      return ErrorCode::IllegalByteSequence;
    case EINPROGRESS:
      return ErrorCode::InProgress;
    case EINTR:
      return ErrorCode::Interrupted;
    case EINVAL:
      return ErrorCode::Invalid;
    case EISDIR:
      return ErrorCode::IsDirectory;
    case ELOOP:
      return ErrorCode::Loop;
    case EMLINK:
      return ErrorCode::TooManyLinks;
    case EMSGSIZE:
      return ErrorCode::MessageSize;
    case ENAMETOOLONG:
      return ErrorCode::NameTooLong;
    case ENODEV:
      return ErrorCode::NoDevice;
    case ENOENT:
      return ErrorCode::NoEntry;
    case ENOLCK:
      return ErrorCode::NoLock;
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      return ErrorCode::InsufficientMemory;
    case ENOSPC:
      return ErrorCode::InsufficientSpace;
    case ENOTDIR:
      return ErrorCode::NotDirectory;
    case ENOTEMPTY:
      return ErrorCode::NotEmpty;
    case ENOTRECOVERABLE:
      return ErrorCode::NotRecoverable;
    case ENOTSUP:
      return ErrorCode::Unsupported;
    case ENOTTY:
      return ErrorCode::NoTty;
    case ENXIO:
      return ErrorCode::NoSuchDevice;
    case EOVERFLOW:
      return ErrorCode::Overflow;
    case EPERM:
      return ErrorCode::NotPermitted;
    case EPIPE:
      return ErrorCode::Pipe;
    case EROFS:
      return ErrorCode::ReadOnly;
    case ESPIPE:
      return ErrorCode::InvalidSeek;
    case ETXTBSY:
      return ErrorCode::TextFileBusy;
    case EXDEV:
      return ErrorCode::CrossDevice;
    default:
      return ErrorCode::Io;
  }
}

ErrorCode code_of_resolve(int e) { return e == EXDEV ? ErrorCode::NotPermitted : code_of_errno(e); }

DescriptorType descriptor_type_of_mode(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFBLK:
      return DescriptorType::BlockDevice;
    case S_IFCHR:
      return DescriptorType::CharacterDevice;
    case S_IFDIR:
      return DescriptorType::Directory;
    case S_IFIFO:
      return DescriptorType::Fifo;
    case S_IFLNK:
      return DescriptorType::SymbolicLink;
    case S_IFREG:
      return DescriptorType::RegularFile;
    case S_IFSOCK:
      return DescriptorType::Socket;
    default:
      return DescriptorType::Unknown;
  }
}

// ---- table ------------------------------------------------------------------

Result<uint32_t> ResourceTable::push(Object object) {
  if (objects_.size() >= kMaxObjects) {
    return trap("WASI resource table is full (" + std::to_string(kMaxObjects) + " live handles)");
  }
  // Reps count up and skip live ones after wrapping, so a stale rep the
  // guest kept names nothing for about 2^32 allocations.
  while (next_ == 0 || objects_.count(next_)) ++next_;
  const uint32_t rep = next_++;
  objects_.emplace(rep, std::move(object));
  return rep;
}

size_t ResourceTable::count_descriptors() const {
  size_t n = 0;
  for (const auto& [rep, object] : objects_) n += std::holds_alternative<Descriptor>(object);
  return n;
}

// ---- definitions --------------------------------------------------------------

std::string versioned(const std::string& interface_name) {
  return interface_name + "@" + kWasiP2Version;
}

Result<void> check_args(const component::HostCall& call, const std::vector<Val>& args,
                        const std::vector<ValKind>& params) {
  auto where = [&] {
    return std::string(call.interface_name) + " " + std::string(call.function_name);
  };
  if (args.size() != params.size()) {
    return trap(where() + ": called with " + std::to_string(args.size()) + " arguments, expected " +
                std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (args[i].kind != params[i]) {
      return trap(where() + ": argument " + std::to_string(i) + " is " +
                  component::to_string(args[i].kind) + ", expected " +
                  component::to_string(params[i]));
    }
  }
  return {};
}

void Definitions::func(const std::string& interface_name, std::string name,
                       std::vector<ValKind> params, Impl impl) {
  std::shared_ptr<P2State> s = state;
  auto find = lookup;
  funcs.push_back({versioned(interface_name), name,
                   [s, find, params = std::move(params), impl = std::move(impl)](
                       component::HostCall& call, std::vector<Val>& args) -> HostResult::Base {
                     if (auto ok = check_args(call, args, params); !ok)
                       return std::move(ok).error();
                     P2State* st = s ? s.get() : find(call.store);
                     if (!st) {
                       return trap(std::string(call.interface_name) + " " +
                                   std::string(call.function_name) +
                                   ": the store has no WASI state");
                     }
                     HostResult r = impl(st->host(), args);
                     return static_cast<HostResult::Base&&>(r);
                   }});
}

void define_all(std::function<P2State*(Store&)> lookup, Definitions& defs) {
  defs.state.reset();
  defs.lookup = std::move(lookup);
  define_all(std::shared_ptr<P2State>(), defs);
}

void define_all(const std::shared_ptr<P2State>& state, Definitions& defs) {
  if (state) defs.state = state;
  define_io(defs);
  define_clocks_random(defs);
  define_cli(defs);
  define_filesystem(defs);
  define_sockets(defs);
  // An interface that `use`s another's resource (wasi:io/streams exports
  // wasi:io/error's `error`) re-exports the same type: the linker follows
  // it to the owner's definition, so only owners define resources.
}

// ---- values -----------------------------------------------------------------

Error trap(std::string message) {
  return Error::make_trap(TrapKind::HostError, std::move(message));
}

Val own(uint32_t rep) {
  Val v;
  v.kind = ValKind::Own;
  v.bits = rep;
  return v;
}

Val unit_ok() { return Val::ok(std::nullopt); }

Val enum_val(std::string label, uint32_t discriminant) {
  return Val::enumeration(std::move(label), discriminant);
}

Val error_code_val(ErrorCode code) { return enum_val(label(code), static_cast<uint32_t>(code)); }

Val err_code(ErrorCode code) { return Val::err(error_code_val(code)); }

Val bytes_val(const uint8_t* data, size_t len) {
  return Val::bytes(std::string(reinterpret_cast<const char*>(data), len));
}

Val string_list(const std::vector<std::string>& items) {
  std::vector<Val> out;
  out.reserve(items.size());
  for (const auto& s : items) out.push_back(Val::string(s));
  return Val::list(std::move(out));
}

Result<std::string> bytes_arg(const Val& list) {
  if (list.byte_list) {
    if (static_cast<ValKind>(list.discriminant) != ValKind::U8)
      return trap("list<u8> argument holds a list<s8>");
    return list.str;
  }
  std::string out;
  out.resize(list.items.size());
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (list.items[i].kind != ValKind::U8) {
      return trap(std::string("list<u8> argument holds a ") +
                  component::to_string(list.items[i].kind));
    }
    out[i] = static_cast<char>(list.items[i].bits);
  }
  return out;
}

bool has_flag(const Val& flags, std::string_view label) {
  for (const auto& l : flags.labels) {
    if (l == label) return true;
  }
  return false;
}

int case_index(const Val& v, std::initializer_list<std::string_view> labels) {
  if (v.discriminant != UINT32_MAX) {
    return v.discriminant < labels.size() ? static_cast<int>(v.discriminant) : -1;
  }
  if (v.labels.empty()) return -1;
  int i = 0;
  for (auto l : labels) {
    if (l == v.labels[0]) return i;
    ++i;
  }
  return -1;
}

Result<Val> push_own(HostState& host, Object object) {
  auto rep = host.table.push(std::move(object));
  if (!rep) return std::move(rep).error();
  return own(*rep);
}

Result<Val> stream_failed(HostState& host, std::string message, std::optional<ErrorCode> code) {
  auto error = push_own(host, ErrorObj{std::move(message), code});
  if (!error) return std::move(error).error();
  return Val::variant("last-operation-failed", std::move(error).value(), 0);
}

void EventFdWaker::wake() {
  std::lock_guard lock(mutex_);
  signaled_ = true;
  if (fd_.get() < 0) return;
  uint64_t one = 1;
  ssize_t n = ::write(fd_.get(), &one, sizeof one);
  (void)n;  // EAGAIN: the counter is already non-zero, which is all a wake needs
}

void EventFdWaker::drain() {
  std::lock_guard lock(mutex_);
  signaled_ = false;
  if (fd_.get() < 0) return;
  uint64_t count;
  ssize_t n = ::read(fd_.get(), &count, sizeof count);
  (void)n;
}

int EventFdWaker::fd() {
  std::lock_guard lock(mutex_);
  if (fd_.get() < 0) {
    fd_ = sandbox::UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (fd_.get() >= 0 && signaled_) {
      uint64_t one = 1;
      ssize_t n = ::write(fd_.get(), &one, sizeof one);
      (void)n;
    }
  }
  return fd_.get();
}

const std::shared_ptr<EventFdWaker>& HostState::guest_waker() {
  if (!waker) waker = std::make_shared<EventFdWaker>();
  return waker;
}

Result<Val> push_channel_input(HostState& host, std::shared_ptr<ByteChannel> channel,
                               std::shared_ptr<void> guard) {
  channel->set_reader_waker(host.guest_waker());
  InputStream s;
  s.kind = InputStream::Kind::Channel;
  s.channel = std::move(channel);
  s.guard = std::move(guard);
  return push_own(host, std::move(s));
}

Result<Val> push_channel_output(HostState& host, std::shared_ptr<ByteChannel> channel,
                                uint64_t limit, std::any limit_error, std::shared_ptr<void> guard) {
  channel->set_writer_waker(host.guest_waker());
  OutputStream s;
  s.kind = OutputStream::Kind::Channel;
  s.channel = std::move(channel);
  s.limit = limit;
  s.limit_error = std::move(limit_error);
  s.guard = std::move(guard);
  return push_own(host, std::move(s));
}

Val stream_closed() { return Val::variant("closed", std::nullopt, 1); }

uint64_t monotonic_now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {
// While blocked, look at the interrupt flag this often so a timeout is
// never outlived by a guest waiting on a host call.
constexpr uint64_t kWaitSliceNs = 50'000'000;
}  // namespace

Result<bool> wait_readable(HostState& host, int fd, uint64_t deadline_ns) {
  for (;;) {
    if (host.ctx->interrupted()) {
      return Error::make_trap(TrapKind::Interrupted, "interrupted while blocked in WASI");
    }
    const uint64_t now = monotonic_now_ns();
    const uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
    const uint64_t slice = left < kWaitSliceNs ? left : kWaitSliceNs;
    struct pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>((slice + 999'999) / 1'000'000));
    if (r > 0) return true;  // readable, or hung up/error: a read reports which
    if (r < 0 && errno != EINTR) return true;
    if (left == 0) return false;
  }
}

}  // namespace weft::wasi::p2
