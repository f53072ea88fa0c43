// Runs a spec script: every command is guarded, so a trap or an error in
// one never stops the script. All modules share one Store, because the
// spec's linking tests share tables and memories across instances.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/wast_script.h"
#include "weft/component.h"

namespace weft::cli {
namespace {

using component::Val;
using wast::Command;
using wast::Expected;

// Generous for the spec scripts, but bounded so a runaway script cannot
// take the machine's memory.
StoreLimits spec_store_limits() {
  StoreLimits limits;
  limits.max_memory_bytes = 1ull << 30;
  limits.max_table_elements = 10'000'000;
  limits.max_call_depth = 20'000;
  return limits;
}

// Interrupts the store when one command runs longer than its time limit,
// so an engine bug that loops forever fails that command instead of
// hanging the whole script.
class Watchdog {
 public:
  Watchdog(InterruptHandle handle, std::chrono::milliseconds timeout)
      : handle_(std::move(handle)), timeout_(timeout), thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void arm() {
    {
      std::lock_guard lock(mutex_);
      armed_ = true;
      deadline_ = std::chrono::steady_clock::now() + timeout_;
    }
    wake_.notify_one();
  }
  // Returns true if the command ran out of time.
  bool disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
    bool fired = fired_;
    fired_ = false;
    return fired;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        wake_.wait(lock);
        continue;
      }
      if (std::chrono::steady_clock::now() >= deadline_) {
        handle_.interrupt();
        fired_ = true;
        armed_ = false;
        continue;
      }
      wake_.wait_until(lock, deadline_);
    }
  }

  InterruptHandle handle_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool armed_ = false;
  bool fired_ = false;
  bool stop_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: starts after the fields it reads exist
};

// Both producers may or may not keep the `$` of a module name.
std::string module_key(const std::string& name) {
  return !name.empty() && name[0] == '$' ? name.substr(1) : name;
}

std::string describe_expected(const Expected& expected) {
  switch (expected.kind) {
    case Expected::Kind::Exact:
      return describe_value(expected.value);
    case Expected::Kind::CanonicalNan:
      return std::string(to_string(expected.value.type)) + ":nan:canonical";
    case Expected::Kind::ArithmeticNan:
      return std::string(to_string(expected.value.type)) + ":nan:arithmetic";
    case Expected::Kind::RefNull:
      return std::string(to_string(expected.value.type)) + ":ref.null";
    case Expected::Kind::RefNonNull:
      return std::string(to_string(expected.value.type)) + ":non-null";
    case Expected::Kind::RefExtern:
      return "externref:ref.extern " + std::to_string(expected.value.extern_payload());
  }
  return "?";
}

template <class List, class Describe>
std::string describe_list(const List& items, Describe describe) {
  std::string text = "(";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += ", ";
    text += describe(items[i]);
  }
  return text + ")";
}

bool is_32_bit(ValType type) { return type == ValType::I32 || type == ValType::F32; }

bool matches(const Expected& expected, const Value& actual) {
  const ValType type = expected.value.type;
  if (actual.type != type) return false;
  switch (expected.kind) {
    case Expected::Kind::Exact:
      if (is_32_bit(type)) return static_cast<uint32_t>(actual.bits) == expected.value.as_u32();
      return actual.bits == expected.value.bits;
    case Expected::Kind::CanonicalNan:
      if (type == ValType::F32) return (actual.bits & 0x7fffffffu) == 0x7fc00000u;
      if (type == ValType::F64) {
        return (actual.bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
      }
      return false;
    case Expected::Kind::ArithmeticNan:
      if (type == ValType::F32) return (actual.bits & 0x7fc00000u) == 0x7fc00000u;
      if (type == ValType::F64) {
        return (actual.bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
      }
      return false;
    case Expected::Kind::RefNull:
      return is_ref(type) && actual.bits == 0;
    case Expected::Kind::RefNonNull:
      return is_ref(type) && actual.bits != 0;
    case Expected::Kind::RefExtern:
      return type == ValType::ExternRef && actual.bits == expected.value.bits;
  }
  return false;
}

std::string error_text(const Error& error) {
  if (error.is_trap() && error.trap) return "trap: " + error.trap->message;
  return error.to_string();
}

// A trap's message, for comparing with the script's expected text.
std::string trap_text(const Error& error) {
  if (error.trap)
    return error.trap->message.empty() ? trap_message(error.trap->kind) : error.trap->message;
  return error.message;
}

class Runner {
 public:
  Runner(const LoadedScript& loaded, const WastOptions& options)
      : loaded_(loaded),
        options_(options),
        store_(spec_store_limits()),
        watchdog_(store_.interrupt_handle(), options.command_timeout) {
    define_spectest(linker_, store_);
  }

  WastCounts run() {
    const auto& commands = loaded_.script.commands;
    size_t next_problem = 0;
    for (size_t i = 0; i <= commands.size(); ++i) {
      while (next_problem < loaded_.problems.size() &&
             loaded_.problems[next_problem].position <= i) {
        report_problem(loaded_.problems[next_problem++]);
      }
      if (i < commands.size()) {
        watchdog_.arm();
        run_command(commands[i]);
        if (watchdog_.disarm()) {
          std::printf("%s:%u: note: interrupted after %lld ms\n", loaded_.script.filename.c_str(),
                      commands[i].line, static_cast<long long>(options_.command_timeout.count()));
        }
        store_.clear_interrupt();
      }
    }
    return counts_;
  }

 private:
  // An instance slot: a core instance or a component instance; nullopt
  // when the module failed, so later actions on it fail instead of running
  // against an older module.
  struct Target {
    std::optional<Instance> core;
    component::ComponentInstance component;
  };
  using Slot = std::optional<Target>;

  void report_problem(const ScriptProblem& problem) {
    fail_line(problem.line, "command", "cannot load: " + problem.message);
    if (problem.is_module) {
      current_ = Slot{};
      have_current_ = true;
      if (problem.name) named_[module_key(*problem.name)] = Slot{};
    }
  }

  void pass() { ++counts_.passed; }

  void fail_line(uint32_t line, const char* kind, const std::string& detail) {
    ++counts_.failed;
    std::printf("%s:%u: %s: %s\n", loaded_.script.filename.c_str(), line, kind, detail.c_str());
  }

  void fail(const Command& command, const std::string& detail) {
    fail_line(command.line, wast::to_string(command.kind), detail);
  }

  void note(const Command& command, const std::string& detail) {
    if (!options_.verbose) return;
    std::printf("%s:%u: %s: note: %s\n", loaded_.script.filename.c_str(), command.line,
                wast::to_string(command.kind), detail.c_str());
  }

  // Quoted text goes through the text parser first; either step failing
  // is reported as the error.
  Result<std::shared_ptr<const Module>> compile(const wast::ModuleSource& source) {
    if (source.kind == wast::ModuleSource::Kind::Binary) return Module::compile(source.bytes);
    if (!options_.wat_to_wasm) return Error::usage("no text parser for a quoted module");
    auto bytes = options_.wat_to_wasm(source.text);
    if (!bytes) return bytes.error();
    return Module::compile(*bytes);
  }

  Result<Instance> instantiate(const wast::ModuleSource& source) {
    auto module = compile(source);
    if (!module) return module.error();
    return linker_.instantiate(store_, *module);
  }

  Result<std::shared_ptr<const component::Component>> compile_component(
      const wast::ModuleSource& source) {
    if (source.kind == wast::ModuleSource::Kind::Binary)
      return component::Component::compile(source.bytes);
    if (!options_.wat_to_wasm) return Error::usage("no text parser for a quoted component");
    auto bytes = options_.wat_to_wasm(source.text);
    if (!bytes) return bytes.error();
    return component::Component::compile(*bytes);
  }

  Result<Target> target(const wast::Action& action) {
    if (action.module) {
      auto it = named_.find(module_key(*action.module));
      if (it == named_.end()) return Error::usage("unknown module " + *action.module);
      if (!it->second) return Error::usage("module " + *action.module + " failed to instantiate");
      return *it->second;
    }
    if (!have_current_) return Error::usage("no module defined before this action");
    if (!current_) return Error::usage("the current module failed to instantiate");
    return *current_;
  }

  Result<Instance> target_instance(const wast::Action& action) {
    auto t = target(action);
    if (!t) return t.error();
    if (!t->core) return Error::usage("the target is a component");
    return *t->core;
  }

  // An action on a component: nullopt when the target is a core instance.
  std::optional<Result<std::optional<Val>>> perform_component(const wast::Action& action) {
    auto t = target(action);
    if (!t || !t->component) return std::nullopt;
    if (action.kind != wast::Action::Kind::Invoke)
      return Result<std::optional<Val>>(Error::usage("`get` is not supported on components"));
    if (!action.args_are_component)
      return Result<std::optional<Val>>(Error::usage("the arguments are not component values"));
    return t->component.call(action.field, action.component_args);
  }

  static std::string describe_component_result(const Result<std::optional<Val>>& r) {
    if (!r) return error_text(r.error());
    return *r ? component::to_string(**r) : "()";
  }

  Result<std::vector<Value>> perform(const wast::Action& action) {
    auto t = target(action);
    if (!t) return t.error();
    if (!t->core) return Error::usage("the target is a component");
    auto instance = target_instance(action);
    if (!instance) return instance.error();
    if (action.kind == wast::Action::Kind::Get) {
      auto global = instance->get_global(action.field);
      if (!global) return Error::usage("no exported global '" + action.field + "'");
      return std::vector<Value>{global->get()};
    }
    auto func = instance->get_func(action.field);
    if (!func) return Error::usage("no exported function '" + action.field + "'");
    const FuncType& type = func->type();
    bool types_match = type.params.size() == action.args.size();
    for (size_t i = 0; types_match && i < action.args.size(); ++i) {
      types_match = type.params[i] == action.args[i].type;
    }
    if (!types_match) {
      return Error::usage("arguments " + describe_list(action.args, describe_value) +
                          " do not match " + type.to_string());
    }
    return func->call(action.args);
  }

  void run_command(const Command& command) {
    switch (command.kind) {
      case Command::Kind::Module:
        return run_module(command);
      case Command::Kind::Register:
        return run_register(command);
      case Command::Kind::Action:
        return run_action(command);
      case Command::Kind::AssertReturn:
        return run_assert_return(command);
      case Command::Kind::AssertTrap:
        if (is_module_form(command)) return run_assert_uninstantiable(command);
        return run_assert_trap(command);
      case Command::Kind::AssertExhaustion:
        return run_assert_exhaustion(command);
      case Command::Kind::AssertException:
        return run_assert_exception(command);
      case Command::Kind::AssertMalformed:
      case Command::Kind::AssertInvalid:
        return run_assert_rejected(command);
      case Command::Kind::AssertUnlinkable:
        return run_assert_unlinkable(command);
      case Command::Kind::AssertUninstantiable:
        return run_assert_uninstantiable(command);
    }
  }

  // (assert_trap (module ...) "...") carries a module instead of an action.
  static bool is_module_form(const Command& command) {
    return !command.module.bytes.empty() || !command.module.text.empty();
  }

  void run_module(const Command& command) {
    if (command.module.is_component || command.instantiation != Command::Instantiation::Now)
      return run_component_module(command);
    auto instance = instantiate(command.module);
    have_current_ = true;
    if (instance) {
      current_ = Target{*instance, {}};
    } else {
      current_ = Slot{};
      fail(command, "module failed: " + error_text(instance.error()));
    }
    if (command.name) named_[module_key(*command.name)] = current_;
  }

  // (component ...), (component definition $d ...), (component instance $i $d),
  // and the core `module definition`/`module instance` forms.
  void run_component_module(const Command& command) {
    using I = Command::Instantiation;
    if (command.instantiation == I::Instance) {
      auto it = command.definition ? definitions_.find(module_key(*command.definition))
                                   : definitions_.end();
      have_current_ = true;
      current_ = Slot{};
      if (it == definitions_.end()) {
        fail(command, "unknown definition " + command.definition.value_or("(none)"));
      } else if (!it->second.component && !it->second.core) {
        fail(command, "definition " + *command.definition + " failed to compile");
      } else if (it->second.component) {
        auto instance = component_linker_.instantiate(store_, it->second.component);
        if (instance) {
          current_ = Target{std::nullopt, *instance};
        } else {
          fail(command, "instantiation failed: " + error_text(instance.error()));
        }
      } else {
        auto instance = linker_.instantiate(store_, it->second.core);
        if (instance) {
          current_ = Target{*instance, {}};
        } else {
          fail(command, "instantiation failed: " + error_text(instance.error()));
        }
      }
      if (command.name) named_[module_key(*command.name)] = current_;
      return;
    }
    Definition def;
    if (command.module.is_component) {
      auto compiled = compile_component(command.module);
      if (!compiled) {
        fail(command, "component failed: " + error_text(compiled.error()));
      } else {
        def.component = *compiled;
      }
    } else {
      auto compiled = compile(command.module);
      if (!compiled) {
        fail(command, "module failed: " + error_text(compiled.error()));
      } else {
        def.core = *compiled;
      }
    }
    if (command.instantiation == I::Definition) {
      if (command.name) definitions_[module_key(*command.name)] = def;
      return;
    }
    have_current_ = true;
    current_ = Slot{};
    if (def.component) {
      auto instance = component_linker_.instantiate(store_, def.component);
      if (instance) {
        current_ = Target{std::nullopt, *instance};
      } else {
        fail(command, "instantiation failed: " + error_text(instance.error()));
      }
    }
    if (command.name) named_[module_key(*command.name)] = current_;
  }

  void run_register(const Command& command) {
    Slot slot;
    std::string which = command.name ? *command.name : "the current module";
    if (command.name) {
      auto it = named_.find(module_key(*command.name));
      if (it != named_.end()) slot = it->second;
    } else if (have_current_) {
      slot = current_;
    }
    if (!slot) {
      fail(command, "cannot register " + which + " as \"" + command.as +
                        "\": it is not defined or failed to instantiate");
      return;
    }
    if (!slot->core) {
      fail(command, "cannot register a component instance");
      return;
    }
    linker_.define_instance(command.as, *slot->core);
  }

  void run_action(const Command& command) {
    if (auto r = perform_component(command.action)) {
      if (!*r) {
        fail(command, "\"" + command.action.field + "\" failed: " + error_text(r->error()));
        return;
      }
      pass();
      return;
    }
    auto results = perform(command.action);
    if (!results) {
      fail(command, "\"" + command.action.field + "\" failed: " + error_text(results.error()));
      return;
    }
    pass();
  }

  void run_assert_return(const Command& command) {
    if (auto r = perform_component(command.action)) {
      std::string expected = describe_list(command.component_expected,
                                           [](const Val& v) { return component::to_string(v); });
      if (!command.expected_are_component) {
        fail(command,
             "\"" + command.action.field + "\": the expected results are not component values");
        return;
      }
      bool ok =
          *r && (r->value() ? command.component_expected.size() == 1 &&
                                  component_matches(command.component_expected[0], *r->value())
                            : command.component_expected.empty());
      if (!ok) {
        fail(command, "\"" + command.action.field + "\": expected " + expected + " got " +
                          describe_component_result(*r));
        return;
      }
      pass();
      return;
    }
    auto results = perform(command.action);
    std::string expected = describe_list(command.expected, describe_expected);
    if (!results) {
      fail(command, "\"" + command.action.field + "\": expected " + expected + " got " +
                        error_text(results.error()));
      return;
    }
    bool ok = results->size() == command.expected.size();
    for (size_t i = 0; ok && i < results->size(); ++i) {
      ok = matches(command.expected[i], (*results)[i]);
    }
    if (!ok) {
      fail(command, "\"" + command.action.field + "\": expected " + expected + " got " +
                        describe_list(*results, describe_value));
      return;
    }
    pass();
  }

  void run_assert_trap(const Command& command) {
    if (auto r = perform_component(command.action)) {
      if (*r) {
        fail(command, "\"" + command.action.field + "\": expected trap \"" + command.text +
                          "\" got " + describe_component_result(*r));
        return;
      }
      const Error& error = r->error();
      if (!error.is_trap() || (error.trap && error.trap->kind == TrapKind::Interrupted)) {
        fail(command, "\"" + command.action.field + "\": expected trap \"" + command.text +
                          "\" got " + error_text(error));
        return;
      }
      check_message(command, trap_text(error));
      pass();
      return;
    }
    auto results = perform(command.action);
    if (results) {
      fail(command, "\"" + command.action.field + "\": expected trap \"" + command.text +
                        "\" got " + describe_list(*results, describe_value));
      return;
    }
    const Error& error = results.error();
    if (!error.is_trap() || (error.trap && error.trap->kind == TrapKind::Interrupted)) {
      fail(command, "\"" + command.action.field + "\": expected trap \"" + command.text +
                        "\" got " + error_text(error));
      return;
    }
    check_message(command, trap_text(error));
    pass();
  }

  void run_assert_exhaustion(const Command& command) {
    auto results = perform(command.action);
    if (results) {
      fail(command, "\"" + command.action.field + "\": expected stack exhaustion got " +
                        describe_list(*results, describe_value));
      return;
    }
    const Error& error = results.error();
    if (!error.is_trap() || !error.trap || error.trap->kind != TrapKind::StackExhausted) {
      fail(command,
           "\"" + command.action.field + "\": expected stack exhaustion got " + error_text(error));
      return;
    }
    pass();
  }

  // An uncaught wasm exception reaches the embedder as an UncaughtException
  // trap (component functions: the same, through the canonical ABI's call).
  void run_assert_exception(const Command& command) {
    auto uncaught = [](const Error& e) {
      return e.is_trap() && e.trap && e.trap->kind == TrapKind::UncaughtException;
    };
    if (auto r = perform_component(command.action)) {
      if (*r) {
        fail(command, "\"" + command.action.field + "\": expected an exception got " +
                          describe_component_result(*r));
      } else if (!uncaught(r->error())) {
        fail(command, "\"" + command.action.field + "\": expected an exception got " +
                          error_text(r->error()));
      } else {
        pass();
      }
      return;
    }
    auto results = perform(command.action);
    if (results) {
      fail(command, "\"" + command.action.field + "\": expected an exception got " +
                        describe_list(*results, describe_value));
      return;
    }
    if (!uncaught(results.error())) {
      fail(command, "\"" + command.action.field + "\": expected an exception got " +
                        error_text(results.error()));
      return;
    }
    pass();
  }

  // assert_malformed / assert_invalid: the module must be rejected before
  // instantiation.
  void run_assert_rejected(const Command& command) {
    if (command.module.is_component) {
      auto c = compile_component(command.module);
      if (c) {
        fail(command, "expected \"" + command.text + "\" but the component compiled");
        return;
      }
      check_message(command, c.error().to_string());
      pass();
      return;
    }
    auto module = compile(command.module);
    if (module) {
      fail(command, "expected \"" + command.text + "\" but the module compiled");
      return;
    }
    check_message(command, module.error().to_string());
    pass();
  }

  // A component that compiles but must fail to instantiate, with a link
  // error (`trap` false) or a trap.
  void run_component_uninstantiable(const Command& command, bool trap) {
    auto c = compile_component(command.module);
    if (!c) {
      fail(command, "expected \"" + command.text +
                        "\" at instantiation, but compile failed: " + error_text(c.error()));
      return;
    }
    auto instance = component_linker_.instantiate(store_, *c);
    if (instance) {
      fail(command, "expected \"" + command.text + "\" but the component instantiated");
      return;
    }
    const Error& error = instance.error();
    if (trap && !error.is_trap()) {
      fail(command, "expected trap \"" + command.text + "\" got " + error_text(error));
      return;
    }
    check_message(command, trap ? trap_text(error) : error.to_string());
    pass();
  }

  void run_assert_unlinkable(const Command& command) {
    if (command.module.is_component) return run_component_uninstantiable(command, false);
    auto module = compile(command.module);
    if (!module) {
      fail(command, "expected \"" + command.text +
                        "\" at link time, but compile failed: " + error_text(module.error()));
      return;
    }
    auto instance = linker_.instantiate(store_, *module);
    if (instance) {
      fail(command, "expected \"" + command.text + "\" but the module linked");
      return;
    }
    if (instance.error().kind != ErrorKind::Link) {
      note(command, "failed with " + error_text(instance.error()) + ", not a link error");
    }
    check_message(command, instance.error().to_string());
    pass();
  }

  void run_assert_uninstantiable(const Command& command) {
    if (command.module.is_component) return run_component_uninstantiable(command, true);
    auto module = compile(command.module);
    if (!module) {
      fail(command, "expected trap \"" + command.text +
                        "\" at instantiation, but compile failed: " + error_text(module.error()));
      return;
    }
    auto instance = linker_.instantiate(store_, *module);
    if (instance) {
      fail(command, "expected trap \"" + command.text + "\" but the module instantiated");
      return;
    }
    const Error& error = instance.error();
    if (!error.is_trap() || (error.trap && error.trap->kind == TrapKind::Interrupted)) {
      fail(command, "expected trap \"" + command.text + "\" got " + error_text(instance.error()));
      return;
    }
    check_message(command, trap_text(instance.error()));
    pass();
  }

  // Messages need not match; verbose mode shows the ones that differ.
  void check_message(const Command& command, const std::string& actual) {
    if (command.text.empty() || actual.find(command.text) != std::string::npos) return;
    note(command, "expected message \"" + command.text + "\", got \"" + actual + "\"");
  }

  // Component results compare exactly, except that a NaN matches any NaN
  // (the canonical ABI canonicalizes them).
  static bool component_matches(const Val& expected, const Val& actual) {
    if (expected.kind != actual.kind) return false;
    // Byte lists hold no floats: plain equality, which takes both forms.
    if (expected.byte_list || actual.byte_list) return expected == actual;
    if (expected.kind == component::ValKind::F32) {
      auto nan = [](uint64_t b) {
        return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) != 0;
      };
      if (nan(expected.bits) && nan(actual.bits)) return true;
    }
    if (expected.kind == component::ValKind::F64) {
      auto nan = [](uint64_t b) {
        return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
               (b & 0xfffffffffffffull) != 0;
      };
      if (nan(expected.bits) && nan(actual.bits)) return true;
    }
    if (expected.items.size() != actual.items.size()) return false;
    if (!expected.items.empty()) {
      Val e = expected, a = actual;
      e.items.clear();
      a.items.clear();
      if (!(e == a)) return false;
      for (size_t i = 0; i < expected.items.size(); ++i)
        if (!component_matches(expected.items[i], actual.items[i])) return false;
      return true;
    }
    return expected == actual;
  }

  struct Definition {
    std::shared_ptr<const Module> core;
    std::shared_ptr<const component::Component> component;
  };

  const LoadedScript& loaded_;
  const WastOptions& options_;
  Store store_;
  Watchdog watchdog_;
  Linker linker_;
  component::ComponentLinker component_linker_;
  std::map<std::string, Definition> definitions_;
  WastCounts counts_;
  bool have_current_ = false;
  Slot current_;
  std::map<std::string, Slot> named_;
};

}  // namespace

WastCounts run_wast_script(const LoadedScript& loaded, const WastOptions& options) {
  Runner runner(loaded, options);
  return runner.run();
}

}  // namespace weft::cli
