// Error/trap texts shared by every stage. The trap messages are the spec
// test suite's canonical strings, so the wast runner can compare them.
#include "weft/result.h"

#include <cstdio>

namespace weft {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Malformed:
      return "malformed";
    case ErrorKind::Invalid:
      return "invalid";
    case ErrorKind::Link:
      return "link error";
    case ErrorKind::Trap:
      return "trap";
    case ErrorKind::Limit:
      return "limit exceeded";
    case ErrorKind::Io:
      return "i/o error";
    case ErrorKind::Usage:
      return "usage error";
  }
  return "error";
}

const char* trap_message(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable:
      return "unreachable";
    case TrapKind::MemoryOutOfBounds:
      return "out of bounds memory access";
    case TrapKind::TableOutOfBounds:
      return "out of bounds table access";
    case TrapKind::UninitializedElement:
      return "uninitialized element";
    case TrapKind::IndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapKind::IntegerDivideByZero:
      return "integer divide by zero";
    case TrapKind::IntegerOverflow:
      return "integer overflow";
    case TrapKind::InvalidConversion:
      return "invalid conversion to integer";
    case TrapKind::StackExhausted:
      return "call stack exhausted";
    case TrapKind::Interrupted:
      return "interrupted";
    case TrapKind::OutOfFuel:
      return "out of fuel";
    case TrapKind::MemoryLimit:
      return "memory limit exceeded";
    case TrapKind::HostError:
      return "host error";
    case TrapKind::Exit:
      return "exit";
    case TrapKind::UncaughtException:
      return "uncaught exception";
    case TrapKind::NullReference:
      return "null exception reference";
  }
  return "trap";
}

std::string Trap::to_string() const {
  std::string out = "trap: ";
  out += message.empty() ? trap_message(kind) : message;
  if (kind == TrapKind::Exit) out += " (code " + std::to_string(exit_code) + ")";
  for (size_t i = 0; i < backtrace.size(); ++i) {
    const FrameInfo& frame = backtrace[i];
    out += "\n  " + std::to_string(i) + ": ";
    if (!frame.module_name.empty()) out += frame.module_name + "!";
    out += "func[" + std::to_string(frame.func_index) + "]";
    if (!frame.func_name.empty()) out += " " + frame.func_name;
  }
  return out;
}

Error Error::malformed(uint64_t offset, std::string message) {
  Error e;
  e.kind = ErrorKind::Malformed;
  e.offset = offset;
  e.message = std::move(message);
  return e;
}

Error Error::invalid(uint64_t offset, std::string message, std::optional<uint32_t> function_index) {
  Error e;
  e.kind = ErrorKind::Invalid;
  e.offset = offset;
  e.message = std::move(message);
  e.function_index = function_index;
  return e;
}

static Error simple(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

Error Error::link(std::string message) { return simple(ErrorKind::Link, std::move(message)); }
Error Error::limit(std::string message) { return simple(ErrorKind::Limit, std::move(message)); }
Error Error::io(std::string message) { return simple(ErrorKind::Io, std::move(message)); }
Error Error::usage(std::string message) { return simple(ErrorKind::Usage, std::move(message)); }

Error Error::from_trap(Trap trap) {
  Error e;
  e.kind = ErrorKind::Trap;
  if (trap.message.empty()) trap.message = trap_message(trap.kind);
  e.message = trap.message;
  e.trap = std::make_shared<Trap>(std::move(trap));
  return e;
}

Error Error::make_trap(TrapKind kind, std::string message) {
  Trap trap;
  trap.kind = kind;
  trap.message = message.empty() ? std::string(trap_message(kind)) : std::move(message);
  return from_trap(std::move(trap));
}

Error Error::exit(int code) {
  Trap trap;
  trap.kind = TrapKind::Exit;
  trap.exit_code = code;
  return from_trap(std::move(trap));
}

std::string Error::to_string() const {
  if (kind == ErrorKind::Trap && trap) return trap->to_string();
  std::string out = weft::to_string(kind);
  if (function_index) out += " in function " + std::to_string(*function_index);
  if (offset != kNoOffset) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " at byte 0x%llx", static_cast<unsigned long long>(offset));
    out += buf;
  }
  out += ": ";
  out += message;
  return out;
}

}  // namespace weft
