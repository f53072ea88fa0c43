// Component::compile and the linker's host definitions.
#include <algorithm>
#include <atomic>

#include "component/runtime/state.h"
#include "wasm/binary/reader.h"

namespace weft::component {

namespace {

std::string describe_instance(const InstanceType& t) {
  std::string out;
  for (const auto& e : t.exports) {
    if (!out.empty()) out += "; ";
    out += e.name + ": " + describe(e.type);
  }
  return "{ " + out + " }";
}

ExternDescription description(const NamedExtern& e) {
  ExternDescription d;
  d.name = e.name;
  d.kind = to_string(e.type.kind);
  if (e.type.kind == ExternKind::Instance) {
    d.type = describe_instance(*e.type.instance);
  } else {
    d.type = describe(e.type);
  }
  return d;
}

// "ns:pkg/iface@1.2.3" → ("ns:pkg/iface", "1.2.3"); no '@' → (name, "").
std::pair<std::string_view, std::string_view> split_version(std::string_view name) {
  size_t at = name.rfind('@');
  if (at == std::string_view::npos || name.find(':') == std::string_view::npos) return {name, {}};
  return {name.substr(0, at), name.substr(at + 1)};
}

struct Semver {
  uint64_t major = 0, minor = 0, patch = 0;
  bool pre = false;  // a pre-release or build suffix: compatible only with itself
};

std::optional<Semver> parse_semver(std::string_view v) {
  Semver s;
  uint64_t* parts[3] = {&s.major, &s.minor, &s.patch};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (i >= v.size() || !std::isdigit(static_cast<unsigned char>(v[i]))) return std::nullopt;
    uint64_t n = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      if (n > UINT64_MAX / 10 - 10) return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(v[i++] - '0');
    }
    *parts[k] = n;
    if (k < 2) {
      if (i >= v.size() || v[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i < v.size()) s.pre = true;
  return s;
}

// The newest of the definitions compatible with `wanted`, as an index.
template <class Def>
const Def* best_match(const std::vector<Def>& defs,
                      const std::map<std::string, std::vector<size_t>, std::less<>>& by_name,
                      std::string_view interface_name, std::string_view name) {
  auto candidates = by_name.find(name);
  if (candidates == by_name.end()) return nullptr;
  const Def* best = nullptr;
  std::optional<Semver> best_version;
  for (size_t index : candidates->second) {
    const Def& d = defs[index];
    if (d.interface_name == interface_name) return &d;  // exact beats compatible
    if (!interface_versions_compatible(d.interface_name, interface_name)) continue;
    auto v = parse_semver(split_version(d.interface_name).second);
    if (!best || (v && best_version &&
                  std::tie(v->major, v->minor, v->patch) >
                      std::tie(best_version->major, best_version->minor, best_version->patch))) {
      best = &d;
      best_version = v;
    }
  }
  return best;
}

}  // namespace

bool interface_versions_compatible(std::string_view a, std::string_view b) {
  auto [an, av] = split_version(a);
  auto [bn, bv] = split_version(b);
  if (an != bn) return false;
  if (av == bv) return true;
  if (av.empty() || bv.empty()) return false;
  auto x = parse_semver(av);
  auto y = parse_semver(bv);
  if (!x || !y || x->pre || y->pre) return false;
  // Semver compatibility as Cargo and Wasmtime read it: the leftmost
  // non-zero component must agree (1.x with 1.y; 0.2.x with 0.2.y).
  if (x->major != y->major) return false;
  if (x->major != 0) return true;
  if (x->minor != y->minor) return false;
  if (x->minor != 0) return true;
  return x->patch == y->patch;
}

Component::Component(std::shared_ptr<const ValidatedComponent> validated)
    : validated_(std::move(validated)) {
  for (const auto& e : validated_->root->type->imports) imports_.push_back(description(e));
  for (const auto& e : validated_->root->type->exports) exports_.push_back(description(e));
}

Result<std::shared_ptr<const Component>> Component::compile(std::span<const uint8_t> bytes,
                                                            const CompileOptions& core_options) {
  WEFT_TRY(auto validated, validate_component(bytes, core_options));
  return std::make_shared<const Component>(std::move(validated));
}

namespace {
uint64_t next_definitions_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

ComponentLinker::ComponentLinker()
    : definitions_id_(next_definitions_id()), link_cache_(std::make_shared<detail::LinkCache>()) {}

void ComponentLinker::func(std::string interface_name, std::string name, HostFunction fn) {
  definitions_id_ = next_definitions_id();
  auto fn_ptr = std::make_shared<HostFunction>(std::move(fn));
  std::vector<size_t>& same_name = funcs_by_name_[name];
  for (size_t i : same_name)
    if (funcs_[i].interface_name == interface_name) {
      funcs_[i].fn = std::move(fn_ptr);
      return;
    }
  same_name.push_back(funcs_.size());
  funcs_.push_back({std::move(interface_name), std::move(name), std::move(fn_ptr)});
}

std::shared_ptr<const ResourceType> ComponentLinker::resource(
    std::string interface_name, std::string name, std::function<void(uint32_t rep)> drop) {
  ResourceDrop with_store;
  if (drop) with_store = [drop = std::move(drop)](Store&, uint32_t rep) { drop(rep); };
  return resource(std::move(interface_name), std::move(name), std::move(with_store));
}

std::shared_ptr<const ResourceType> ComponentLinker::resource(std::string interface_name,
                                                              std::string name, ResourceDrop drop) {
  definitions_id_ = next_definitions_id();
  auto type = std::make_shared<ResourceType>();
  type->name = name;
  type->host_defined = true;
  auto d = std::make_shared<ResourceDrop>(std::move(drop));
  std::vector<size_t>& same_name = resources_by_name_[name];
  for (size_t i : same_name)
    if (resources_[i].interface_name == interface_name) {
      resources_[i].type = type;
      resources_[i].drop = d;
      return type;
    }
  same_name.push_back(resources_.size());
  resources_.push_back({std::move(interface_name), std::move(name), type, d});
  return type;
}

const ComponentLinker::FuncDef* ComponentLinker::find_func(std::string_view interface_name,
                                                           std::string_view name) const {
  return best_match(funcs_, funcs_by_name_, interface_name, name);
}

const ComponentLinker::ResourceDef* ComponentLinker::find_resource(std::string_view interface_name,
                                                                   std::string_view name) const {
  return best_match(resources_, resources_by_name_, interface_name, name);
}

}  // namespace weft::component
