// A spec test script (.wast) as a list of commands. Two producers fill it:
// the JSON written by wabt's wast2json (src/cli/wast_json.cpp) and weft's own
// text parser (src/wasm/text/wast_parser.h). `weft wast` runs it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weft/component_value.h"
#include "weft/weft.h"

namespace weft::wast {

// A module as the script gives it.
struct ModuleSource {
  enum class Kind : uint8_t {
    Binary,  // `bytes` holds a binary module (from text, (module binary ...), or a .wasm file)
    Quote,   // `text` holds WAT source from (module quote ...) or a wast2json .wat file;
             // only meaningful if a text parser is available
  };
  Kind kind = Kind::Binary;
  std::vector<uint8_t> bytes;
  std::string text;  // a (component quote ...) is wrapped: "(component ...)"
  // A component rather than a core module: (component ...), (component binary
  // ...), (component quote ...), also under the assertions.
  bool is_component = false;
};

struct Action {
  enum class Kind : uint8_t { Invoke, Get };
  Kind kind = Kind::Invoke;
  std::optional<std::string> module;  // $name of a registered/defined module; nullopt = current
  std::string field;                  // export name
  std::vector<Value> args;            // Invoke only
  // The same arguments as component values. Which syntax they parse as:
  // core only ((i32.const ..), ref.*), component only ((u32.const ..),
  // (str.const ..), ...), or both ((f32.const ..), or no arguments); `args`
  // and `component_args` are filled for each that holds, and the runner
  // picks by the kind of the target.
  std::vector<component::Val> component_args;
  bool args_are_core = true;
  bool args_are_component = true;
};

struct Expected {
  enum class Kind : uint8_t {
    Exact,          // bits compare equal (floats bitwise, NaN payload included)
    CanonicalNan,   // nan:canonical
    ArithmeticNan,  // nan:arithmetic
    RefNull,        // ref.null of `type`
    RefNonNull,     // (ref.func) with no index / any non-null reference
    RefExtern,      // (ref.extern N): value.bits == N + 1
  };
  Kind kind = Kind::Exact;
  Value value;  // type and (for Exact/RefExtern) bits
};

struct Command {
  enum class Kind : uint8_t {
    Module,            // define (and instantiate: see `instantiation`) `module`, optionally named
    Register,          // register module `name` (or current) as `as`
    Action,            // bare action
    AssertReturn,      // action, expected
    AssertTrap,        // action (or module: assert_trap on a module = uninstantiable), text
    AssertExhaustion,  // action, text
    AssertException,   // action: it must throw a wasm exception that nothing catches
    AssertMalformed,   // module, text
    AssertInvalid,     // module, text
    AssertUnlinkable,  // module, text
    AssertUninstantiable,  // module, text
  };
  // How a Module command instantiates (the kinds of the scripts that only
  // define a module are Module commands too, so older runners still see one):
  enum class Instantiation : uint8_t {
    Now,         // (module ...) / (component ...): define and instantiate
    Definition,  // (module definition $name? ...) / (component definition ...): define
                 // `module` as `name` without instantiating it
    Instance,    // (module instance $name? $def) / (component instance ...): instantiate
                 // the definition `definition` as `name`; `module` is empty except
                 // for is_component
  };
  Kind kind = Kind::Module;
  Instantiation instantiation = Instantiation::Now;
  std::optional<std::string> definition;  // Instance: the definition's $name
  uint32_t line = 0;
  std::optional<std::string> name;  // Module: its $name; Register: module to register
  std::string as;                   // Register
  ModuleSource module;
  Action action;
  std::vector<Expected> expected;
  // AssertReturn: the results as component values, and which syntaxes the
  // results parse as (as for Action's arguments).
  std::vector<component::Val> component_expected;
  bool expected_are_core = true;
  bool expected_are_component = true;
  std::string text;  // expected failure message
};

struct Script {
  std::string filename;
  std::vector<Command> commands;
};

const char* to_string(Command::Kind kind);

}  // namespace weft::wast
