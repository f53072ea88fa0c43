// weft — the one result type used across the engine and its embedders.
//
// No exceptions on the request path: every fallible operation returns
// Result<T>, which holds either a T or an Error. An Error carries the stage
// that failed (malformed binary, invalid module, link, trap, ...), a message,
// and — for decode/validate errors — the byte offset and function index.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

enum class ErrorKind : uint8_t {
  Malformed,  // the bytes are not a well-formed binary (decoder)
  Invalid,    // well-formed but fails validation (validator)
  Link,       // unknown import / incompatible import type
  Trap,       // a wasm trap (see Error::trap)
  Limit,      // an embedder limit was hit (memory cap, table cap, ...)
  Io,         // host I/O failure (reading a file, ...)
  Usage,      // bad arguments from the embedder or the command line
};

const char* to_string(ErrorKind kind);

enum class TrapKind : uint8_t {
  Unreachable,               // "unreachable"
  MemoryOutOfBounds,         // "out of bounds memory access"
  TableOutOfBounds,          // "out of bounds table access"
  UninitializedElement,      // "uninitialized element"
  IndirectCallTypeMismatch,  // "indirect call type mismatch"
  IntegerDivideByZero,       // "integer divide by zero"
  IntegerOverflow,           // "integer overflow"
  InvalidConversion,         // "invalid conversion to integer"
  StackExhausted,            // "call stack exhausted"
  Interrupted,               // interrupt flag raised (timeouts)
  OutOfFuel,                 // fuel ran out
  MemoryLimit,               // the store's memory cap was exceeded
  HostError,                 // a host function failed
  Exit,                      // proc_exit: not an error, carries exit_code
  UncaughtException,         // "uncaught exception": a wasm throw no handler caught
  NullReference,             // "null exception reference" (throw_ref of null)
};

// The spec's canonical message for a trap kind (used by the wast runner).
const char* trap_message(TrapKind kind);

struct FrameInfo {
  uint32_t func_index = 0;
  std::string func_name;    // from the name section; empty if unknown
  std::string module_name;  // from the name section; empty if unknown
};

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;
  std::vector<FrameInfo> backtrace;  // innermost frame first
  int exit_code = 0;                 // only for TrapKind::Exit
  // Only for TrapKind::UncaughtException: the exception (an exnref in slot
  // encoding, owned by the store it was thrown in). When a host function
  // returns this error to wasm code of that store, the exception goes on
  // unwinding there, so a throw crosses host frames.
  uint64_t exception = 0;

  // "trap: <message>\n  0: func[3] <name>\n  ..."
  std::string to_string() const;
};

struct Error {
  static constexpr uint64_t kNoOffset = std::numeric_limits<uint64_t>::max();

  ErrorKind kind = ErrorKind::Usage;
  std::string message;
  uint64_t offset = kNoOffset;                // byte offset in the module
  std::optional<uint32_t> function_index;     // for validation errors
  std::shared_ptr<Trap> trap;                 // set iff kind == Trap

  static Error malformed(uint64_t offset, std::string message);
  static Error invalid(uint64_t offset, std::string message,
                       std::optional<uint32_t> function_index = std::nullopt);
  static Error link(std::string message);
  static Error limit(std::string message);
  static Error io(std::string message);
  static Error usage(std::string message);
  static Error from_trap(Trap trap);
  static Error make_trap(TrapKind kind, std::string message = {});
  static Error exit(int code);

  bool is_trap() const { return kind == ErrorKind::Trap; }
  // "malformed at byte 0x1f: unexpected end" /
  // "invalid in function 3 at byte 0x2a: type mismatch" / trap text.
  std::string to_string() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace weft
