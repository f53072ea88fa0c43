// wast2json output → wast::Script.
//
// wast2json writes one JSON file listing the commands and one .wasm (or
// .wat, for quoted text modules) per module. Values are given as the
// decimal of their unsigned bit pattern, or "nan:canonical" /
// "nan:arithmetic" for expected NaNs, and "null" for null references.
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cli.h"
#include "cli/wast_script.h"

namespace weft::cli {
namespace {

using nlohmann::json;
using wast::Command;
using wast::Expected;

// A command that cannot be loaded: the message says why.
struct LoadError {
  std::string message;
};

template <class T>
using Loaded = std::variant<T, LoadError>;

std::string string_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<ValType> parse_type(const std::string& name) {
  if (name == "i32") return ValType::I32;
  if (name == "i64") return ValType::I64;
  if (name == "f32") return ValType::F32;
  if (name == "f64") return ValType::F64;
  if (name == "funcref") return ValType::FuncRef;
  if (name == "externref") return ValType::ExternRef;
  if (name == "v128") return ValType::V128;
  return std::nullopt;
}

std::optional<uint64_t> parse_decimal(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// One value or expectation. `allow_patterns` admits the NaN patterns and
// non-null funcref expectations that only results may use.
Loaded<Expected> parse_json_value(const json& item, bool allow_patterns) {
  if (!item.is_object()) return LoadError{"value is not an object"};
  std::string type_name = string_field(item, "type");
  auto type = parse_type(type_name);
  if (!type) return LoadError{"unknown value type '" + type_name + "'"};
  if (*type == ValType::V128) return LoadError{"v128 values are not supported (no SIMD)"};

  Expected expected;
  expected.value.type = *type;
  auto value_it = item.find("value");
  if (value_it == item.end() || !value_it->is_string()) {
    // wast2json writes (ref.func) without an index as a bare funcref.
    if (is_ref(*type) && allow_patterns) {
      expected.kind = Expected::Kind::RefNonNull;
      return expected;
    }
    return LoadError{"value of type " + type_name + " has no value"};
  }
  std::string text = value_it->get<std::string>();

  if (is_ref(*type)) {
    if (text == "null") {
      expected.kind = Expected::Kind::RefNull;
      return expected;
    }
    auto payload = parse_decimal(text);
    if (!payload || *payload == UINT64_MAX) return LoadError{"bad reference value '" + text + "'"};
    if (*type == ValType::FuncRef) {
      if (!allow_patterns) return LoadError{"a funcref argument must be null"};
      expected.kind = Expected::Kind::RefNonNull;
      return expected;
    }
    expected.kind = Expected::Kind::RefExtern;
    expected.value = Value::extern_ref(*payload);
    return expected;
  }

  bool is_float = *type == ValType::F32 || *type == ValType::F64;
  if (is_float && (text == "nan:canonical" || text == "nan:arithmetic")) {
    if (!allow_patterns) return LoadError{"a NaN pattern cannot be an argument"};
    expected.kind =
        text == "nan:canonical" ? Expected::Kind::CanonicalNan : Expected::Kind::ArithmeticNan;
    return expected;
  }
  auto bits = parse_decimal(text);
  bool narrow = *type == ValType::I32 || *type == ValType::F32;
  if (!bits || (narrow && *bits > UINT32_MAX)) {
    return LoadError{"bad " + type_name + " value '" + text + "'"};
  }
  expected.kind = Expected::Kind::Exact;
  expected.value.bits = *bits;
  return expected;
}

Loaded<wast::Action> parse_action(const json& command) {
  auto it = command.find("action");
  if (it == command.end() || !it->is_object()) return LoadError{"command has no action"};
  const json& action_json = *it;
  wast::Action action;
  std::string type = string_field(action_json, "type");
  if (type == "invoke") {
    action.kind = wast::Action::Kind::Invoke;
  } else if (type == "get") {
    action.kind = wast::Action::Kind::Get;
  } else {
    return LoadError{"unknown action type '" + type + "'"};
  }
  action.field = string_field(action_json, "field");
  if (auto module_it = action_json.find("module");
      module_it != action_json.end() && module_it->is_string()) {
    action.module = module_it->get<std::string>();
  }
  if (auto args = action_json.find("args"); args != action_json.end() && args->is_array()) {
    for (const json& arg : *args) {
      auto value = parse_json_value(arg, /*allow_patterns=*/false);
      if (auto* error = std::get_if<LoadError>(&value)) return *error;
      action.args.push_back(std::get<Expected>(value).value);
    }
  }
  return action;
}

Loaded<wast::ModuleSource> load_module_source(const json& command, const std::string& dir) {
  std::string filename = string_field(command, "filename");
  if (filename.empty()) return LoadError{"command names no module file"};
  if (filename.find('/') != std::string::npos || filename == "..") {
    return LoadError{"module file '" + filename + "' is not beside the script"};
  }
  std::string path = dir + filename;
  wast::ModuleSource source;
  bool is_text = string_field(command, "module_type") == "text" ||
                 (filename.size() > 4 && filename.ends_with(".wat"));
  if (is_text) {
    auto text = read_file_text(path);
    if (!text) return LoadError{text.error().message};
    source.kind = wast::ModuleSource::Kind::Quote;
    source.text = std::move(*text);
  } else {
    auto bytes = read_file_bytes(path);
    if (!bytes) return LoadError{bytes.error().message};
    source.kind = wast::ModuleSource::Kind::Binary;
    source.bytes = std::move(*bytes);
  }
  return source;
}

std::optional<Command::Kind> command_kind(const std::string& type) {
  if (type == "module") return Command::Kind::Module;
  if (type == "register") return Command::Kind::Register;
  if (type == "action") return Command::Kind::Action;
  if (type == "assert_return") return Command::Kind::AssertReturn;
  if (type == "assert_trap") return Command::Kind::AssertTrap;
  if (type == "assert_exhaustion") return Command::Kind::AssertExhaustion;
  if (type == "assert_exception") return Command::Kind::AssertException;
  if (type == "assert_malformed") return Command::Kind::AssertMalformed;
  if (type == "assert_invalid") return Command::Kind::AssertInvalid;
  if (type == "assert_unlinkable") return Command::Kind::AssertUnlinkable;
  if (type == "assert_uninstantiable") return Command::Kind::AssertUninstantiable;
  return std::nullopt;
}

Loaded<Command> parse_command(const json& item, const std::string& dir) {
  if (!item.is_object()) return LoadError{"command is not an object"};
  std::string type = string_field(item, "type");
  auto kind = command_kind(type);
  if (!kind) return LoadError{"unknown command '" + type + "'"};
  Command command;
  command.kind = *kind;
  command.text = string_field(item, "text");
  if (auto name = item.find("name"); name != item.end() && name->is_string()) {
    command.name = name->get<std::string>();
  }

  switch (command.kind) {
    case Command::Kind::Module:
    case Command::Kind::AssertMalformed:
    case Command::Kind::AssertInvalid:
    case Command::Kind::AssertUnlinkable:
    case Command::Kind::AssertUninstantiable: {
      auto source = load_module_source(item, dir);
      if (auto* error = std::get_if<LoadError>(&source)) return *error;
      command.module = std::move(std::get<wast::ModuleSource>(source));
      break;
    }
    case Command::Kind::Register:
      command.as = string_field(item, "as");
      if (command.as.empty()) return LoadError{"register without a name"};
      break;
    case Command::Kind::Action:
    case Command::Kind::AssertReturn:
    case Command::Kind::AssertTrap:
    case Command::Kind::AssertExhaustion:
    case Command::Kind::AssertException: {
      auto action = parse_action(item);
      if (auto* error = std::get_if<LoadError>(&action)) return *error;
      command.action = std::move(std::get<wast::Action>(action));
      if (command.kind == Command::Kind::AssertReturn) {
        auto expected = item.find("expected");
        if (expected == item.end() || !expected->is_array()) {
          return LoadError{"assert_return without expected results"};
        }
        for (const json& result : *expected) {
          auto value = parse_json_value(result, /*allow_patterns=*/true);
          if (auto* error = std::get_if<LoadError>(&value)) return *error;
          command.expected.push_back(std::get<Expected>(value));
        }
      }
      break;
    }
  }
  return command;
}

}  // namespace

Result<LoadedScript> load_wast_json(const std::string& path) {
  auto text = read_file_text(path);
  if (!text) return text.error();
  json document = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return Error::usage(path + ": not a wast2json JSON file");
  }
  auto commands = document.find("commands");
  if (commands == document.end() || !commands->is_array()) {
    return Error::usage(path + ": no \"commands\" array");
  }

  std::string dir;
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash + 1);

  LoadedScript loaded;
  loaded.script.filename = string_field(document, "source_filename");
  if (loaded.script.filename.empty()) loaded.script.filename = path;
  for (const json& item : *commands) {
    uint32_t line = 0;
    if (item.is_object()) {
      auto line_it = item.find("line");
      if (line_it != item.end() && line_it->is_number_unsigned()) {
        line = static_cast<uint32_t>(line_it->get<uint64_t>());
      }
    }
    auto command = parse_command(item, dir);
    if (auto* error = std::get_if<LoadError>(&command)) {
      ScriptProblem problem;
      problem.position = loaded.script.commands.size();
      problem.line = line;
      problem.message = error->message;
      problem.is_module = item.is_object() && string_field(item, "type") == "module";
      if (problem.is_module && item.contains("name") && item["name"].is_string()) {
        problem.name = item["name"].get<std::string>();
      }
      loaded.problems.push_back(std::move(problem));
      continue;
    }
    std::get<Command>(command).line = line;
    loaded.script.commands.push_back(std::move(std::get<Command>(command)));
  }
  return loaded;
}

}  // namespace weft::cli
