// weft — running raw wasm-bindgen modules without JavaScript.
//
// `cargo build --target wasm32-unknown-unknown` of a `#[wasm_bindgen]`
// crate gives a module that expects the wasm-bindgen CLI's generated glue:
// it imports intrinsics from `__wbindgen_placeholder__` and exports each
// function with a calling convention that only its descriptor tells
// (strings as pointer and length in the guest's malloc'd memory, returns
// through a pointer, Result<T, JsValue> as a tagged struct). This stage
// reads the descriptors by running the module's `__wbindgen_describe_*`
// exports in weft's engine, provides the intrinsics (a JsValue heap per
// instance), and calls exports with strings, numbers and booleans.
//
// What is supported, and what is refused at start-up with its name:
//   * wasm-bindgen 0.2.83 (Debian 12) through 0.2.12x descriptor tables,
//     chosen from the module's __wasm_bindgen_unstable section and
//     confirmed by decoding every descriptor exactly;
//   * malloc/realloc/free with or without the alignment argument (0.2.87);
//   * arguments: &str, String, Option of either, integers, floats, bool,
//     char; returns: those, (), JsValue, Option<String>, Result<T, JsValue>;
//   * intrinsics: describe, string_new, number_new, error_new, throw,
//     rethrow, object_clone_ref, object_drop_ref, is_undefined, is_null,
//     is_string, boolean_get, and the externref table helpers; their
//     self-hosted `__wbg___wbindgen_NAME_<hash>` forms where the wasm type
//     matches. Anything else (js-sys imports, describe_cast) is refused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bindgen/descriptor.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::bindgen {

// A JavaScript value, as far as these functions make or take one.
struct JsValue {
  enum class Kind : uint8_t { Undefined, Null, Bool, Number, BigInt, String, Error };
  Kind kind = Kind::Undefined;
  bool boolean = false;
  double number = 0;
  std::string text;  // String: the string; Error: its message; BigInt: its digits

  static JsValue undefined() { return {}; }
  static JsValue null();
  static JsValue of_bool(bool b);
  static JsValue of_number(double n);
  static JsValue big_int(std::string digits);
  static JsValue string(std::string s);
  static JsValue error(std::string message);
  // JavaScript's String(value): "undefined", "1.5", "Error: bad input".
  std::string to_display() const;
};

struct Limits {
  uint64_t memory_bytes = 128ull << 20;
  // The describe exports (and the module's start function) run under this
  // much fuel in all (calls + loop back-edges), each may emit this many
  // codes: a descriptor is a few dozen codes, so these stop only hostile
  // modules. JsValue strings are held to memory_bytes too.
  uint64_t describe_fuel = 10'000'000;
  size_t max_descriptor_codes = 1 << 16;
  size_t max_total_descriptor_codes = 1 << 20;  // over all of a module's exports
  // A returned string longer than this is an error, not a copy.
  uint64_t max_return_bytes = 32ull << 20;
  // Live JsValues per instance.
  size_t max_heap_values = 1 << 20;
};

// An export's calling convention, worked out from its descriptor and
// checked against its core type at start-up.
struct ExportedFunction {
  std::string name;
  FunctionDesc desc;
  FuncType core_type;
  bool returns_through_pointer = false;  // the first core parameter is a return pointer
};

// How the module's allocator is called, from the exports' types.
struct AllocatorAbi {
  bool malloc_takes_align = false;  // __wbindgen_malloc(size, align): 0.2.87 on
  bool realloc_present = false;
  bool free_present = false;
  bool free_takes_align = false;
};

class BindgenModule {
 public:
  // A module built by wasm-bindgen: it exports __wbindgen_describe_* or
  // imports from __wbindgen_placeholder__.
  static bool looks_like_bindgen(const Module& module);

  // Reads the version, resolves every import to an intrinsic, runs the
  // describe exports and decodes them. `name` (the file) starts each error:
  // "app.wasm: export \"f\": descriptor truncated after 3 codes".
  static Result<std::shared_ptr<const BindgenModule>> inspect(std::shared_ptr<const Module> module,
                                                              std::span<const uint8_t> bytes,
                                                              const std::string& name,
                                                              const Limits& limits = {});

  const std::string& name() const { return name_; }
  // "0.2.83", or "" when the module carries no version (stripped).
  const std::string& version() const { return version_; }
  const TagTable& tags() const { return tags_; }
  const AllocatorAbi& allocator() const { return allocator_; }
  const std::vector<ExportedFunction>& functions() const { return functions_; }
  const ExportedFunction* function(std::string_view name) const;
  const std::shared_ptr<const Module>& module() const { return module_; }
  const Limits& limits() const { return limits_; }

  struct Impl;  // the imports, resolved to intrinsics
  const Impl& impl() const { return *impl_; }
  ~BindgenModule();

 private:
  BindgenModule() = default;
  std::string name_;
  std::string version_;
  TagTable tags_;
  AllocatorAbi allocator_;
  std::vector<ExportedFunction> functions_;
  std::shared_ptr<const Module> module_;
  Limits limits_;
  std::unique_ptr<Impl> impl_;
};

// What a call gave back.
struct CallOutcome {
  enum class Kind : uint8_t {
    Ok,      // `value` is the return value (undefined for ())
    Err,     // a Result's Err: `value` is the JsValue
    Thrown,  // __wbindgen_throw / rethrow: `value` is what was thrown
  };
  Kind kind = Kind::Ok;
  JsValue value;
};

// One instance with its JsValue heap, in a store the caller owns (its
// memory cap and interrupt handle apply).
class BindgenInstance {
 public:
  static Result<std::unique_ptr<BindgenInstance>> create(
      Store& store, std::shared_ptr<const BindgenModule> module);
  ~BindgenInstance();

  // Calls `name` with one JsValue per argument, converted by the
  // descriptor's types (a String argument must be a string, a number a
  // number...). Traps come back as errors; a throw as Kind::Thrown.
  Result<CallOutcome> call(std::string_view name, std::span<const JsValue> args);

  // Live values on the JsValue heap (tests check that drops balance).
  size_t live_values() const;

  struct State;

 private:
  BindgenInstance() = default;
  std::shared_ptr<const BindgenModule> module_;
  Instance instance_;
  std::shared_ptr<State> state_;
};

// Whether weft can call `f`: its descriptor's types have a known calling
// convention and it matches the export's core type. The error prints the
// signature read from the descriptor.
Result<void> callable(const ExportedFunction& f);

bool is_valid_utf8(std::string_view text);

// Parses a command-line argument as the descriptor's type: a string is
// taken as is; numbers, bools and chars are parsed. Errors say what was
// expected.
Result<JsValue> parse_argument(const TypeDesc& type, std::string_view text);

}  // namespace weft::bindgen
