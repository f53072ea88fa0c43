// Error plumbing shared by the ABI's translation units.
#pragma once

#include <string>

#include "weft/component_value.h"
#include "weft/result.h"

// Early return on error, for Result<T> and Result<void>.
#define WEFT_ABI_CAT2(a, b) a##b
#define WEFT_ABI_CAT(a, b) WEFT_ABI_CAT2(a, b)
#define WEFT_ABI_TRY(expr)                                 \
  do {                                                     \
    auto weft_abi_r = (expr);                              \
    if (!weft_abi_r) return std::move(weft_abi_r).error(); \
  } while (0)
#define WEFT_ABI_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                         \
  if (!tmp) return std::move(tmp).error();   \
  lhs = std::move(*tmp)
#define WEFT_ABI_ASSIGN(lhs, expr) \
  WEFT_ABI_ASSIGN_IMPL(WEFT_ABI_CAT(weft_abi_t_, __LINE__), lhs, expr)

namespace weft::component::abi::detail {

// A trap the guest caused (the spec's trap()).
inline Error trap(std::string message) {
  return Error::make_trap(TrapKind::Unreachable, std::move(message));
}
// A guest pointer or length outside its memory, or misaligned.
inline Error oob(std::string message) {
  return Error::make_trap(TrapKind::MemoryOutOfBounds, std::move(message));
}
// A host value that does not fit its type: the embedder's mistake.
inline Error mismatch(const ValType& t, const Val& v) {
  return Error::usage(std::string("canonical ABI: expected a value of type ") + to_string(t) +
                      ", got a " + to_string(v.kind));
}

inline Error wrong_handle_type(uint32_t i, const ResourceType* expected,
                               const ResourceType* found) {
  auto who = [](const ResourceType* rt) { return rt && rt->host_defined ? "host" : "guest"; };
  return trap("handle index " + std::to_string(i) + " used with the wrong type, expected " +
              who(expected) + "-defined resource but found a different " + who(found) +
              "-defined resource");
}

// Message texts. The reference tests (component-model-tests) match these
// substrings, some of which differ between a host call and a fused
// component-to-component call for the same condition, so one message
// carries both. Wasmtime raises the fused-call ones from generated wasm
// code, hence their "wasm trap: " prefix, which the tests include.
inline constexpr const char* kUnaligned = "wasm trap: unaligned pointer";
inline constexpr const char* kReallocUnaligned =
    "wasm trap: unaligned pointer: realloc return: result not aligned";
inline constexpr const char* kReallocOob = "realloc return: beyond end of memory";
inline constexpr const char* kListOobPrefix = "wasm trap: list content out-of-bounds";
inline constexpr const char* kListOob =
    "wasm trap: list content out-of-bounds: list pointer/length out of bounds of memory";
inline constexpr const char* kStringOob =
    "string content out-of-bounds: string pointer/length out of bounds of memory";
inline constexpr const char* kCannotLeave = "cannot leave component instance";
inline constexpr const char* kCannotEnter = "cannot enter component instance";

}  // namespace weft::component::abi::detail
