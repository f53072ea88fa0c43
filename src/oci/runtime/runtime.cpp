#include "oci/runtime/runtime.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "oci/root_path.h"
#include "oci/runtime/seccomp.h"
#include "oci/runtime/spec.h"

namespace weft::oci::runtime {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// ---- command line (runc's: global flags, the command, its flags) ---------

struct CommandLine {
  std::string root = "/run/weft-oci";
  std::string log, log_format = "text";
  bool systemd_cgroup = false;
  std::string command;
  std::map<std::string, std::string> values;  // --bundle, --pid-file, --console-socket, --format
  std::set<std::string> flags;                // --force, --all, --no-pivot, ...
  std::vector<std::string> positional;
};

std::string canonical_flag(const std::string& command, std::string name) {
  if (name == "b") return "bundle";
  if (name == "f") return command == "delete" ? "force" : "format";
  if (name == "a") return "all";
  return name;
}

bool takes_value(const std::string& command, const std::string& name) {
  static const std::set<std::string> global{"root", "log", "log-format", "criu", "rootless"};
  if (command.empty()) return global.count(name) != 0;
  static const std::set<std::string> local{"bundle", "pid-file", "console-socket", "preserve-fds",
                                           "format", "process",  "signal"};
  return local.count(name) != 0;
}

Result<CommandLine> parse_command_line(int argc, char** argv) {
  CommandLine c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-' && a != "--") {
      std::string name = a.substr(a[1] == '-' ? 2 : 1);
      std::optional<std::string> value;
      if (const size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      name = canonical_flag(c.command, name);
      if (takes_value(c.command, name)) {
        if (!value) {
          if (i + 1 >= argc) return Error::usage("flag --" + name + " needs a value");
          value = argv[++i];
        }
        if (c.command.empty()) {
          if (name == "root")
            c.root = *value;
          else if (name == "log")
            c.log = *value;
          else if (name == "log-format")
            c.log_format = *value;
        } else {
          c.values[name] = *value;
        }
      } else if (c.command.empty()) {
        if (name == "systemd-cgroup")
          c.systemd_cgroup = true;
        else if (name == "help" || name == "h")
          c.command = "help";
        else if (name == "version" || name == "v")
          c.command = "version";
        // --debug and other switches: accepted, nothing to do
      } else {
        c.flags.insert(name);
      }
      continue;
    }
    if (c.command.empty())
      c.command = a;
    else
      c.positional.push_back(a);
  }
  return c;
}

// ---- logging, as runc writes it (the shim reads the last error) ----------

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
      1000000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(ns));
  return out;
}

void log_line(const CommandLine& c, const char* level, const std::string& msg) {
  if (std::strcmp(level, "error") == 0) std::fprintf(stderr, "weft-oci: %s\n", msg.c_str());
  if (c.log.empty()) return;
  std::ofstream out(c.log, std::ios::app);
  if (c.log_format == "json")
    out << Json{{"level", level}, {"msg", msg}, {"time", now_rfc3339()}}.dump(
               -1, ' ', false, Json::error_handler_t::replace)
        << "\n";
  else
    out << "time=\"" << now_rfc3339() << "\" level=" << level << " msg=\"" << msg << "\"\n";
}

// ---- the container's state, under ROOT/ID --------------------------------

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 1024 || id == "." || id == "..") return false;
  for (char ch : id)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.' ||
          ch == '+'))
      return false;
  return true;
}

struct State {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  std::string bundle, rootfs, created;
  std::vector<std::string> cgroups;  // directories made for it
  std::map<std::string, std::string> annotations;
};

fs::path state_dir(const CommandLine& c, const std::string& id) { return fs::path(c.root) / id; }
fs::path state_file(const CommandLine& c, const std::string& id) {
  return state_dir(c, id) / "weft.json";
}
fs::path fifo_path(const CommandLine& c, const std::string& id) {
  // Not runc's "exec.fifo": a runc container's directory must not look like ours.
  return state_dir(c, id) / "weft-exec.fifo";
}

// A container weft-oci made (any other id is runc's).
bool is_ours(const CommandLine& c, const std::string& id) {
  std::error_code ec;
  // A create killed before it wrote the state leaves the fifo alone.
  return valid_id(id) &&
         (fs::is_regular_file(state_file(c, id), ec) || fs::exists(fifo_path(c, id), ec));
}

Result<State> read_state(const CommandLine& c, const std::string& id) {
  std::ifstream in(state_file(c, id));
  Json j = Json::parse(in, nullptr, false);
  if (!j.is_object()) return Error::io("container \"" + id + "\": unreadable state");
  State s;
  s.id = id;
  s.pid = j.value("pid", 0);
  s.start_time = j.value("start_time", uint64_t{0});
  s.bundle = j.value("bundle", "");
  s.rootfs = j.value("rootfs", "");
  s.created = j.value("created", "");
  if (j.contains("cgroups") && j["cgroups"].is_array())
    for (const Json& v : j["cgroups"])
      if (v.is_string()) s.cgroups.push_back(v.get<std::string>());
  if (j.contains("annotations") && j["annotations"].is_object())
    for (auto& [k, v] : j["annotations"].items())
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
  return s;
}

Result<void> write_state(const CommandLine& c, const State& s) {
  Json j{{"pid", s.pid},
         {"start_time", s.start_time},
         {"bundle", s.bundle},
         {"rootfs", s.rootfs},
         {"created", s.created},
         {"cgroups", s.cgroups},
         {"annotations", s.annotations}};
  const fs::path tmp = state_file(c, s.id).string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(-1, ' ', false, Json::error_handler_t::replace);
    out.close();
    if (!out) return Error::io("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, state_file(c, s.id), ec);
  if (ec) return Error::io("cannot write the state of \"" + s.id + "\": " + ec.message());
  return {};
}

// Field 22 of /proc/PID/stat, and whether it is a zombie; nullopt if gone.
std::optional<std::pair<uint64_t, bool>> process_start(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields;
  size_t i = close + 2;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    fields.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  // fields[0] is field 3 (the state); field 22 is fields[19].
  if (fields.size() < 20) return std::nullopt;
  return std::pair<uint64_t, bool>(std::strtoull(fields[19].c_str(), nullptr, 10),
                                   fields[0] == "Z");
}

bool alive(const State& s) {
  if (s.pid <= 0) return false;
  auto p = process_start(s.pid);
  return p && p->first == s.start_time && !p->second;
}

std::string status_of(const CommandLine& c, const State& s) {
  if (!alive(s)) return "stopped";
  std::error_code ec;
  return fs::exists(fifo_path(c, s.id), ec) ? "created" : "running";
}

// ---- cgroups (v2, or v1's memory and pids controllers) --------------------

// The cgroup path under each hierarchy: cgroupsPath as given, or for the
// systemd driver "SLICE:PREFIX:NAME" as SLICE's nesting/PREFIX-NAME.scope.
std::string cgroup_relative(const CommandLine& c, const BundleSpec& spec, const std::string& id) {
  std::string path = spec.cgroups_path;
  if (c.systemd_cgroup && std::count(path.begin(), path.end(), ':') == 2) {
    const size_t a = path.find(':'), b = path.find(':', a + 1);
    std::string slice = path.substr(0, a), prefix = path.substr(a + 1, b - a - 1),
                name = path.substr(b + 1);
    if (slice.empty()) slice = "system.slice";
    std::string nested;
    if (slice != "-.slice" && slice.size() > 6 && slice.ends_with(".slice")) {
      // "a-b-c.slice" lives in a.slice/a-b.slice/a-b-c.slice.
      const std::string stem = slice.substr(0, slice.size() - 6);
      size_t dash = 0;
      while ((dash = stem.find('-', dash)) != std::string::npos) {
        nested += "/" + stem.substr(0, dash) + ".slice";
        ++dash;
      }
      nested += "/" + slice;
    }
    return nested + "/" + (prefix.empty() ? name : prefix + "-" + name) + ".scope";
  }
  if (path.empty()) path = "/weft-oci/" + id;
  if (path.front() != '/') path = "/" + path;
  return path;
}

bool write_file(const fs::path& p, const std::string& text) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Puts `pid` in the container's cgroup with its limits; the directories
// made go to `made` (delete removes them).
Result<void> apply_cgroups(const CommandLine& c, const BundleSpec& spec, const std::string& id,
                           pid_t pid, std::vector<std::string>& made) {
  const std::string rel = cgroup_relative(c, spec, id);
  std::error_code ec;
  const bool unified = fs::exists("/sys/fs/cgroup/cgroup.controllers", ec);
  auto join = [&](const fs::path& dir, bool required) -> Result<void> {
    if (!fs::exists(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) {
        if (required) return Error::io("cgroup " + dir.string() + ": " + ec.message());
        return {};
      }
      made.push_back(dir.string());
    }
    if (!write_file(dir / "cgroup.procs", std::to_string(pid)) && required)
      return Error::io("cannot move the container into cgroup " + dir.string());
    return {};
  };
  auto limit = [&](const fs::path& dir, const char* file, int64_t value) -> Result<void> {
    if (!write_file(dir / file, std::to_string(value)))
      return Error::io("cannot set " + (dir / file).string() + " to " + std::to_string(value));
    return {};
  };
  if (unified) {
    const fs::path dir = fs::path("/sys/fs/cgroup") / rel.substr(1);
    const bool needed = spec.memory_limit || spec.pids_limit || spec.cpu_shares || spec.cpu_quota;
    // The controllers the limits need, enabled down to the container's
    // parent (a fresh path has none).
    {
      fs::path at = "/sys/fs/cgroup";
      for (const auto& part : fs::path(rel.substr(1)).parent_path()) {
        write_file(at / "cgroup.subtree_control", "+memory +pids +cpu");
        at /= part;
        if (!fs::exists(at, ec)) {
          fs::create_directories(at, ec);
          if (!ec) made.push_back(at.string());
        }
      }
      write_file(at / "cgroup.subtree_control", "+memory +pids +cpu");
    }
    if (auto ok = join(dir, needed); !ok) return ok;
    if (spec.memory_limit && *spec.memory_limit > 0)
      if (auto ok = limit(dir, "memory.max", *spec.memory_limit); !ok) return ok;
    if (spec.pids_limit && *spec.pids_limit > 0)
      if (auto ok = limit(dir, "pids.max", *spec.pids_limit); !ok) return ok;
    if (spec.cpu_shares && *spec.cpu_shares > 0) {
      // cgroup v2's weight from v1's shares, as runc converts them.
      const int64_t weight =
          1 + ((std::clamp<int64_t>(*spec.cpu_shares, 2, 262144) - 2) * 9999) / 262142;
      if (auto ok = limit(dir, "cpu.weight", weight); !ok) return ok;
    }
    if (spec.cpu_quota && *spec.cpu_quota > 0) {
      const std::string max =
          std::to_string(*spec.cpu_quota) + " " + std::to_string(spec.cpu_period.value_or(100000));
      if (!write_file(dir / "cpu.max", max))
        return Error::io("cannot set " + (dir / "cpu.max").string());
    }
    return {};
  }
  for (const char* controller :
       {"memory", "pids", "cpu", "cpuacct", "blkio", "devices", "freezer", "systemd"}) {
    const fs::path base = fs::path("/sys/fs/cgroup") / controller;
    if (!fs::exists(base / "cgroup.procs", ec)) continue;
    const fs::path dir = base / rel.substr(1);
    const bool needed =
        (std::strcmp(controller, "memory") == 0 && spec.memory_limit) ||
        (std::strcmp(controller, "pids") == 0 && spec.pids_limit) ||
        (std::strcmp(controller, "cpu") == 0 && (spec.cpu_shares || spec.cpu_quota));
    // Limits first: a v1 memory limit is refused once the usage is above it.
    if (!fs::exists(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) {
        if (needed) return Error::io("cgroup " + dir.string() + ": " + ec.message());
        continue;
      }
      made.push_back(dir.string());
    }
    if (std::strcmp(controller, "memory") == 0 && spec.memory_limit && *spec.memory_limit > 0)
      if (auto ok = limit(dir, "memory.limit_in_bytes", *spec.memory_limit); !ok) return ok;
    if (std::strcmp(controller, "pids") == 0 && spec.pids_limit && *spec.pids_limit > 0)
      if (auto ok = limit(dir, "pids.max", *spec.pids_limit); !ok) return ok;
    if (std::strcmp(controller, "cpu") == 0) {
      if (spec.cpu_shares && *spec.cpu_shares > 0)
        if (auto ok = limit(dir, "cpu.shares", *spec.cpu_shares); !ok) return ok;
      if (spec.cpu_quota && *spec.cpu_quota > 0) {
        if (auto ok = limit(dir, "cpu.cfs_period_us", spec.cpu_period.value_or(100000)); !ok)
          return ok;
        if (auto ok = limit(dir, "cpu.cfs_quota_us", *spec.cpu_quota); !ok) return ok;
      }
    }
    if (auto ok = join(dir, needed); !ok) return ok;
  }
  return {};
}

void remove_cgroups(const std::vector<std::string>& dirs) {
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    for (int attempt = 0; attempt < 50 && ::rmdir(it->c_str()) != 0 && errno == EBUSY; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- what the container runs ----------------------------------------------

// `path` inside the root file system as the container's process sees it
// (links resolved in the root), never above it.
std::optional<fs::path> in_rootfs(const BundleSpec& spec, const std::string& path) {
  if (path.empty()) return std::nullopt;
  auto resolved = resolve_in_root(spec.rootfs, spec.cwd.empty() ? "/" : spec.cwd, path);
  std::error_code ec;
  if (!resolved || fs::equivalent(*resolved, spec.rootfs, ec)) return std::nullopt;
  return resolved;
}

bool has_wasm_magic(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "\0asm", 4) == 0;
}

enum class Payload : uint8_t { Module, App, Other };

struct Program {
  Payload kind = Payload::Other;
  fs::path file;  // the module or the weft.toml, on the host
};

Program classify(const BundleSpec& spec) {
  Program out;
  if (spec.args.empty() || spec.args.front().empty()) return out;
  const std::string& arg0 = spec.args.front();
  std::vector<std::string> candidates;
  if (arg0.find('/') != std::string::npos) {
    candidates.push_back(arg0);
  } else {
    candidates.push_back(arg0);  // relative to cwd
    for (const std::string& e : spec.env)
      if (e.starts_with("PATH=")) {
        std::string dirs = e.substr(5);
        size_t start = 0;
        while (start <= dirs.size()) {
          size_t end = dirs.find(':', start);
          if (end == std::string::npos) end = dirs.size();
          if (end > start) candidates.push_back(dirs.substr(start, end - start) + "/" + arg0);
          start = end + 1;
        }
      }
  }
  for (const std::string& c : candidates) {
    auto p = in_rootfs(spec, c);
    std::error_code ec;
    if (!p || !fs::is_regular_file(*p, ec)) continue;
    if (has_wasm_magic(*p)) return {Payload::Module, *p};
    if (p->extension() == ".toml") return {Payload::App, *p};
    return out;  // a native program: runc's
  }
  return out;
}

// The argv of the weft process the init becomes.
std::vector<std::string> weft_argv(const std::string& weft, const BundleSpec& spec,
                                   const Program& program) {
  std::vector<std::string> argv{weft};
  if (program.kind == Payload::App) {
    argv.insert(argv.end(), {"up", program.file.string(), "--confine", spec.rootfs.string()});
    bool listen = false;
    for (size_t i = 1; i < spec.args.size(); ++i) listen |= spec.args[i].starts_with("--listen");
    // In a container the service is for the pod's network, not its loopback.
    if (!listen) argv.insert(argv.end(), {"--listen", "0.0.0.0:3000"});
    argv.insert(argv.end(), spec.args.begin() + 1, spec.args.end());
    return argv;
  }
  argv.push_back("run");
  // The image's files are the guest's, read-only: weft never writes into
  // the rootfs, whatever root.readonly says (a guest writes where a mount
  // grants it).
  argv.insert(argv.end(), {"--dir-ro", spec.rootfs.string() + "::/"});
  for (const Mount& m : spec.mounts) {
    // proc, sysfs, tmpfs...: nothing for WASI. A bind mount of a file (the
    // kubelet's /etc/hosts, /etc/resolv.conf, /dev/termination-log) has no
    // WASI form either: preopens are directories.
    std::error_code ec;
    if (!m.is_bind() || m.source.empty() || !fs::is_directory(m.source, ec)) continue;
    argv.push_back(m.read_only() ? "--dir-ro" : "--dir");
    argv.push_back(m.source + "::" + m.destination);
  }
  for (const std::string& e : spec.env)
    if (e.find('=') != std::string::npos && e.front() != '=') argv.insert(argv.end(), {"--env", e});
  if (spec.memory_limit && *spec.memory_limit > 0)
    argv.insert(argv.end(), {"--max-memory", std::to_string(*spec.memory_limit)});
  argv.insert(argv.end(), {"--argv0", spec.args.front(), program.file.string()});
  argv.insert(argv.end(), spec.args.begin() + 1, spec.args.end());
  return argv;
}

// ---- the init process ------------------------------------------------------

int namespace_flag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  return 0;
}

std::optional<int> rlimit_resource(const std::string& name) {
  static const std::map<std::string, int> kNames{{"RLIMIT_AS", RLIMIT_AS},
                                                 {"RLIMIT_CORE", RLIMIT_CORE},
                                                 {"RLIMIT_CPU", RLIMIT_CPU},
                                                 {"RLIMIT_DATA", RLIMIT_DATA},
                                                 {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                 {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                 {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                 {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                 {"RLIMIT_NICE", RLIMIT_NICE},
                                                 {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                 {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                 {"RLIMIT_RSS", RLIMIT_RSS},
                                                 {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                 {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                 {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                 {"RLIMIT_STACK", RLIMIT_STACK}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::optional<int> capability_number(const std::string& name) {
  cap_value_t v;
  std::string lower = name;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (cap_from_name(lower.c_str(), &v) != 0) return std::nullopt;
  return static_cast<int>(v);
}

// Sends `fd` over the console socket (SCM_RIGHTS), as runc does for -t.
Result<void> send_console(const std::string& socket_path, int fd) {
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path)
    return Error::usage("console socket path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (s >= 0) ::close(s);
    return Error::io("cannot connect to the console socket " + socket_path);
  }
  char name[] = "/dev/ptmx";
  iovec iov{name, sizeof name - 1};
  char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  const bool ok = ::sendmsg(s, &msg, 0) >= 0;
  ::close(s);
  if (!ok) return Error::io("cannot send the console to " + socket_path);
  return {};
}

// Brings up the loopback interface of a new network namespace, as runc does.
bool loopback_up() {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  ::close(s);
  return ok;
}

// The process's identity, in runc's order: the bounding set dropped while
// still root, capabilities kept across the change of user, the user, then
// the capability sets, the ambient ones and no_new_privs.
Result<void> become(const BundleSpec& spec) {
  std::set<int> bounding, effective, permitted, inheritable, ambient;
  auto numbers = [](const std::optional<std::vector<std::string>>& names,
                    std::set<int>& out) -> Result<void> {
    if (!names) return {};
    for (const std::string& n : *names) {
      auto v = capability_number(n);
      if (!v) return Error::usage("unknown capability \"" + n + "\"");
      out.insert(*v);
    }
    return {};
  };
  for (auto [names, out] : {std::pair{&spec.cap_bounding, &bounding},
                            {&spec.cap_effective, &effective},
                            {&spec.cap_permitted, &permitted},
                            {&spec.cap_inheritable, &inheritable},
                            {&spec.cap_ambient, &ambient}})
    if (auto ok = numbers(*names, *out); !ok) return ok;
  if (spec.cap_bounding)
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
      if (!bounding.count(cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::io("cannot drop capability " + std::to_string(cap) + ": " +
                         std::strerror(errno));
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return Error::io(std::string("PR_SET_KEEPCAPS: ") + std::strerror(errno));
  if (::setgroups(spec.additional_gids.size(),
                  reinterpret_cast<const gid_t*>(spec.additional_gids.data())) != 0)
    return Error::io(std::string("setgroups: ") + std::strerror(errno));
  if (::setgid(spec.gid) != 0)
    return Error::io("setgid " + std::to_string(spec.gid) + ": " + std::strerror(errno));
  if (::setuid(spec.uid) != 0)
    return Error::io("setuid " + std::to_string(spec.uid) + ": " + std::strerror(errno));
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return Error::io(std::string("PR_SET_KEEPCAPS: ") + std::strerror(errno));
  if (spec.cap_effective || spec.cap_permitted || spec.cap_inheritable || spec.cap_bounding) {
    cap_t caps = cap_init();
    auto set = [&](cap_flag_t flag, const std::set<int>& values) {
      for (int v : values) {
        cap_value_t cv = v;
        cap_set_flag(caps, flag, 1, &cv, CAP_SET);
      }
    };
    set(CAP_EFFECTIVE, effective);
    set(CAP_PERMITTED, permitted);
    set(CAP_INHERITABLE, inheritable);
    const int rc = cap_set_proc(caps);
    cap_free(caps);
    if (rc != 0) return Error::io(std::string("cannot set capabilities: ") + std::strerror(errno));
  }
  for (int v : ambient)
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) != 0)
      return Error::io("cannot raise ambient capability " + std::to_string(v) + ": " +
                       std::strerror(errno));
  if (spec.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::io(std::string("no_new_privs: ") + std::strerror(errno));
  return {};
}

// Until start: a signal that would end the process ends it (as pid 1 of a
// pid namespace, one without a handler would be dropped).
void exit_on_signal(int sig) { ::_exit(128 + sig); }

// The child side of create. Everything that can fail happens before the
// fifo wait and is reported through `ready` (an error text; EOF once it
// waits), so that create fails as runc's does. `go` is the parent's word
// that the container's cgroups and state are in place. Never returns.
[[noreturn]] void run_init(const CommandLine& c, const BundleSpec& spec, const std::string& id,
                           const std::vector<std::string>& argv, int ready, int go,
                           int console_slave, bool new_network, int preserve_fds) {
  auto die = [&](const std::string& msg) {
    (void)!::write(ready, msg.data(), msg.size());
    ::_exit(127);
  };
  // A create killed before it committed takes its child with it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::signal(sig, exit_on_signal);
  if (console_slave >= 0) {
    ::setsid();
    if (::ioctl(console_slave, TIOCSCTTY, 0) != 0) die("cannot make the console the terminal");
    for (int fd = 0; fd < 3; ++fd) ::dup2(console_slave, fd);
    if (console_slave > 2) ::close(console_slave);
  }
  // Everything this process needs of the host, before joining namespaces.
  const fs::path fifo = fifo_path(c, id);
  const int fifo_fd = ::open(fifo.c_str(), O_PATH | O_CLOEXEC);
  if (fifo_fd < 0) die("cannot open " + fifo.string());
  for (const Namespace& ns : spec.namespaces) {
    if (ns.path.empty()) continue;
    const int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, namespace_flag(ns.type)) != 0)
      die("cannot join the " + ns.type + " namespace " + ns.path + ": " + std::strerror(errno));
    ::close(fd);
  }
  if (new_network && !loopback_up()) die("cannot bring up lo in the container's network");
  // As runc: a hostname needs a uts namespace of the container's (made, or
  // the pod's joined).
  const bool own_uts = std::any_of(spec.namespaces.begin(), spec.namespaces.end(),
                                   [](const Namespace& n) { return n.type == "uts"; });
  if (!spec.hostname.empty()) {
    if (!own_uts) die("a hostname needs a uts namespace of the container's");
    if (::sethostname(spec.hostname.c_str(), spec.hostname.size()) != 0)
      die("cannot set the hostname: " + std::string(std::strerror(errno)));
  }
  for (const Rlimit& l : spec.rlimits) {
    auto r = rlimit_resource(l.type);
    if (!r) die("unknown rlimit " + l.type);
    rlimit value{l.soft, l.hard};
    if (::setrlimit(*r, &value) != 0) die("cannot set " + l.type + ": " + std::strerror(errno));
  }
  if (spec.oom_score_adj) {
    const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    const std::string v = std::to_string(*spec.oom_score_adj);
    if (fd < 0 || ::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size()))
      die("cannot set oom_score_adj");
    ::close(fd);
  }
  // The parent has put this process in its cgroup: a cgroup namespace made
  // now has the container's cgroup as its root.
  char byte = 0;
  if (::read(go, &byte, 1) != 1) ::_exit(127);  // the parent gave up
  ::close(go);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  const bool new_cgroup =
      std::any_of(spec.namespaces.begin(), spec.namespaces.end(),
                  [](const Namespace& n) { return n.type == "cgroup" && n.path.empty(); });
  if (new_cgroup && ::unshare(CLONE_NEWCGROUP) != 0)
    die("cannot make the cgroup namespace: " + std::string(std::strerror(errno)));
  if (spec.apparmor_profile.size() > 0) {
    int fd = ::open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
    if (fd < 0) fd = ::open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
    const std::string v = "exec " + spec.apparmor_profile;
    if (fd < 0 || ::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size()))
      die("cannot apply the AppArmor profile " + spec.apparmor_profile + ": " +
          std::strerror(errno));
    ::close(fd);
  }
  for (const auto* names : {&spec.cap_bounding, &spec.cap_effective, &spec.cap_permitted,
                            &spec.cap_inheritable, &spec.cap_ambient})
    if (*names)
      for (const std::string& n : **names)
        if (!capability_number(n)) die("unknown capability \"" + n + "\"");
  // The seccomp profile is built now, so that one libseccomp refuses fails
  // create; it is loaded as late as runc loads it.
  std::optional<SeccompFilter> seccomp;
  if (spec.seccomp) {
    auto built = SeccompFilter::build(*spec.seccomp);
    if (!built) die(built.error().message);
    seccomp.emplace(std::move(*built));
  }
  // Ready: create may return; start opens the fifo's other end (reopened
  // through /proc while still root: a new user could not).
  ::close(ready);
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fifo_fd);
  const int w = ::open(proc_path.c_str(), O_WRONLY | O_CLOEXEC);  // blocks until start
  if (w < 0 || ::write(w, "0", 1) != 1) ::_exit(127);
  ::close(w);
  ::close(fifo_fd);
  // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN, which the
  // user may not keep: then it goes on before the change of identity (the
  // profile must allow that part, as under runc).
  auto load_seccomp = [&] {
    if (!seccomp) return;
    if (auto ok = seccomp->load(); !ok) {
      std::fprintf(stderr, "weft-oci: %s\n", ok.error().message.c_str());
      ::_exit(126);
    }
  };
  if (!spec.no_new_privileges) load_seccomp();
  if (auto ok = become(spec); !ok) {
    std::fprintf(stderr, "weft-oci: %s\n", ok.error().message.c_str());
    ::_exit(126);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // weft's own environment: its code cache, nothing of the shim's (the
  // guest's environment is in --env); an installed weft may find its
  // libraries through LD_LIBRARY_PATH (deploy/install-node.sh).
  std::string cache = "WEFT_CACHE=/var/cache/weft-oci";
  if (const char* given = std::getenv("WEFT_CACHE")) cache = std::string("WEFT_CACHE=") + given;
  std::string libs;
  if (const char* given = std::getenv("LD_LIBRARY_PATH"))
    libs = std::string("LD_LIBRARY_PATH=") + given;
  std::vector<char*> env{cache.data()};
  if (!libs.empty()) env.push_back(libs.data());
  env.push_back(nullptr);
  // Only stdio (and the fds the shim asked to keep) reach the container.
  ::syscall(SYS_close_range, 3 + preserve_fds, ~0U, 0);
  if (spec.no_new_privileges) load_seccomp();
  ::execve(argv.front().c_str(), args.data(), env.data());
  std::fprintf(stderr, "weft-oci: cannot run %s: %s\n", argv.front().c_str(), std::strerror(errno));
  ::_exit(127);
}

// ---- commands ---------------------------------------------------------------

const char* find_runc() {
  if (const char* env = std::getenv("WEFT_OCI_RUNC"); env != nullptr && *env != 0) return env;
  for (const char* p :
       {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"})
    if (::access(p, X_OK) == 0) return p;
  return nullptr;
}

// A container that is not Wasm: runc runs it, with the same command line.
int hand_to_runc(const CommandLine& c, int argc, char** argv) {
  const char* runc = find_runc();
  if (runc == nullptr) {
    log_line(c, "error",
             "the container is not WebAssembly and runc is not installed (WEFT_OCI_RUNC)");
    return 1;
  }
  std::vector<char*> args{const_cast<char*>(runc)};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(runc, args.data());
  log_line(c, "error", std::string("cannot run ") + runc + ": " + std::strerror(errno));
  return 1;
}

int cmd_create(const CommandLine& c, int argc, char** argv, const std::string& weft) {
  if (c.positional.size() != 1) {
    log_line(c, "error", "create needs exactly one container id");
    return 1;
  }
  const std::string& id = c.positional[0];
  if (!valid_id(id)) {
    log_line(c, "error", "invalid container id \"" + id + "\"");
    return 1;
  }
  const fs::path bundle =
      c.values.count("bundle") ? fs::path(c.values.at("bundle")) : fs::current_path();
  // What the container runs decides who runs it, whatever else the bundle
  // asks: a container that is not Wasm is runc's, with all it asks for.
  {
    auto peek = load_bundle(bundle, /*strict=*/false);
    if (!peek || classify(*peek).kind == Payload::Other) return hand_to_runc(c, argc, argv);
  }
  auto spec = load_bundle(bundle, /*strict=*/true);
  if (!spec) {
    log_line(c, "error", spec.error().message);
    return 1;
  }
  const Program program = classify(*spec);
  std::error_code ec;
  if (fs::exists(state_dir(c, id), ec)) {
    log_line(c, "error", "container \"" + id + "\" already exists");
    return 1;
  }
  fs::create_directories(c.root, ec);
  if (::mkdir(state_dir(c, id).c_str(), 0700) != 0) {
    log_line(c, "error", "cannot make " + state_dir(c, id).string() + ": " + std::strerror(errno));
    return 1;
  }
  std::vector<std::string> cgroups;
  auto fail = [&](const std::string& msg) {
    remove_cgroups(cgroups);
    fs::remove_all(state_dir(c, id), ec);
    log_line(c, "error", msg);
    return 1;
  };
  // 0622: the init reopens it for writing (as root, before it becomes the
  // container's user).
  if (::mkfifo(fifo_path(c, id).c_str(), 0622) != 0)
    return fail("cannot make the exec fifo: " + std::string(std::strerror(errno)));
  int preserve_fds = 0;
  if (c.values.count("preserve-fds"))
    preserve_fds = std::max(0, std::atoi(c.values.at("preserve-fds").c_str()));
  int console_master = -1, console_slave = -1;
  if (spec->terminal) {
    if (!c.values.count("console-socket")) return fail("a terminal needs --console-socket");
    if (::openpty(&console_master, &console_slave, nullptr, nullptr, nullptr) != 0)
      return fail("cannot open a pty: " + std::string(std::strerror(errno)));
    if (auto sent = send_console(c.values.at("console-socket"), console_master); !sent)
      return fail(sent.error().message);
    ::close(console_master);
    ::fcntl(console_slave, F_SETFD, FD_CLOEXEC);
  }
  // New namespaces for the child: unshared here (this process exits soon),
  // so the child forked next is in them (pid 1 of a new pid namespace). The
  // cgroup namespace is the child's to make, once it is in its cgroup.
  int flags = 0;
  bool new_network = false;
  for (const Namespace& ns : spec->namespaces)
    if (ns.path.empty() && ns.type != "cgroup") {
      flags |= namespace_flag(ns.type);
      new_network |= ns.type == "network";
    }
  if (flags != 0 && ::unshare(flags) != 0)
    return fail("cannot make the container's namespaces: " + std::string(std::strerror(errno)));
  int ready_fds[2], go_fds[2];
  if (::pipe2(ready_fds, O_CLOEXEC) != 0 || ::pipe2(go_fds, O_CLOEXEC) != 0)
    return fail("pipe: " + std::string(std::strerror(errno)));
  const std::vector<std::string> init_argv = weft_argv(weft, *spec, program);
  const pid_t pid = ::fork();
  if (pid < 0) return fail("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::close(ready_fds[0]);
    ::close(go_fds[1]);
    run_init(c, *spec, id, init_argv, ready_fds[1], go_fds[0], console_slave, new_network,
             preserve_fds);
  }
  ::close(ready_fds[1]);
  ::close(go_fds[0]);
  if (console_slave >= 0) ::close(console_slave);
  auto kill_child = [&] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  };
  State state;
  state.id = id;
  state.pid = pid;
  state.bundle = fs::absolute(bundle, ec).string();
  state.rootfs = spec->rootfs.string();
  state.created = now_rfc3339();
  state.annotations = spec->annotations;
  auto start = process_start(pid);
  state.start_time = start ? start->first : 0;
  if (auto ok = apply_cgroups(c, *spec, id, pid, cgroups); !ok) {
    kill_child();
    return fail(ok.error().message);
  }
  state.cgroups = cgroups;
  // The state first: from here on delete finds the container, whatever
  // becomes of this process.
  if (auto ok = write_state(c, state); !ok) {
    kill_child();
    return fail(ok.error().message);
  }
  if (c.values.count("pid-file")) {
    const fs::path pid_file = c.values.at("pid-file");
    const fs::path tmp = pid_file.string() + ".tmp";
    { std::ofstream(tmp) << pid; }
    fs::rename(tmp, pid_file, ec);
    if (ec) {
      kill_child();
      return fail("cannot write " + pid_file.string());
    }
  }
  if (::write(go_fds[1], "1", 1) != 1) {
    kill_child();
    return fail("cannot signal the container's init");
  }
  ::close(go_fds[1]);
  // The child's verdict: an error text, or EOF once it waits for start.
  std::string error;
  char buf[512];
  ssize_t n;
  while ((n = ::read(ready_fds[0], buf, sizeof buf)) > 0) error.append(buf, static_cast<size_t>(n));
  ::close(ready_fds[0]);
  if (!error.empty() || !alive(state)) {
    kill_child();
    return fail(error.empty() ? "the container's init ended before it was ready" : error);
  }
  return 0;
}

int cmd_start(const CommandLine& c, const State& s) {
  const std::string status = status_of(c, s);
  if (status != "created") {
    log_line(c, "error", "cannot start a container that is " + status);
    return 1;
  }
  const fs::path fifo = fifo_path(c, s.id);
  const int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    log_line(c, "error", "cannot open " + fifo.string() + ": " + std::strerror(errno));
    return 1;
  }
  // The init opened its end (blocking) before create returned; its byte
  // says it goes on. Bounded: a dead init never writes.
  char byte = 0;
  bool started = false;
  for (int waited = 0; waited < 1000 && !started; ++waited) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) > 0 && ::read(fd, &byte, 1) == 1)
      started = true;
    else if (!alive(s))
      break;
  }
  ::close(fd);
  ::unlink(fifo.c_str());
  if (!started) {
    log_line(c, "error", "container \"" + s.id + "\" did not start (its init process is gone)");
    return 1;
  }
  return 0;
}

int cmd_state(const CommandLine& c, const State& s) {
  const std::string status = status_of(c, s);
  Json j{{"ociVersion", "1.0.2"}, {"id", s.id},         {"pid", status == "stopped" ? 0 : s.pid},
         {"status", status},      {"bundle", s.bundle}, {"rootfs", s.rootfs},
         {"created", s.created},  {"owner", ""},        {"annotations", s.annotations}};
  std::printf("%s\n", j.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  return 0;
}

std::optional<int> parse_signal(std::string text) {
  if (text.empty()) return SIGTERM;
  if (std::all_of(text.begin(), text.end(),
                  [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
    const int n = std::atoi(text.c_str());
    return n >= 0 && n < NSIG && text.size() < 4 ? std::optional<int>(n) : std::nullopt;
  }
  for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (text.starts_with("SIG")) text = text.substr(3);
  for (int n = 1; n < NSIG; ++n) {
    const char* abbrev = sigabbrev_np(n);
    if (abbrev != nullptr && text == abbrev) return n;
  }
  return std::nullopt;
}

int cmd_kill(const CommandLine& c, const State& s) {
  auto sig = parse_signal(c.positional.size() > 1 ? c.positional[1] : "");
  if (!sig) {
    log_line(c, "error", "unknown signal \"" + c.positional[1] + "\"");
    return 1;
  }
  if (!alive(s)) {
    if (c.flags.count("all")) return 0;  // as runc: nothing left to signal
    // containerd's shim recognises runc's words for this.
    log_line(c, "error", "container not running");
    return 1;
  }
  if (::kill(s.pid, *sig) != 0) {
    log_line(c, "error", "kill: " + std::string(std::strerror(errno)));
    return 1;
  }
  return 0;
}

int cmd_delete(const CommandLine& c, const State& s) {
  const std::string status = status_of(c, s);
  if (status == "running" && !c.flags.count("force")) {
    log_line(c, "error", "cannot delete container \"" + s.id + "\" that is not stopped: running");
    return 1;
  }
  if (status != "stopped") {
    ::kill(s.pid, SIGKILL);
    for (int i = 0; i < 500 && alive(s); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  remove_cgroups(s.cgroups);
  std::error_code ec;
  fs::remove_all(state_dir(c, s.id), ec);
  return 0;
}

int cmd_features() {
  Json j{{"ociVersionMin", "1.0.0"},
         {"ociVersionMax", "1.1.0"},
         {"hooks", Json::array()},
         {"mountOptions", {"bind", "rbind", "ro", "rw"}},
         {"linux",
          {{"namespaces", {"pid", "network", "mount", "ipc", "uts", "cgroup"}},
           {"capabilities", Json::array()},
           // The systemd driver's paths are followed, with the cgroup made
           // directly rather than as a transient unit.
           {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}}},
           {"seccomp",
            {{"enabled", true},
             {"actions", seccomp_actions()},
             {"operators", seccomp_operators()},
             {"archs", seccomp_architectures()},
             {"knownFlags",
              {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
               "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
             {"supportedFlags",
              {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
               "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}}}},
           {"apparmor", {{"enabled", true}}},
           {"selinux", {{"enabled", false}}}}},
         {"annotations",
          {{"org.weft.runtime",
            "WebAssembly modules and weft.toml apps run in weft; other "
            "containers are handed to runc"}}}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

int runtime_main(int argc, char** argv, const std::string& weft_binary) {
  auto parsed = parse_command_line(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "weft-oci: %s\n", parsed.error().message.c_str());
    return 1;
  }
  const CommandLine& c = *parsed;
  if (c.command.empty() || c.command == "help") {
    std::printf(
        "weft-oci: an OCI runtime with runc's command line, for WebAssembly containers\n"
        "usage: weft-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup]\n"
        "                COMMAND [OPTIONS] ID\n"
        "commands: create --bundle DIR [--pid-file FILE] [--console-socket SOCKET] ID,\n"
        "          start ID, state ID, kill ID [SIGNAL], delete [--force] ID, ps ID, features\n"
        "A container whose process is not a .wasm module or a weft.toml goes to runc.\n");
    return c.command.empty() ? 1 : 0;
  }
  if (c.command == "version") {
    std::printf("weft-oci version 0.1.0\nspec: 1.1.0\n");
    return 0;
  }
  if (c.command == "features") return cmd_features();
  if (c.command == "create" || c.command == "run") {
    if (c.command == "run") {
      log_line(c, "error", "weft-oci run: use create and start (as containerd does)");
      return 1;
    }
    return cmd_create(c, argc, argv, weft_binary);
  }
  if (c.positional.empty()) {
    log_line(c, "error", c.command + " needs a container id");
    return 1;
  }
  const std::string& id = c.positional[0];
  if (!is_ours(c, id)) {
    if (c.command == "delete" && c.flags.count("force") && !fs::exists(state_dir(c, id)))
      return 0;  // gone already
    return hand_to_runc(c, argc, argv);
  }
  auto state = read_state(c, id);
  if (!state) {
    if (c.command == "delete" && c.flags.count("force")) {
      std::error_code ec;
      fs::remove_all(state_dir(c, id), ec);  // unreadable: nothing to stop but the record
      return 0;
    }
    log_line(c, "error", state.error().message);
    return 1;
  }
  if (c.command == "start") return cmd_start(c, *state);
  if (c.command == "state") return cmd_state(c, *state);
  if (c.command == "kill") return cmd_kill(c, *state);
  if (c.command == "delete") return cmd_delete(c, *state);
  if (c.command == "ps") {
    const bool json = c.values.count("format") && c.values.at("format") == "json";
    const bool up = alive(*state);
    if (json)
      std::printf("%s\n", up ? ("[" + std::to_string(state->pid) + "]").c_str() : "[]");
    else
      std::printf("PID\n%s", up ? (std::to_string(state->pid) + "\n").c_str() : "");
    return 0;
  }
  log_line(c, "error",
           "weft-oci does not support \"" + c.command + "\" for WebAssembly containers");
  return 1;
}

}  // namespace weft::oci::runtime
