// Names and printing of the public value types (no runtime state here).
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "weft/weft.h"

namespace weft {

const char* to_string(ValType type) {
  switch (type) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::V128:
      return "v128";
    case ValType::FuncRef:
      return "funcref";
    case ValType::ExternRef:
      return "externref";
    case ValType::ExnRef:
      return "exnref";
  }
  return "<unknown type>";
}

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func:
      return "func";
    case ExternKind::Table:
      return "table";
    case ExternKind::Memory:
      return "memory";
    case ExternKind::Global:
      return "global";
    case ExternKind::Tag:
      return "tag";
  }
  return "<unknown kind>";
}

static std::string type_list(const std::vector<ValType>& types) {
  std::string out = "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) out += ", ";
    out += to_string(types[i]);
  }
  out += ")";
  return out;
}

std::string FuncType::to_string() const { return type_list(params) + " -> " + type_list(results); }

Value Value::f32(float v) { return {ValType::F32, std::bit_cast<uint32_t>(v)}; }
Value Value::f64(double v) { return {ValType::F64, std::bit_cast<uint64_t>(v)}; }
float Value::as_f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }
double Value::as_f64() const { return std::bit_cast<double>(bits); }

// Shortest text that reads back to the same float; NaNs show their payload
// because the spec tests distinguish canonical and arithmetic NaNs.
template <class F, class Bits>
static std::string float_text(F value, Bits raw, int mantissa_bits) {
  if (std::isnan(value)) {
    const Bits payload = raw & ((Bits{1} << mantissa_bits) - 1);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%snan:0x%llx", std::signbit(value) ? "-" : "",
                  static_cast<unsigned long long>(payload));
    return buf;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

std::string Value::to_string() const {
  std::string out = weft::to_string(type);
  out += ":";
  switch (type) {
    case ValType::I32:
      out += std::to_string(as_i32());
      break;
    case ValType::I64:
      out += std::to_string(as_i64());
      break;
    case ValType::F32:
      out += float_text(as_f32(), static_cast<uint32_t>(bits), 23);
      break;
    case ValType::F64:
      out += float_text(as_f64(), bits, 52);
      break;
    case ValType::V128:
      out += "<v128>";
      break;
    case ValType::FuncRef:
    case ValType::ExnRef:
      if (is_null()) {
        out += "null";
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bits));
        out += buf;
      }
      break;
    case ValType::ExternRef:
      out += is_null() ? std::string("null") : std::to_string(extern_payload());
      break;
  }
  return out;
}

ExternKind kind_of(const Extern& ext) {
  // The variant's alternatives are declared in ExternKind order.
  return static_cast<ExternKind>(ext.index());
}

}  // namespace weft
