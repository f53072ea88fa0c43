// The spec's despecialize as a view rather than a new type tree: tuples
// read as records, and enum/option/result as variants, without allocating.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "component/abi/abi.h"

namespace weft::component::abi::detail {

inline bool is_record_like(ValKind k) { return k == ValKind::Record || k == ValKind::Tuple; }
inline bool is_variant_like(ValKind k) {
  return k == ValKind::Variant || k == ValKind::Enum || k == ValKind::Option ||
         k == ValKind::Result;
}

inline size_t num_cases(const ValType& t) {
  switch (t.kind) {
    case ValKind::Variant:
      return t.cases.size();
    case ValKind::Enum:
      return t.labels.size();
    case ValKind::Option:
    case ValKind::Result:
      return 2;
    default:
      return 0;
  }
}

// The payload type of case `i`, or nullptr when it has none.
inline const ValType* case_type(const ValType& t, size_t i) {
  switch (t.kind) {
    case ValKind::Variant:
      return t.cases[i].type.get();
    case ValKind::Option:
      return i == 1 ? t.element.get() : nullptr;
    case ValKind::Result:
      return i == 0 ? t.element.get() : t.error.get();
    default:
      return nullptr;
  }
}

inline std::string_view case_label(const ValType& t, size_t i) {
  switch (t.kind) {
    case ValKind::Variant:
      return t.cases[i].label;
    case ValKind::Enum:
      return t.labels[i];
    case ValKind::Option:
      return i == 1 ? "some" : "none";
    case ValKind::Result:
      return i == 0 ? "ok" : "error";
    default:
      return {};
  }
}

// Bytes of a flags value with n labels, and of a discriminant for n cases.
inline uint32_t flags_size(size_t n) { return n <= 8 ? 1 : n <= 16 ? 2 : 4; }
inline uint32_t discriminant_size(size_t n) {
  ValKind k = discriminant_type(n);
  return k == ValKind::U8 ? 1 : k == ValKind::U16 ? 2 : 4;
}

inline uint32_t max_case_alignment(const ValType& t) {
  uint32_t a = 1;
  for (size_t i = 0, n = num_cases(t); i < n; ++i)
    if (const ValType* c = case_type(t, i)) a = std::max(a, alignment(*c));
  return a;
}

}  // namespace weft::component::abi::detail
