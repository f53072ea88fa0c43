// Alignment, element size and flattening (CanonicalABI.md, "Alignment",
// "Element Size", "Flattening"), with i32 pointers.
#include <algorithm>

#include "component/abi/abi.h"
#include "component/abi/shape.h"

namespace weft::component::abi {

namespace {

// Sizes of types past any validator's limit saturate here rather than wrap:
// every bounds check against a 32-bit memory then fails, as it should.
constexpr uint64_t kHuge = 1ull << 40;

uint64_t sat_add(uint64_t a, uint64_t b) { return std::min(kHuge, a + b); }
uint64_t sat_mul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a >= kHuge || b >= kHuge || a > kHuge / b) return kHuge;
  return std::min(kHuge, a * b);
}
uint64_t align_up(uint64_t v, uint64_t a) { return std::min(kHuge, (v + a - 1) / a * a); }

using detail::discriminant_size;
using detail::flags_size;
using detail::max_case_alignment;

bool flatten_into(const ValType& t, std::vector<CoreType>& out, size_t limit);

bool push(std::vector<CoreType>& out, CoreType c, size_t limit) {
  if (out.size() >= limit) return false;
  out.push_back(c);
  return true;
}

bool flatten_variant(const ValType& t, std::vector<CoreType>& out, size_t limit) {
  if (!push(out, CoreType::I32, limit)) return false;  // every discriminant flattens to i32
  size_t base = out.size();
  std::vector<CoreType> c;
  for (size_t i = 0, n = detail::num_cases(t); i < n; ++i) {
    const ValType* ct = detail::case_type(t, i);
    if (!ct) continue;
    c.clear();
    if (!flatten_into(*ct, c, limit)) return false;
    for (size_t j = 0; j < c.size(); ++j) {
      if (base + j < out.size()) {
        out[base + j] = join(out[base + j], c[j]);
      } else if (!push(out, c[j], limit)) {
        return false;
      }
    }
  }
  return true;
}

bool flatten_into(const ValType& t, std::vector<CoreType>& out, size_t limit) {
  switch (t.kind) {
    case ValKind::S64:
    case ValKind::U64:
      return push(out, CoreType::I64, limit);
    case ValKind::F32:
      return push(out, CoreType::F32, limit);
    case ValKind::F64:
      return push(out, CoreType::F64, limit);
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return push(out, CoreType::I32, limit) && push(out, CoreType::I32, limit);
    case ValKind::FixedList:
      for (uint32_t i = 0; i < t.length; ++i)
        if (!flatten_into(*t.element, out, limit)) return false;
      return true;
    case ValKind::Record:
    case ValKind::Tuple:
      for (const Field& f : t.fields)
        if (!flatten_into(*f.type, out, limit)) return false;
      return true;
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result:
      return flatten_variant(t, out, limit);
    default:
      return push(out, CoreType::I32, limit);  // bool, ints, char, flags, handles
  }
}

size_t flatten_all(const std::vector<Field>& fs, const ValTypePtr& result, bool params,
                   std::vector<CoreType>& out, size_t limit) {
  out.clear();
  if (params) {
    for (const Field& f : fs)
      if (!flatten_into(*f.type, out, limit)) return limit + 1;
  } else if (result && !flatten_into(*result, out, limit)) {
    return limit + 1;
  }
  return out.size();
}

}  // namespace

ValKind discriminant_type(size_t n) {
  if (n <= 256) return ValKind::U8;  // ceil(log2(n) / 8) is 0 or 1
  if (n <= 65536) return ValKind::U16;
  return ValKind::U32;
}

namespace {
uint32_t compute_alignment(const ValType& t);
uint64_t compute_elem_size(const ValType& t);
}  // namespace

uint32_t alignment(const ValType& t) {
  uint32_t a = t.layout.alignment.load(std::memory_order_relaxed);
  if (a == 0) {
    a = compute_alignment(t);
    t.layout.alignment.store(a, std::memory_order_relaxed);
  }
  return a;
}

uint64_t elem_size(const ValType& t) {
  if (t.layout.size_known.load(std::memory_order_acquire)) {
    return t.layout.size.load(std::memory_order_relaxed);
  }
  uint64_t s = compute_elem_size(t);
  t.layout.size.store(s, std::memory_order_relaxed);
  t.layout.size_known.store(true, std::memory_order_release);
  return s;
}

namespace {

uint32_t compute_alignment(const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool:
    case ValKind::S8:
    case ValKind::U8:
      return 1;
    case ValKind::S16:
    case ValKind::U16:
      return 2;
    case ValKind::S64:
    case ValKind::U64:
    case ValKind::F64:
      return 8;
    case ValKind::FixedList:
      return alignment(*t.element);
    case ValKind::Record:
    case ValKind::Tuple: {
      uint32_t a = 1;
      for (const Field& f : t.fields) a = std::max(a, alignment(*f.type));
      return a;
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result:
      return std::max(discriminant_size(detail::num_cases(t)), max_case_alignment(t));
    case ValKind::Flags:
      return flags_size(t.labels.size());
    default:
      return 4;  // s32, u32, f32, char, string, list, handles
  }
}

uint64_t compute_elem_size(const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool:
    case ValKind::S8:
    case ValKind::U8:
      return 1;
    case ValKind::S16:
    case ValKind::U16:
      return 2;
    case ValKind::S64:
    case ValKind::U64:
    case ValKind::F64:
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return 8;
    case ValKind::FixedList:
      return sat_mul(t.length, elem_size(*t.element));
    case ValKind::Record:
    case ValKind::Tuple: {
      uint64_t s = 0;
      for (const Field& f : t.fields)
        s = sat_add(align_up(s, alignment(*f.type)), elem_size(*f.type));
      return align_up(s, alignment(t));
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      size_t n = detail::num_cases(t);
      uint64_t s = align_up(discriminant_size(n), max_case_alignment(t));
      uint64_t cs = 0;
      for (size_t i = 0; i < n; ++i)
        if (const ValType* c = detail::case_type(t, i)) cs = std::max(cs, elem_size(*c));
      return align_up(sat_add(s, cs), alignment(t));
    }
    case ValKind::Flags:
      return flags_size(t.labels.size());
    default:
      return 4;
  }
}

}  // namespace

namespace {

size_t compute_flat_count(const ValType& t, size_t limit) {
  const size_t over = limit + 1;
  switch (t.kind) {
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return std::min<size_t>(2, over);
    case ValKind::FixedList: {
      size_t e = flat_count(*t.element, limit);
      if (e == 0) return 0;
      return t.length > limit / e ? over : std::min(over, e * t.length);
    }
    case ValKind::Record:
    case ValKind::Tuple: {
      size_t n = 0;
      for (const Field& f : t.fields) {
        n += flat_count(*f.type, limit);
        if (n > limit) return over;
      }
      return n;
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      size_t widest = 0;  // cases share their slots
      for (size_t i = 0, n = detail::num_cases(t); i < n; ++i)
        if (const ValType* c = detail::case_type(t, i))
          widest = std::max(widest, flat_count(*c, limit));
      return std::min(over, 1 + widest);
    }
    default:
      return std::min<size_t>(1, over);
  }
}

// Counts past this are not told apart: no limit asked for is larger.
constexpr size_t kFlatCountCap = size_t{1} << 20;

}  // namespace

size_t flat_count(const ValType& t, size_t limit) {
  if (limit > kFlatCountCap) return compute_flat_count(t, limit);
  uint64_t cached = t.layout.flat_count.load(std::memory_order_relaxed);
  if (cached == 0) {
    cached = compute_flat_count(t, kFlatCountCap) + 1;
    t.layout.flat_count.store(cached, std::memory_order_relaxed);
  }
  const size_t n = static_cast<size_t>(cached - 1);
  return n > limit ? limit + 1 : n;
}

const std::vector<CoreType>* flat_types(const ValType& t) {
  if (const auto* flat = t.layout.flat.load(std::memory_order_acquire)) return flat;
  if (t.layout.flat_too_long.load(std::memory_order_relaxed)) return nullptr;
  std::vector<CoreType> out;
  if (!flatten_into(t, out, kFlatTypesLimit)) {
    t.layout.flat_too_long.store(true, std::memory_order_relaxed);
    return nullptr;
  }
  auto* made = new std::vector<CoreType>(std::move(out));
  const std::vector<CoreType>* expected = nullptr;
  if (!t.layout.flat.compare_exchange_strong(expected, made, std::memory_order_acq_rel)) {
    delete made;  // another thread made the same
    return expected;
  }
  return made;
}

std::optional<std::vector<CoreType>> flatten_type(const ValType& t, size_t limit) {
  if (limit == kFlatTypesLimit) {
    const auto* flat = flat_types(t);
    if (!flat) return std::nullopt;
    return *flat;
  }
  std::vector<CoreType> out;
  if (!flatten_into(t, out, limit)) return std::nullopt;
  return out;
}

CoreType join(CoreType a, CoreType b) {
  if (a == b) return a;
  if ((a == CoreType::I32 && b == CoreType::F32) || (a == CoreType::F32 && b == CoreType::I32))
    return CoreType::I32;
  return CoreType::I64;
}

CoreFuncType flatten_functype(const FuncType& ft, FlattenContext context) {
  CoreFuncType out;
  if (flatten_all(ft.params, nullptr, true, out.params, kMaxFlatParams) > kMaxFlatParams)
    out.params = {CoreType::I32};
  if (flatten_all({}, ft.result, false, out.results, kMaxFlatResults) > kMaxFlatResults) {
    if (context == FlattenContext::Lift) {
      out.results = {CoreType::I32};
    } else {
      out.params.push_back(CoreType::I32);
      out.results.clear();
    }
  }
  return out;
}

CoreFuncType flatten_functype_async(const FuncType& ft, FlattenContext context, bool callback) {
  CoreFuncType out;
  std::vector<CoreType> results;
  const size_t n_params = flatten_all(ft.params, nullptr, true, out.params, kMaxFlatParams);
  const bool has_results = flatten_all({}, ft.result, false, results, kMaxFlatParams) > 0;
  if (context == FlattenContext::Lift) {
    if (n_params > kMaxFlatParams) out.params = {CoreType::I32};
    if (callback) out.results = {CoreType::I32};
    return out;
  }
  if (n_params > kMaxFlatAsyncParams) out.params = {CoreType::I32};
  if (has_results) out.params.push_back(CoreType::I32);
  out.results = {CoreType::I32};
  return out;
}

}  // namespace weft::component::abi
