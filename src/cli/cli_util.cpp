#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "cli/cli.h"
#include "wasm/binary/reader.h"

namespace weft::cli {
namespace {

// Files bigger than this are refused rather than read into memory.
constexpr uint64_t kMaxFileBytes = 1ull << 30;

template <class Container>
Result<Container> read_whole_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Error::io(path + ": cannot open: " + std::strerror(errno));
  }
  Container data;
  char buffer[1 << 16];
  for (;;) {
    size_t got = std::fread(buffer, 1, sizeof buffer, file);
    if (got > 0) {
      if (data.size() + got > kMaxFileBytes) {
        std::fclose(file);
        return Error::io(path + ": file is larger than 1 GiB");
      }
      data.insert(data.end(), buffer, buffer + got);
    }
    if (got < sizeof buffer) break;
  }
  bool failed = std::ferror(file) != 0;
  int saved_errno = errno;
  std::fclose(file);
  if (failed) {
    return Error::io(path + ": read error: " + std::strerror(saved_errno));
  }
  return data;
}

bool starts_with_hex_prefix(std::string_view text) {
  return text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
}

// Parses an unsigned magnitude (decimal or 0x hex) that must fit `max`.
std::optional<uint64_t> parse_magnitude(std::string_view text, uint64_t max) {
  int base = 10;
  if (starts_with_hex_prefix(text)) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// Integers: "-N" down to the signed minimum, otherwise up to the unsigned
// maximum (so both -1 and 4294967295 mean the same i32).
std::optional<uint64_t> parse_integer(std::string_view text, unsigned bits) {
  uint64_t unsigned_max = bits == 64 ? std::numeric_limits<uint64_t>::max() : (1ull << bits) - 1;
  uint64_t mask = unsigned_max;
  if (!text.empty() && text[0] == '-') {
    auto magnitude = parse_magnitude(text.substr(1), 1ull << (bits - 1));
    if (!magnitude) return std::nullopt;
    return (0 - *magnitude) & mask;
  }
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  return parse_magnitude(text, unsigned_max);
}

template <class Float, class Bits>
std::optional<Bits> parse_float_bits(std::string_view text) {
  constexpr int kMantissaBits = std::numeric_limits<Float>::digits - 1;
  constexpr Bits kSignBit = Bits{1} << (sizeof(Bits) * 8 - 1);
  constexpr Bits kExponentMask = (~Bits{0} >> 1) & ~((Bits{1} << kMantissaBits) - 1);
  constexpr Bits kQuietBit = Bits{1} << (kMantissaBits - 1);
  constexpr Bits kPayloadMask = (Bits{1} << kMantissaBits) - 1;

  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  Bits sign = negative ? kSignBit : 0;
  if (text == "inf" || text == "infinity") return sign | kExponentMask;
  if (text == "nan") return sign | kExponentMask | kQuietBit;
  if (text.starts_with("nan:")) {
    auto payload = parse_magnitude(text.substr(4), kPayloadMask);
    if (!payload || *payload == 0) return std::nullopt;
    return sign | kExponentMask | static_cast<Bits>(*payload);
  }
  if (text.empty()) return std::nullopt;
  auto format = std::chars_format::general;
  if (starts_with_hex_prefix(text)) {
    text.remove_prefix(2);
    format = std::chars_format::hex;
  }
  Float value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, format);
  // out-of-range literals round to infinity, as in the text format
  if (ec == std::errc::result_out_of_range) {
    value = std::numeric_limits<Float>::infinity();
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  if (end != text.data() + text.size()) return std::nullopt;
  Bits bits;
  static_assert(sizeof bits == sizeof value);
  std::memcpy(&bits, &value, sizeof bits);
  return (bits & ~kSignBit) | sign;
}

template <class Float, class Bits>
std::string format_float_bits(Bits bits) {
  constexpr int kMantissaBits = std::numeric_limits<Float>::digits - 1;
  constexpr Bits kSignBit = Bits{1} << (sizeof(Bits) * 8 - 1);
  constexpr Bits kQuietBit = Bits{1} << (kMantissaBits - 1);
  constexpr Bits kPayloadMask = (Bits{1} << kMantissaBits) - 1;
  Float value;
  std::memcpy(&value, &bits, sizeof bits);
  std::string sign = (bits & kSignBit) ? "-" : "";
  if (std::isnan(value)) {
    Bits payload = bits & kPayloadMask;
    if (payload == kQuietBit) return sign + "nan";
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(payload));
    return sign + "nan:0x" + hex;
  }
  if (std::isinf(value)) return sign + "inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

std::string format_ref(const Value& value) {
  if (value.is_null()) return "ref.null";
  if (value.type == ValType::ExternRef)
    return "ref.extern " + std::to_string(value.extern_payload());
  if (value.type == ValType::ExnRef) return "ref.exn";
  return "ref.func";
}

}  // namespace

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  return read_whole_file<std::vector<uint8_t>>(path);
}

Result<std::string> read_file_text(const std::string& path) {
  return read_whole_file<std::string>(path);
}

Result<std::shared_ptr<const Module>> load_module(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return bytes.error();
  auto module = Module::compile(*bytes);  // a .cwasm too
  if (!module) {
    Error error = module.error();
    error.message = path + ": " + error.to_string();
    error.offset = Error::kNoOffset;  // already part of the message
    error.function_index.reset();
    return error;
  }
  return module;
}

Result<Value> parse_value(ValType type, std::string_view text) {
  auto bad = [&]() -> Error {
    return Error::usage("cannot parse '" + std::string(text) + "' as " + to_string(type));
  };
  switch (type) {
    case ValType::I32: {
      auto bits = parse_integer(text, 32);
      if (!bits) return bad();
      return Value{ValType::I32, *bits};
    }
    case ValType::I64: {
      auto bits = parse_integer(text, 64);
      if (!bits) return bad();
      return Value{ValType::I64, *bits};
    }
    case ValType::F32: {
      auto bits = parse_float_bits<float, uint32_t>(text);
      if (!bits) return bad();
      return Value::f32_bits(*bits);
    }
    case ValType::F64: {
      auto bits = parse_float_bits<double, uint64_t>(text);
      if (!bits) return bad();
      return Value::f64_bits(*bits);
    }
    case ValType::FuncRef:
    case ValType::ExternRef:
    case ValType::ExnRef: {
      if (text == "null" || text == "ref.null") return Value::null(type);
      if (type == ValType::ExternRef) {
        auto payload = parse_magnitude(text, std::numeric_limits<uint64_t>::max() - 1);
        if (!payload) return bad();
        return Value::extern_ref(*payload);
      }
      return bad();
    }
    case ValType::V128:
      break;
  }
  return Error::usage(std::string("arguments of type ") + to_string(type) + " are not supported");
}

std::string format_value(const Value& value) {
  switch (value.type) {
    case ValType::I32:
      return std::to_string(value.as_i32());
    case ValType::I64:
      return std::to_string(value.as_i64());
    case ValType::F32:
      return format_float_bits<float, uint32_t>(static_cast<uint32_t>(value.bits));
    case ValType::F64:
      return format_float_bits<double, uint64_t>(value.bits);
    case ValType::FuncRef:
    case ValType::ExternRef:
    case ValType::ExnRef:
      return format_ref(value);
    case ValType::V128:
      break;
  }
  return "v128";
}

std::string describe_value(const Value& value) {
  char hex[32];
  switch (value.type) {
    case ValType::I32:
      std::snprintf(hex, sizeof hex, "0x%08x", value.as_u32());
      return "i32:" + std::to_string(value.as_i32()) + " (" + hex + ")";
    case ValType::I64:
      std::snprintf(hex, sizeof hex, "0x%016llx", static_cast<unsigned long long>(value.bits));
      return "i64:" + std::to_string(value.as_i64()) + " (" + hex + ")";
    case ValType::F32:
      std::snprintf(hex, sizeof hex, "0x%08x", value.as_u32());
      return "f32:" + format_value(value) + " (" + hex + ")";
    case ValType::F64:
      std::snprintf(hex, sizeof hex, "0x%016llx", static_cast<unsigned long long>(value.bits));
      return "f64:" + format_value(value) + " (" + hex + ")";
    case ValType::FuncRef:
      return "funcref:" + format_value(value);
    case ValType::ExternRef:
      return "externref:" + format_value(value);
    case ValType::ExnRef:
      return "exnref:" + format_value(value);
    case ValType::V128:
      break;
  }
  return "v128";
}

}  // namespace weft::cli
