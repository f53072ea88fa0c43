// libFuzzer target: bytes → component::decode_component → validate →
// instantiate (no host imports) → call every export with default argument
// values. Any input must give a result without crashing, hanging or
// allocating without bound; on a successful decode the tree's byte ranges
// and section runs must be consistent (checked here, since the validator
// indexes with them); a trap, link error or validation error is a result.
//
// Built with -fsanitize=fuzzer (fuzz/CMakeLists.txt) and, with
// standalone_main.cpp, as an ordinary program that replays the seed corpus
// in ctest (fuzz/corpus.cmake).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "component/binary/decoder.h"
#include "weft/component.h"

namespace {

using namespace weft::component::ast;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

void check_range(ByteRange r, ByteRange within) {
  require(r.begin <= r.end);
  require(r.begin >= within.begin && r.end <= within.end);
}

size_t run_size(const Component& c, uint8_t id) {
  switch (id) {
    case 0:
      return c.customs.size();
    case 1:
      return c.core_modules.size();
    case 2:
      return c.core_instances.size();
    case 3:
      return c.core_types.size();
    case 4:
      return c.components.size();
    case 5:
      return c.instances.size();
    case 6:
      return c.aliases.size();
    case 7:
      return c.types.size();
    case 8:
      return c.canons.size();
    case 9:
      return c.starts.size();
    case 10:
      return c.imports.size();
    case 11:
      return c.exports.size();
    case 12:
      return c.values.size();
    default:
      __builtin_trap();
  }
}

// Recursion depth is bounded by the decoder's kMaxNesting.
void check_component(const Component& c, ByteRange within) {
  check_range(c.range, within);
  size_t expected[13] = {};
  uint32_t last_end = c.range.begin + 8;
  for (const SectionEntry& s : c.order) {
    require(s.id <= 12);
    check_range(s.contents, c.range);
    require(s.offset >= last_end && s.offset < s.contents.begin);
    last_end = s.contents.end;
    // Runs are consecutive per kind and cover every definition.
    require(s.first == expected[s.id]);
    expected[s.id] += s.count;
  }
  for (uint8_t id = 0; id <= 12; ++id) require(expected[id] == run_size(c, id));
  require(last_end == c.range.end);
  for (ByteRange m : c.core_modules) check_range(m, c.range);
  for (const CustomSection& s : c.customs) check_range(s.contents, c.range);
  for (const Value& v : c.values) check_range(v.payload, c.range);
  for (const auto& child : c.components) check_component(*child, c.range);
}

// Each call (and instantiation, for core start functions) may burn this
// much fuel: bounded time per input.
constexpr uint64_t kFuelPerCall = 20'000;

// A value of type `t` (the first case, empty lists), or nullopt for types
// the host cannot make up (handles).
std::optional<weft::component::Val> default_value(const weft::component::ValType& t,
                                                  int depth = 0) {
  using weft::component::Val;
  using weft::component::ValKind;
  if (depth > 20) return std::nullopt;
  Val v;
  v.kind = t.kind;
  switch (t.kind) {
    case ValKind::String:
      return Val::string("fuzz");
    case ValKind::List:
      return Val::list({});
    case ValKind::FixedList:
    case ValKind::Record:
    case ValKind::Tuple: {
      if (t.kind == ValKind::FixedList) {
        if (t.length > 64) return std::nullopt;
        for (uint32_t i = 0; i < t.length; ++i) {
          auto e = default_value(*t.element, depth + 1);
          if (!e) return std::nullopt;
          v.items.push_back(std::move(*e));
        }
        return v;
      }
      for (const auto& f : t.fields) {
        auto e = default_value(*f.type, depth + 1);
        if (!e) return std::nullopt;
        v.items.push_back(std::move(*e));
        if (t.kind == ValKind::Record) v.labels.push_back(f.label);
      }
      return v;
    }
    case ValKind::Variant: {
      std::optional<Val> payload;
      if (t.cases[0].type) {
        payload = default_value(*t.cases[0].type, depth + 1);
        if (!payload) return std::nullopt;
      }
      return Val::variant(t.cases[0].label, std::move(payload), 0);
    }
    case ValKind::Enum:
      return Val::enumeration(t.labels[0], 0);
    case ValKind::Option:
      return Val::none();
    case ValKind::Result: {
      std::optional<Val> payload;
      if (t.element) {
        payload = default_value(*t.element, depth + 1);
        if (!payload) return std::nullopt;
      }
      return Val::ok(std::move(payload));
    }
    case ValKind::Flags:
      return Val::flags({});
    case ValKind::Own:
    case ValKind::Borrow:
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::ErrorContext:
      return std::nullopt;
    default:
      return v;  // numbers, bool, char 0
  }
}

void run(std::span<const uint8_t> bytes) {
  auto component = weft::component::Component::compile(bytes);
  if (!component) {
    (void)component.error().to_string();
    require(component.error().offset == weft::Error::kNoOffset ||
            component.error().offset <= bytes.size());
    return;
  }
  weft::StoreLimits limits;
  limits.max_memory_bytes = 64ull << 20;
  limits.max_table_elements = 100'000;
  limits.max_call_depth = 2'000;
  limits.fuel = kFuelPerCall;
  weft::Store store(limits);
  weft::component::ComponentLinker linker;
  auto instance = linker.instantiate(store, component.value());
  if (!instance) return;
  for (const auto& e : component.value()->exports()) {
    if (e.kind != "func") continue;
    auto type = instance.value().func_type(e.name);
    if (!type) continue;
    std::vector<weft::component::Val> args;
    bool ok = true;
    for (const auto& p : type->params) {
      auto v = default_value(*p.type);
      if (!v) {
        ok = false;
        break;
      }
      args.push_back(std::move(*v));
    }
    if (!ok) continue;
    store.set_fuel(kFuelPerCall);
    auto r = instance.value().call(e.name, std::move(args));
    if (!r) (void)r.error().to_string();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = weft::component::decode_component(std::span<const uint8_t>(data, size));
  if (!decoded) {
    // Errors must render, and name a byte of the input.
    (void)decoded.error().to_string();
    require(decoded.error().offset <= size);
    return 0;
  }
  const ComponentDecl& decl = decoded.value();
  require(decl.bytes.size() == size);
  require(weft::component::is_component(decl.bytes));
  check_component(decl.root, ByteRange{0, static_cast<uint32_t>(size)});
  run(std::span<const uint8_t>(data, size));
  return 0;
}
