// Linking a component import to another component's export: the static
// check (check_satisfies), shared by instantiation with InstanceArguments
// and by composition tools.
#include "component/runtime/state.h"
#include "wasm/binary/reader.h"

namespace weft::component {

namespace detail {

int name_match(std::string_view have, std::string_view wanted) {
  if (have == wanted) return 0;
  if (interface_versions_compatible(have, wanted)) return 1;
  // "ns:pkg/iface" names any version of the interface.
  if (wanted.find('@') == std::string_view::npos && wanted.find(':') != std::string_view::npos &&
      have.size() > wanted.size() && have.substr(0, wanted.size()) == wanted &&
      have[wanted.size()] == '@')
    return 2;
  return -1;
}

std::optional<size_t> find_compatible(const std::vector<NamedExtern>& list, std::string_view name) {
  return find_name(
      list.size(), [&](size_t i) -> std::string_view { return list[i].name; }, name);
}

}  // namespace detail

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "function", "resource", "type", ... as a message names an item.
std::string item_kind(const Extern& e) {
  switch (e.kind) {
    case ExternKind::Func:
      return "function";
    case ExternKind::Instance:
      return "interface";
    case ExternKind::Type:
      return e.type.kind == TypeDef::Kind::Resource ? "resource" : "type";
    default:
      return to_string(e.kind);
  }
}

Result<void> mismatch(const Extern& expected, std::string_view name, std::string why) {
  return Error::usage(item_kind(expected) + " " + quoted(name) + ": " + std::move(why));
}

// One item the consumer's import declares, against the provider's.
Result<void> check_item(const Extern& actual, const Extern& expected, std::string_view name,
                        ResourceMap& map) {
  if (actual.kind != expected.kind ||
      (expected.kind == ExternKind::Type && actual.type.kind != expected.type.kind))
    return mismatch(expected, name,
                    "expected a " + item_kind(expected) + ", found a " + item_kind(actual));
  switch (expected.kind) {
    case ExternKind::Func:
      if (!func_types_equal(*actual.func, *expected.func, map))
        return mismatch(
            expected, name,
            "expected " + to_string(*expected.func) + ", found " + to_string(*actual.func));
      return {};
    case ExternKind::Type:
      if (expected.type.kind == TypeDef::Kind::Resource) {
        // The consumer's resource stands for the provider's from now on:
        // an abstract one of this import, or one it `use`s from another
        // import (the provider's own import of that interface is linked to
        // the same host definitions at run time).
        const ResourceType* e = map.resolve(expected.type.resource.get());
        const ResourceType* a = map.resolve(actual.type.resource.get());
        if (e == a) return {};
        if (e != expected.type.resource.get())
          return mismatch(expected, name, "bound to a different resource already");
        map.bind(expected.type.resource.get(), actual.type.resource);
        return {};
      }
      if (expected.type.kind == TypeDef::Kind::Value &&
          !types_equal(*actual.type.value, *expected.type.value, map))
        return mismatch(expected, name,
                        "expected " + to_string(*expected.type.value) + ", found " +
                            to_string(*actual.type.value));
      break;
    default:
      break;
  }
  std::string why;
  if (!is_subtype(actual, expected, map, why)) return mismatch(expected, name, std::move(why));
  return {};
}

}  // namespace

Result<void> check_satisfies(const Component& consumer, std::string_view import_name,
                             const Component& provider, std::string_view export_name) {
  const ComponentType& ct = *consumer.validated().root->type;
  const ComponentType& pt = *provider.validated().root->type;
  auto imp = detail::find_compatible(ct.imports, import_name);
  if (!imp) return Error::usage("is linked to " + quoted(import_name) + ", which is not imported");
  const NamedExtern& wanted = ct.imports[*imp];
  std::optional<size_t> exp;
  if (export_name.empty()) {
    exp = detail::find_compatible(pt.exports, wanted.name);
  } else {
    for (size_t i = 0; i < pt.exports.size(); ++i)
      if (pt.exports[i].name == export_name) exp = i;
  }
  const std::string_view shown = export_name.empty() ? std::string_view(wanted.name) : export_name;
  if (!exp) return Error::usage("exports no " + item_kind(wanted.type) + " " + quoted(shown));
  const Extern& found = pt.exports[*exp].type;
  ResourceMap map;
  if (wanted.type.kind != ExternKind::Instance) return check_item(found, wanted.type, shown, map);
  if (found.kind != ExternKind::Instance)
    return Error::usage("exports " + quoted(shown) + " as a " + item_kind(found) +
                        ", not an interface");
  // Types come before the functions that use them, so resources are bound
  // by the time a function mentions them.
  for (const NamedExtern& e : wanted.type.instance->exports) {
    const Extern* a = found.instance->find(e.name);
    if (!a) return Error::usage("exports no " + item_kind(e.type) + " " + quoted(e.name));
    WEFT_CHECK(check_item(*a, e.type, e.name, map));
  }
  return {};
}

}  // namespace weft::component
