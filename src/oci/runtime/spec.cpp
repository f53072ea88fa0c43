#include "oci/runtime/spec.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace weft::oci::runtime {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

struct Parser {
  std::string file;
  Error bad(const std::string& field, const std::string& what) const {
    return Error::usage(file + ": " + field + ": " + what);
  }
  Result<std::string> str(const Json& j, const char* key, const std::string& at) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::string();
    if (!it->is_string()) return bad(at + "." + key, "not a string");
    return it->get<std::string>();
  }
  Result<std::vector<std::string>> strs(const Json& j, const char* key,
                                        const std::string& at) const {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) return bad(at + "." + key, "not a list");
    for (const Json& v : *it) {
      if (!v.is_string()) return bad(at + "." + key, "holds a non-string");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  Result<std::optional<int64_t>> int64(const Json& j, const char* key,
                                       const std::string& at) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<int64_t>();
    if (!it->is_number_integer()) return bad(at + "." + key, "not an integer");
    return std::optional<int64_t>(it->get<int64_t>());
  }
  Result<uint32_t> id(const Json& j, const char* key, const std::string& at) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return 0u;
    if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX)
      return bad(at + "." + key, "not a 32-bit id");
    return static_cast<uint32_t>(it->get<uint64_t>());
  }
};

const std::set<std::string> kSeccompActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",       "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG"};
const std::set<std::string> kSeccompOperators = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                                 "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                                 "SCMP_CMP_MASKED_EQ"};
const std::set<std::string> kSeccompFlags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
// Bounds on what a profile may ask, far above real ones (containerd's and
// Docker's defaults name about 400 syscalls): a filter is built in memory.
constexpr size_t kMaxSeccompNames = 10000;

Result<std::optional<uint32_t>> errno_ret(const Parser& p, const Json& j, const std::string& at) {
  auto it = j.find("errnoRet");
  if (it == j.end() || it->is_null()) return std::optional<uint32_t>();
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 4095)
    return p.bad(at + ".errnoRet", "not an errno (0..4095)");
  return std::optional<uint32_t>(static_cast<uint32_t>(it->get<uint64_t>()));
}

Result<std::string> seccomp_action(const Parser& p, const Json& j, const char* key,
                                   const std::string& at) {
  auto a = p.str(j, key, at);
  if (!a) return a;
  if (*a == "SCMP_ACT_NOTIFY")
    return p.bad(at + "." + key,
                 "SCMP_ACT_NOTIFY needs a seccomp agent, which weft-oci does not support");
  if (!a->empty() && !kSeccompActions.count(*a)) return p.bad(at + "." + key, "unknown action \"" + *a + "\"");
  return a;
}

Result<Seccomp> parse_seccomp(const Parser& p, const Json& j) {
  const std::string at = "linux.seccomp";
  if (!j.is_object()) return p.bad(at, "not an object");
  Seccomp sc;
  if (auto listener = p.str(j, "listenerPath", at); !listener) {
    return std::move(listener).error();
  } else if (!listener->empty()) {
    return p.bad(at + ".listenerPath", "weft-oci does not support seccomp agents");
  }
  auto action = seccomp_action(p, j, "defaultAction", at);
  if (!action) return std::move(action).error();
  if (action->empty()) return p.bad(at + ".defaultAction", "missing");
  sc.default_action = *action;
  if (j.contains("defaultErrnoRet") && !j["defaultErrnoRet"].is_null()) {
    const Json& e = j["defaultErrnoRet"];
    if (!e.is_number_unsigned() || e.get<uint64_t>() > 4095)
      return p.bad(at + ".defaultErrnoRet", "not an errno (0..4095)");
    sc.default_errno_ret = static_cast<uint32_t>(e.get<uint64_t>());
  }
  auto archs = p.strs(j, "architectures", at);
  if (!archs) return std::move(archs).error();
  for (const std::string& a : *archs)
    if (a.rfind("SCMP_ARCH_", 0) != 0) return p.bad(at + ".architectures", "unknown \"" + a + "\"");
  sc.architectures = *archs;
  auto flags = p.strs(j, "flags", at);
  if (!flags) return std::move(flags).error();
  for (const std::string& f : *flags)
    if (!kSeccompFlags.count(f))
      return p.bad(at + ".flags", "weft-oci cannot apply the flag \"" + f + "\"");
  sc.flags = *flags;
  size_t names = 0;
  if (auto calls = j.find("syscalls"); calls != j.end() && !calls->is_null()) {
    if (!calls->is_array()) return p.bad(at + ".syscalls", "not a list");
    for (size_t i = 0; i < calls->size(); ++i) {
      const Json& c = (*calls)[i];
      const std::string here = at + ".syscalls[" + std::to_string(i) + "]";
      if (!c.is_object()) return p.bad(here, "not an object");
      SeccompRule rule;
      auto n = p.strs(c, "names", here);
      if (!n) return std::move(n).error();
      rule.names = *n;
      names += rule.names.size();
      if (names > kMaxSeccompNames)
        return p.bad(at + ".syscalls", "more than " + std::to_string(kMaxSeccompNames) + " names");
      auto a = seccomp_action(p, c, "action", here);
      if (!a) return std::move(a).error();
      if (a->empty()) return p.bad(here + ".action", "missing");
      rule.action = *a;
      auto e = errno_ret(p, c, here);
      if (!e) return std::move(e).error();
      rule.errno_ret = *e;
      if (auto args = c.find("args"); args != c.end() && !args->is_null()) {
        if (!args->is_array() || args->size() > 6)
          return p.bad(here + ".args", "not a list of at most 6");
        for (const Json& v : *args) {
          if (!v.is_object()) return p.bad(here + ".args", "holds a non-object");
          SeccompArg arg;
          auto number = [&](const char* key, uint64_t max, uint64_t& into) -> bool {
            auto it = v.find(key);
            if (it == v.end() || it->is_null()) return true;
            if (!it->is_number_unsigned() || it->get<uint64_t>() > max) return false;
            into = it->get<uint64_t>();
            return true;
          };
          uint64_t index = 0;
          if (!number("index", 5, index)) return p.bad(here + ".args.index", "not 0..5");
          arg.index = static_cast<uint32_t>(index);
          if (!number("value", UINT64_MAX, arg.value))
            return p.bad(here + ".args.value", "not an unsigned integer");
          if (!number("valueTwo", UINT64_MAX, arg.value_two))
            return p.bad(here + ".args.valueTwo", "not an unsigned integer");
          auto op = p.str(v, "op", here + ".args");
          if (!op) return std::move(op).error();
          if (!kSeccompOperators.count(*op))
            return p.bad(here + ".args.op", "unknown operator \"" + *op + "\"");
          arg.op = *op;
          rule.args.push_back(std::move(arg));
        }
      }
      sc.syscalls.push_back(std::move(rule));
    }
  }
  return sc;
}

bool known_namespace(const std::string& t) {
  return t == "pid" || t == "network" || t == "mount" || t == "ipc" || t == "uts" || t == "cgroup";
}

}  // namespace

bool Mount::read_only() const {
  for (const std::string& o : options)
    if (o == "ro") return true;
  return false;
}
bool Mount::is_bind() const {
  if (type == "bind") return true;
  for (const std::string& o : options)
    if (o == "bind" || o == "rbind") return true;
  return false;
}

Result<BundleSpec> load_bundle(const fs::path& bundle, bool strict) {
  Parser p{(bundle / "config.json").string()};
  std::error_code ec;
  const auto size = fs::file_size(bundle / "config.json", ec);
  if (ec) return Error::io(p.file + ": cannot read: " + ec.message());
  if (size > (16u << 20)) return Error::limit(p.file + ": larger than 16 MiB");
  std::ifstream in(bundle / "config.json", std::ios::binary);
  if (!in) return Error::io(p.file + ": cannot read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::usage(p.file + ": not a JSON object");
  BundleSpec s;
  s.bundle = bundle;
  auto want = [&](auto r, auto& into) -> Result<void> {
    if (!r) return std::move(r).error();
    into = std::move(*r);
    return {};
  };
#define SPEC_TRY(expr, into) \
  if (auto ok = want((expr), (into)); !ok) return std::move(ok).error()

  // root
  auto root = j.find("root");
  if (root == j.end() || !root->is_object()) return p.bad("root", "missing");
  std::string root_path;
  SPEC_TRY(p.str(*root, "path", "root"), root_path);
  if (root_path.empty()) return p.bad("root.path", "missing");
  s.rootfs = fs::path(root_path).is_absolute() ? fs::path(root_path) : bundle / root_path;
  if (auto ro = root->find("readonly"); ro != root->end() && ro->is_boolean())
    s.root_readonly = ro->get<bool>();

  // process
  auto proc = j.find("process");
  if (proc == j.end() || !proc->is_object()) return p.bad("process", "missing");
  SPEC_TRY(p.strs(*proc, "args", "process"), s.args);
  if (s.args.empty()) return p.bad("process.args", "empty: nothing to run");
  SPEC_TRY(p.strs(*proc, "env", "process"), s.env);
  SPEC_TRY(p.str(*proc, "cwd", "process"), s.cwd);
  if (s.cwd.empty()) s.cwd = "/";
  if (auto t = proc->find("terminal"); t != proc->end() && t->is_boolean())
    s.terminal = t->get<bool>();
  if (auto n = proc->find("noNewPrivileges"); n != proc->end() && n->is_boolean())
    s.no_new_privileges = n->get<bool>();
  if (auto u = proc->find("user"); u != proc->end() && u->is_object()) {
    SPEC_TRY(p.id(*u, "uid", "process.user"), s.uid);
    SPEC_TRY(p.id(*u, "gid", "process.user"), s.gid);
    if (auto g = u->find("additionalGids"); g != u->end() && g->is_array())
      for (const Json& v : *g) {
        if (!v.is_number_unsigned() || v.get<uint64_t>() > UINT32_MAX)
          return p.bad("process.user.additionalGids", "not a 32-bit id");
        s.additional_gids.push_back(static_cast<uint32_t>(v.get<uint64_t>()));
      }
  }
  if (auto c = proc->find("capabilities"); c != proc->end() && c->is_object()) {
    auto set = [&](const char* key, std::optional<std::vector<std::string>>& into) -> Result<void> {
      if (!c->contains(key)) return {};
      auto list = p.strs(*c, key, "process.capabilities");
      if (!list) return std::move(list).error();
      into = std::move(*list);
      return {};
    };
    for (auto [key, into] : {std::pair{"bounding", &s.cap_bounding},
                             {"effective", &s.cap_effective},
                             {"permitted", &s.cap_permitted},
                             {"inheritable", &s.cap_inheritable},
                             {"ambient", &s.cap_ambient}})
      if (auto ok = set(key, *into); !ok) return std::move(ok).error();
  }
  if (auto r = proc->find("rlimits"); r != proc->end() && r->is_array()) {
    for (const Json& v : *r) {
      if (!v.is_object()) return p.bad("process.rlimits", "not an object");
      Rlimit l;
      SPEC_TRY(p.str(v, "type", "process.rlimits"), l.type);
      auto soft = v.find("soft"), hard = v.find("hard");
      if (soft == v.end() || hard == v.end() || !soft->is_number_unsigned() ||
          !hard->is_number_unsigned())
        return p.bad("process.rlimits." + l.type, "soft and hard must be non-negative integers");
      l.soft = soft->get<uint64_t>();
      l.hard = hard->get<uint64_t>();
      s.rlimits.push_back(l);
    }
  }
  SPEC_TRY(p.str(*proc, "apparmorProfile", "process"), s.apparmor_profile);
  if (auto o = proc->find("oomScoreAdj"); o != proc->end() && !o->is_null()) {
    if (!o->is_number_integer() || o->get<int64_t>() < -1000 || o->get<int64_t>() > 1000)
      return p.bad("process.oomScoreAdj", "not an integer in [-1000, 1000]");
    s.oom_score_adj = static_cast<int>(o->get<int64_t>());
  }
  if (!strict) return s;  // enough to classify
  if (proc->contains("selinuxLabel") && (*proc)["selinuxLabel"].is_string() &&
      !(*proc)["selinuxLabel"].get<std::string>().empty())
    return p.bad("process.selinuxLabel", "weft-oci cannot apply SELinux labels");

  SPEC_TRY(p.str(j, "hostname", ""), s.hostname);
  if (auto a = j.find("annotations"); a != j.end() && a->is_object())
    for (auto& [k, v] : a->items())
      if (v.is_string()) s.annotations[k] = v.get<std::string>();
  if (auto h = j.find("hooks"); h != j.end() && h->is_object() && !h->empty()) {
    for (auto& [k, v] : h->items())
      if (v.is_array() && !v.empty()) return p.bad("hooks." + k, "weft-oci does not run hooks");
  }

  // mounts
  if (auto m = j.find("mounts"); m != j.end() && m->is_array()) {
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& v = (*m)[i];
      const std::string at = "mounts[" + std::to_string(i) + "]";
      if (!v.is_object()) return p.bad(at, "not an object");
      Mount mt;
      SPEC_TRY(p.str(v, "destination", at), mt.destination);
      SPEC_TRY(p.str(v, "type", at), mt.type);
      SPEC_TRY(p.str(v, "source", at), mt.source);
      SPEC_TRY(p.strs(v, "options", at), mt.options);
      if (mt.destination.empty() || mt.destination.front() != '/')
        return p.bad(at + ".destination", "not an absolute path");
      s.mounts.push_back(std::move(mt));
    }
  }

  // linux
  if (auto l = j.find("linux"); l != j.end() && l->is_object()) {
    if (auto sc = l->find("seccomp"); sc != l->end() && !sc->is_null()) {
      auto parsed = parse_seccomp(p, *sc);
      if (!parsed) return std::move(parsed).error();
      s.seccomp = std::move(*parsed);
    }
    if (auto ns = l->find("namespaces"); ns != l->end() && ns->is_array()) {
      for (const Json& v : *ns) {
        Namespace n;
        SPEC_TRY(p.str(v, "type", "linux.namespaces"), n.type);
        SPEC_TRY(p.str(v, "path", "linux.namespaces"), n.path);
        if (n.type == "user" || n.type == "time")
          return p.bad("linux.namespaces", "weft-oci does not support " + n.type + " namespaces");
        if (!known_namespace(n.type))
          return p.bad("linux.namespaces", "unknown namespace type \"" + n.type + "\"");
        if (!n.path.empty() && (n.type == "pid" || n.type == "mount"))
          return p.bad("linux.namespaces", "weft-oci cannot join an existing " + n.type +
                                               " namespace (" + n.path + ")");
        s.namespaces.push_back(std::move(n));
      }
    }
    SPEC_TRY(p.str(*l, "cgroupsPath", "linux"), s.cgroups_path);
    for (const auto& part : fs::path(s.cgroups_path))
      if (part == "..") return p.bad("linux.cgroupsPath", "climbs out of the cgroup tree");
    if (auto r = l->find("resources"); r != l->end() && r->is_object()) {
      if (auto mem = r->find("memory"); mem != r->end() && mem->is_object()) {
        SPEC_TRY(p.int64(*mem, "limit", "linux.resources.memory"), s.memory_limit);
      }
      if (auto pids = r->find("pids"); pids != r->end() && pids->is_object()) {
        SPEC_TRY(p.int64(*pids, "limit", "linux.resources.pids"), s.pids_limit);
      }
      if (auto cpu = r->find("cpu"); cpu != r->end() && cpu->is_object()) {
        SPEC_TRY(p.int64(*cpu, "shares", "linux.resources.cpu"), s.cpu_shares);
        SPEC_TRY(p.int64(*cpu, "quota", "linux.resources.cpu"), s.cpu_quota);
        SPEC_TRY(p.int64(*cpu, "period", "linux.resources.cpu"), s.cpu_period);
        for (const char* key : {"cpus", "mems", "realtimeRuntime", "realtimePeriod"})
          if (cpu->contains(key) && !(*cpu)[key].is_null() &&
              !((*cpu)[key].is_string() && (*cpu)[key].get<std::string>().empty()))
            return p.bad(std::string("linux.resources.cpu.") + key, "weft-oci cannot apply it");
      }
      if (auto mem = r->find("memory"); mem != r->end() && mem->is_object())
        if (auto swap = mem->find("swap"); swap != mem->end() && swap->is_number_integer() &&
                                           swap->get<int64_t>() > 0 && s.memory_limit &&
                                           swap->get<int64_t>() != *s.memory_limit)
          return p.bad("linux.resources.memory.swap", "weft-oci cannot apply a swap limit");
      // hugepageLimits (the kubelet sets one of 0 per page size) hold
      // trivially: weft never maps huge pages.
      for (const char* key : {"blockIO", "rdma", "unified"})
        if (auto it = r->find(key); it != r->end() && !it->is_null() && !it->empty())
          return p.bad(std::string("linux.resources.") + key, "weft-oci cannot apply it");
    }
    if (auto label = l->find("mountLabel");
        label != l->end() && label->is_string() && !label->get<std::string>().empty())
      return p.bad("linux.mountLabel", "weft-oci cannot apply SELinux labels");
  }
#undef SPEC_TRY
  return s;
}

}  // namespace weft::oci::runtime
