// The WASI context: configuration, the guest's fd table and the in-memory
// stdio buffers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/abi.h"
#include "wasi/guest.h"
#include "weft/wasi.h"

namespace weft::wasi {

namespace {

// Guards against a guest exhausting host descriptors or memory by opening
// files in a loop.
constexpr uint32_t kMaxOpenFds = 4096;

FdEntry make_stdio(int fd, Config::Stdio mode) {
  const bool is_input = fd == 0;
  const uint64_t io_right = is_input ? abi::kRightFdRead : abi::kRightFdWrite;
  FdEntry entry;
  entry.rights_base = io_right | abi::kRightFdFdstatSetFlags | abi::kRightFdFilestatGet |
                      abi::kRightPollFdReadwrite;
  entry.rights_inheriting = 0;
  switch (mode) {
    case Config::Stdio::Inherit: {
      entry.kind = FdEntry::Kind::HostStdio;
      entry.host_fd = fd;
      struct stat st;
      if (fstat(fd, &st) == 0) {
        entry.filetype = filetype_of_mode(st.st_mode);
        if (S_ISREG(st.st_mode)) {
          entry.rights_base |= abi::kRightFdSeek | abi::kRightFdTell | abi::kRightFdAdvise;
          if (!is_input) entry.rights_base |= abi::kRightFdSync | abi::kRightFdDatasync;
        }
      }
      break;
    }
    case Config::Stdio::Buffer:
      // Behaves like a pipe: WASI has no pipe type, so "unknown".
      entry.kind = is_input ? FdEntry::Kind::BufferIn : FdEntry::Kind::BufferOut;
      entry.filetype = abi::kFiletypeUnknown;
      entry.out_stream = is_input ? 0 : fd;
      break;
    case Config::Stdio::Null:
      // Behaves like /dev/null.
      entry.kind = is_input ? FdEntry::Kind::NullIn : FdEntry::Kind::NullOut;
      entry.filetype = abi::kFiletypeCharacterDevice;
      break;
  }
  return entry;
}

}  // namespace

uint8_t filetype_of_mode(uint32_t mode) {
  if (S_ISREG(mode)) return abi::kFiletypeRegularFile;
  if (S_ISDIR(mode)) return abi::kFiletypeDirectory;
  if (S_ISCHR(mode)) return abi::kFiletypeCharacterDevice;
  if (S_ISBLK(mode)) return abi::kFiletypeBlockDevice;
  if (S_ISLNK(mode)) return abi::kFiletypeSymbolicLink;
  if (S_ISSOCK(mode)) return abi::kFiletypeSocketStream;
  return abi::kFiletypeUnknown;  // FIFOs have no WASI file type
}

Context::Context(Config config) : config_(std::move(config)) {
  fds_[0] = make_stdio(0, config_.stdin_mode);
  fds_[1] = make_stdio(1, config_.stdout_mode);
  fds_[2] = make_stdio(2, config_.stderr_mode);
  if (config_.stdin_mode == Config::Stdio::Buffer) stdin_data_ = config_.stdin_data;
}

Context::~Context() {
  for (auto& [fd, entry] : fds_) {
    if (entry.kind == FdEntry::Kind::HostFd && entry.host_fd >= 0) ::close(entry.host_fd);
  }
}

Result<std::unique_ptr<Context>> Context::create(Config config) {
  auto ctx = std::make_unique<Context>(std::move(config));
  for (const Preopen& preopen : ctx->config_.preopens) {
    int fd = ::open(preopen.host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return Error::io("cannot open directory '" + preopen.host_path +
                       "' for the guest: " + std::strerror(errno));
    }
    FdEntry entry;
    entry.kind = FdEntry::Kind::HostFd;
    entry.host_fd = fd;
    entry.filetype = abi::kFiletypeDirectory;
    entry.is_preopen = true;
    entry.read_only = preopen.read_only;
    entry.preopen_name = preopen.guest_path.empty() ? preopen.host_path : preopen.guest_path;
    entry.rights_base = abi::kDirRights;
    entry.rights_inheriting = abi::kRightsAll;
    if (preopen.read_only) {
      entry.rights_base &= abi::kReadOnlyMask;
      entry.rights_inheriting &= abi::kReadOnlyMask;
    }
    if (ctx->fds_.size() >= kMaxOpenFds) {
      ::close(fd);
      return Error::usage("too many preopened directories");
    }
    ctx->insert(std::move(entry));
  }
  return ctx;
}

std::string Context::take_stdout() {
  std::string out;
  out.swap(stdout_buf_);
  return out;
}

std::string Context::take_stderr() {
  std::string out;
  out.swap(stderr_buf_);
  return out;
}

FdEntry* Context::get(uint32_t fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

uint32_t Context::insert(FdEntry entry) {
  // Lowest free number >= 3, like POSIX, so guests see small fds.
  uint32_t fd = 3;
  for (auto it = fds_.lower_bound(3); it != fds_.end() && it->first == fd; ++it) ++fd;
  fds_[fd] = std::move(entry);
  return fd;
}

bool Context::close(uint32_t fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return false;
  if (it->second.kind == FdEntry::Kind::HostFd && it->second.host_fd >= 0) {
    ::close(it->second.host_fd);
  }
  fds_.erase(it);
  return true;
}

bool Context::renumber(uint32_t from, uint32_t to) {
  auto from_it = fds_.find(from);
  if (from_it == fds_.end() || fds_.find(to) == fds_.end()) return false;
  if (from == to) return true;
  FdEntry moved = std::move(from_it->second);
  fds_.erase(from_it);
  close(to);
  fds_[to] = std::move(moved);
  return true;
}

size_t Context::append_output(int stream, const uint8_t* data, size_t len) {
  std::string& buf = stream == 2 ? stderr_buf_ : stdout_buf_;
  const size_t room =
      buf.size() >= config_.max_output_bytes ? 0 : config_.max_output_bytes - buf.size();
  const size_t accepted = len < room ? len : room;
  buf.append(reinterpret_cast<const char*>(data), accepted);
  return accepted;
}

size_t Context::read_stdin(uint8_t* out, size_t len) {
  const size_t n = std::min(len, stdin_remaining());
  if (n > 0) std::memcpy(out, stdin_data_.data() + stdin_pos_, n);
  stdin_pos_ += n;
  return n;
}

size_t Context::open_fd_count() const { return fds_.size(); }

bool Context::fd_table_full() const { return fds_.size() >= kMaxOpenFds; }

uint16_t abi::from_host_errno(int e) {
  switch (e) {
    case 0:
      return kSuccess;
    case E2BIG:
      return k2big;
    case EACCES:
      return kAcces;
    case EADDRINUSE:
      return kAddrinuse;
    case EADDRNOTAVAIL:
      return kAddrnotavail;
    case EAFNOSUPPORT:
      return kAfnosupport;
    case EAGAIN:
      return kAgain;
    case EALREADY:
      return kAlready;
    case EBADF:
      return kBadf;
    case EBADMSG:
      return kBadmsg;
    case EBUSY:
      return kBusy;
    case ECANCELED:
      return kCanceled;
    case ECHILD:
      return kChild;
    case ECONNABORTED:
      return kConnaborted;
    case ECONNREFUSED:
      return kConnrefused;
    case ECONNRESET:
      return kConnreset;
    case EDEADLK:
      return kDeadlk;
    case EDESTADDRREQ:
      return kDestaddrreq;
    case EDOM:
      return kDom;
    case EDQUOT:
      return kDquot;
    case EEXIST:
      return kExist;
    case EFAULT:
      return kFault;
    case EFBIG:
      return kFbig;
    case EHOSTUNREACH:
      return kHostunreach;
    case EIDRM:
      return kIdrm;
    case EILSEQ:
      return kIlseq;
    case EINPROGRESS:
      return kInprogress;
    case EINTR:
      return kIntr;
    case EINVAL:
      return kInval;
    case EIO:
      return kIo;
    case EISCONN:
      return kIsconn;
    case EISDIR:
      return kIsdir;
    case ELOOP:
      return kLoop;
    case EMFILE:
      return kMfile;
    case EMLINK:
      return kMlink;
    case EMSGSIZE:
      return kMsgsize;
    case EMULTIHOP:
      return kMultihop;
    case ENAMETOOLONG:
      return kNametoolong;
    case ENETDOWN:
      return kNetdown;
    case ENETRESET:
      return kNetreset;
    case ENETUNREACH:
      return kNetunreach;
    case ENFILE:
      return kNfile;
    case ENOBUFS:
      return kNobufs;
    case ENODEV:
      return kNodev;
    case ENOENT:
      return kNoent;
    case ENOEXEC:
      return kNoexec;
    case ENOLCK:
      return kNolck;
    case ENOLINK:
      return kNolink;
    case ENOMEM:
      return kNomem;
    case ENOMSG:
      return kNomsg;
    case ENOPROTOOPT:
      return kNoprotoopt;
    case ENOSPC:
      return kNospc;
    case ENOSYS:
      return kNosys;
    case ENOTCONN:
      return kNotconn;
    case ENOTDIR:
      return kNotdir;
    case ENOTEMPTY:
      return kNotempty;
    case ENOTRECOVERABLE:
      return kNotrecoverable;
    case ENOTSOCK:
      return kNotsock;
    case ENOTSUP:
      return kNotsup;
    case ENOTTY:
      return kNotty;
    case ENXIO:
      return kNxio;
    case EOVERFLOW:
      return kOverflow;
    case EOWNERDEAD:
      return kOwnerdead;
    case EPERM:
      return kPerm;
    case EPIPE:
      return kPipe;
    case EPROTO:
      return kProto;
    case EPROTONOSUPPORT:
      return kProtonosupport;
    case EPROTOTYPE:
      return kPrototype;
    case ERANGE:
      return kRange;
    case EROFS:
      return kRofs;
    case ESPIPE:
      return kSpipe;
    case ESRCH:
      return kSrch;
    case ESTALE:
      return kStale;
    case ETIMEDOUT:
      return kTimedout;
    case ETXTBSY:
      return kTxtbsy;
    case EXDEV:
      return kXdev;
    default:
      return kIo;
  }
}

}  // namespace weft::wasi
