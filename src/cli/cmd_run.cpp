// `weft run [OPTIONS] FILE [ARGS...]`: instantiate a module and call its
// entry point (`_start`) or, with --invoke, any exported function with
// ARGS parsed by its parameter types.
//
// Layout, so host APIs can be added in one place each:
//   RunOptions        — every flag of the command (add_run_command binds them)
//   make_store_limits — options → StoreLimits
//   build_linker      — every host import the module may use
//   run_module        — instantiate, pick the entry point, call, report
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bindgen/bindgen.h"
#include "cli/cli.h"
#include "component/binary/decoder.h"
#include "oci/image.h"
#include "wasm/binary/reader.h"  // WEFT_TRY
#include "weft/component.h"
#include "weft/wasi.h"
#include "weft/wasi_p2.h"

namespace weft::cli {
namespace {

// `--timeout` ran out: the guest was interrupted (like timeout(1)).
constexpr int kExitTimeout = 124;

struct RunOptions {
  std::string file;
  std::string invoke;                   // empty: run the command entry point `_start`
  std::vector<std::string> guest_args;  // everything after FILE
  std::vector<std::string> dirs;        // --dir HOST[::GUEST]
  std::vector<std::string> ro_dirs;     // --dir-ro HOST[::GUEST]
  std::vector<std::string> envs;        // --env NAME=VALUE | NAME
  std::string max_memory;               // --max-memory SIZE
  std::string timeout;                  // --timeout DURATION
  std::optional<uint64_t> max_memory_bytes;
  std::optional<std::chrono::nanoseconds> timeout_duration;
  bool insecure_registry = false;  // --insecure-registry: plain HTTP to any registry
  // From an image: the guest's argv[0] (the name the image gives the
  // module), its files (read-only) and its environment, below --env.
  std::string program_name;
  std::vector<wasi::Preopen> image_preopens;
  std::vector<std::string> image_env;
};

// "65536", "64KiB", "64MiB", "1GiB" (also K/M/G, KB/MB/GB = powers of 1000).
Result<uint64_t> parse_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return Error::usage("invalid size '" + text + "'");
  const uint64_t number = std::stoull(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "K" || unit == "KiB") scale = 1ull << 10;
  if (unit == "M" || unit == "MiB") scale = 1ull << 20;
  if (unit == "G" || unit == "GiB") scale = 1ull << 30;
  if (unit == "KB") scale = 1000;
  if (unit == "MB") scale = 1000 * 1000;
  if (unit == "GB") scale = 1000 * 1000 * 1000;
  if (scale == 0) return Error::usage("invalid size unit in '" + text + "' (use KiB, MiB, GiB)");
  if (number > (uint64_t{1} << 50) / scale) return Error::usage("size '" + text + "' is too large");
  return number * scale;
}

// "500ms", "2s", "1m", "100us", "10ns"; a bare number is seconds.
Result<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return Error::usage("invalid duration '" + text + "'");
  const int64_t number = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  using namespace std::chrono;
  if (unit.empty() || unit == "s") return duration_cast<nanoseconds>(seconds(number));
  if (unit == "ms") return duration_cast<nanoseconds>(milliseconds(number));
  if (unit == "us") return duration_cast<nanoseconds>(microseconds(number));
  if (unit == "ns") return nanoseconds(number);
  if (unit == "m") return duration_cast<nanoseconds>(minutes(number));
  return Error::usage("invalid duration unit in '" + text + "' (use ms, s, m)");
}

Result<void> parse_limits(RunOptions& options) {
  if (!options.max_memory.empty()) {
    auto bytes = parse_size(options.max_memory);
    if (!bytes) return std::move(bytes).error();
    options.max_memory_bytes = *bytes;
  }
  if (!options.timeout.empty()) {
    auto duration = parse_duration(options.timeout);
    if (!duration) return std::move(duration).error();
    options.timeout_duration = *duration;
  }
  return {};
}

StoreLimits make_store_limits(const RunOptions& options) {
  StoreLimits limits;
  if (options.max_memory_bytes) limits.max_memory_bytes = *options.max_memory_bytes;
  return limits;
}

// WASI for the guest: exactly the --dir preopens and --env variables it was
// given, the host's stdio, argv = FILE ARGS (FILE alone with --invoke).
// Modules get it through preview1, components through WASI 0.2.
Result<wasi::Config> make_wasi_config(const RunOptions& options) {
  wasi::Config config;
  config.args.push_back(options.program_name.empty() ? options.file : options.program_name);
  if (options.invoke.empty()) {
    config.args.insert(config.args.end(), options.guest_args.begin(), options.guest_args.end());
  }
  config.preopens = options.image_preopens;
  for (const auto& [list, read_only] :
       {std::pair{&options.dirs, false}, std::pair{&options.ro_dirs, true}}) {
    for (const std::string& dir : *list) {
      const size_t split = dir.find("::");
      wasi::Preopen preopen;
      preopen.host_path = dir.substr(0, split);
      preopen.guest_path = split == std::string::npos ? dir : dir.substr(split + 2);
      preopen.read_only = read_only;
      if (preopen.host_path.empty() || preopen.guest_path.empty()) {
        return Error::usage("invalid --dir '" + dir + "' (expected HOST[::GUEST])");
      }
      config.preopens.push_back(std::move(preopen));
    }
  }
  // The image's environment, except what --env sets.
  for (const std::string& env : options.image_env) {
    const std::string name = env.substr(0, env.find('='));
    const bool overridden =
        std::any_of(options.envs.begin(), options.envs.end(),
                    [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    if (!overridden && !name.empty() && env.find('=') != std::string::npos)
      config.env.emplace_back(name, env.substr(name.size() + 1));
  }
  for (const std::string& env : options.envs) {
    const size_t eq = env.find('=');
    if (eq == 0) return Error::usage("invalid --env '" + env + "' (expected NAME[=VALUE])");
    if (eq != std::string::npos) {
      config.env.emplace_back(env.substr(0, eq), env.substr(eq + 1));
    } else if (const char* inherited = std::getenv(env.c_str())) {
      config.env.emplace_back(env, inherited);
    }
  }
  return config;
}

Result<std::unique_ptr<wasi::Context>> make_wasi_context(const RunOptions& options) {
  auto config = make_wasi_config(options);
  if (!config) return std::move(config).error();
  return wasi::Context::create(std::move(*config));
}

// The host imports a module run from the command line can use: WASI
// preview1. Anything unresolved fails at instantiation with a link error
// naming the import.
Result<void> build_linker(Linker& linker, Store& store, const RunOptions& options,
                          std::unique_ptr<wasi::Context>& wasi_ctx) {
  auto ctx = make_wasi_context(options);
  if (!ctx) return std::move(ctx).error();
  wasi_ctx = std::move(*ctx);
  wasi::add_to_linker(linker);
  store.set_user_data(wasi_ctx.get());
  return {};
}

// Interrupts the store (and wakes WASI sleeps) once the --timeout passes.
class Watchdog {
 public:
  Watchdog(std::optional<std::chrono::nanoseconds> timeout, InterruptHandle handle,
           std::shared_ptr<std::atomic<bool>> wasi_flag)
      : Watchdog(timeout, std::move(handle), [wasi_flag] {
          if (wasi_flag) wasi_flag->store(true);
        }) {}
  // `wake_host` interrupts the host's blocking calls (WASI sleeps, polls).
  Watchdog(std::optional<std::chrono::nanoseconds> timeout, InterruptHandle handle,
           std::function<void()> wake_host) {
    if (!timeout) return;
    thread_ = std::thread([this, timeout, handle, wake_host] {
      std::unique_lock lock(mutex_);
      if (!done_cv_.wait_for(lock, *timeout, [this] { return done_; })) {
        handle.interrupt();
        if (wake_host) wake_host();
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

// A trap either ends the process with the guest's exit code (proc_exit) or
// is reported with its backtrace.
int report_failure(const RunOptions& options, const Error& error) {
  if (error.is_trap() && error.trap) {
    if (error.trap->kind == TrapKind::Exit) return error.trap->exit_code;
    // Only the --timeout watchdog interrupts a `weft run` store.
    if (error.trap->kind == TrapKind::Interrupted) {
      std::fprintf(stderr, "%s: timeout\n", options.file.c_str());
      return kExitTimeout;
    }
    std::fprintf(stderr, "%s: %s\n", options.file.c_str(), error.trap->to_string().c_str());
    return kExitTrap;
  }
  std::fprintf(stderr, "%s: %s\n", options.file.c_str(), error.to_string().c_str());
  return error.kind == ErrorKind::Usage ? kExitUsage : kExitError;
}

Result<std::vector<Value>> parse_arguments(const FuncType& type,
                                           const std::vector<std::string>& args,
                                           const std::string& name) {
  if (args.size() != type.params.size()) {
    return Error::usage("function '" + name + "' takes " + std::to_string(type.params.size()) +
                        " argument(s) " + type.to_string() + ", but " +
                        std::to_string(args.size()) + " were given");
  }
  std::vector<Value> values;
  values.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = parse_value(type.params[i], args[i]);
    if (!value) {
      return Error::usage("argument " + std::to_string(i + 1) + " of '" + name +
                          "': " + value.error().message);
    }
    values.push_back(*value);
  }
  return values;
}

int call_and_print(const RunOptions& options, const Func& func, const std::string& name,
                   const std::vector<std::string>& args) {
  auto values = parse_arguments(func.type(), args, name);
  if (!values) return report_failure(options, values.error());
  auto results = func.call(*values);
  if (!results) return report_failure(options, results.error());
  for (const Value& result : *results) std::printf("%s\n", format_value(result).c_str());
  std::fflush(stdout);
  return kExitOk;
}

// A component: WASI 0.2 for its imports; `wasi:cli/run` (or --invoke an
// exported function) for its entry point.
int run_component(const RunOptions& options, std::vector<uint8_t> bytes) {
  auto compiled = component::Component::compile(bytes);
  if (!compiled) {
    std::fprintf(stderr, "%s: %s\n", options.file.c_str(), compiled.error().to_string().c_str());
    return kExitError;
  }
  auto config = make_wasi_config(options);
  if (!config) return report_failure(options, config.error());
  auto state = wasi::P2State::create(std::move(*config));
  if (!state) return report_failure(options, state.error());
  component::ComponentLinker linker;
  wasi::add_wasi_p2(linker, *state);
  Store store(make_store_limits(options));
  std::shared_ptr<wasi::P2State> wasi_state = *state;
  Watchdog watchdog(options.timeout_duration, store.interrupt_handle(),
                    std::function<void()>([wasi_state] { wasi_state->interrupt(); }));
  auto instance = linker.instantiate(store, *compiled);
  if (!instance) return report_failure(options, instance.error());

  if (options.invoke.empty()) {
    auto runs = instance->instance_exports("wasi:cli/run@");
    if (runs.empty()) {
      std::fprintf(stderr, "%s: the component exports no wasi:cli/run; use --invoke NAME\n",
                   options.file.c_str());
      return kExitUsage;
    }
    auto result = instance->call(runs.front(), "run", {});
    if (!result) return report_failure(options, result.error());
    std::fflush(stdout);
    // run: func() -> result: err is exit status 1, as in wasmtime.
    return result->has_value() && (*result)->discriminant != 0 ? 1 : kExitOk;
  }
  // `--invoke 'name(arg, ...)'` in WAVE, as Wasmtime takes it, or
  // `--invoke name ARG...` with one WAVE value per argument.
  std::string name = options.invoke;
  std::vector<component::Val> args;
  std::optional<component::FuncType> type;
  // A function inside an exported interface: `iface#func` names it, as in
  // the canonical ABI's export names; a bare `func` that no top-level export
  // has is looked up in the exported instances and taken when exactly one
  // has it (`check` for example:auth/verify#check).
  std::string instance_name;
  auto resolve = [&](std::string_view n) -> std::optional<component::FuncType> {
    const size_t hash = n.rfind('#');
    if (hash != std::string_view::npos) {
      instance_name = std::string(n.substr(0, hash));
      return instance->func_type(instance_name, n.substr(hash + 1));
    }
    instance_name.clear();
    if (auto t = instance->func_type(n)) return t;
    std::optional<component::FuncType> found;
    int matches = 0;
    for (const std::string& inst : instance->instance_exports("")) {
      if (auto t = instance->func_type(inst, n)) {
        if (++matches == 1) {
          found = std::move(t);
          instance_name = inst;
        }
      }
    }
    if (matches == 1) return found;
    instance_name.clear();
    return std::nullopt;
  };
  if (name.find('(') != std::string::npos) {
    if (!options.guest_args.empty()) {
      std::fprintf(stderr, "%s: --invoke '%s' already gives the arguments\n", options.file.c_str(),
                   name.c_str());
      return kExitUsage;
    }
    auto call = component::parse_wave_call(name, [&](std::string_view n) {
      type = resolve(n);
      return type ? &*type : nullptr;
    });
    if (!call) {
      std::fprintf(stderr, "%s: --invoke: %s\n", options.file.c_str(),
                   call.error().message.c_str());
      return kExitUsage;
    }
    name = call->name;
    args = std::move(call->args);
  } else {
    type = resolve(name);
    if (!type) {
      std::fprintf(stderr, "%s: no exported function '%s'\n", options.file.c_str(), name.c_str());
      return kExitUsage;
    }
    if (options.guest_args.size() != type->params.size()) {
      std::fprintf(stderr, "%s: function '%s' takes %zu argument(s), but %zu were given\n",
                   options.file.c_str(), name.c_str(), type->params.size(),
                   options.guest_args.size());
      return kExitUsage;
    }
    for (size_t i = 0; i < options.guest_args.size(); ++i) {
      const component::ValType& pt = *type->params[i].type;
      auto v = component::parse_wave(options.guest_args[i], pt);
      // A string argument may also be given bare, as the shell passes it.
      if (!v && pt.kind == component::ValKind::String)
        v = component::Val::string(options.guest_args[i]);
      if (!v) {
        std::fprintf(stderr, "%s: argument %zu of '%s': %s\n", options.file.c_str(), i + 1,
                     name.c_str(), v.error().message.c_str());
        return kExitUsage;
      }
      args.push_back(std::move(*v));
    }
  }
  // The bare function name of an `iface#func`.
  if (const size_t hash = name.rfind('#'); hash != std::string::npos) name = name.substr(hash + 1);
  auto result = instance_name.empty() ? instance->call(name, std::move(args))
                                      : instance->call(instance_name, name, std::move(args));
  if (!result) return report_failure(options, result.error());
  if (*result && type->result)
    std::printf("%s\n", component::to_wave(**result, *type->result).c_str());
  std::fflush(stdout);
  return kExitOk;
}

// A raw wasm-bindgen module (cargo's output for a #[wasm_bindgen] crate):
// the export's signature comes from its descriptor, string and number
// arguments are passed through the module's allocator, and the result is
// printed as JavaScript would show it. An Err or a throw exits 1.
int run_bindgen(const RunOptions& options, const std::shared_ptr<const Module>& module,
                std::span<const uint8_t> bytes) {
  bindgen::Limits limits;
  if (options.max_memory_bytes) limits.memory_bytes = *options.max_memory_bytes;
  auto inspected = bindgen::BindgenModule::inspect(module, bytes, options.file, limits);
  if (!inspected) {
    std::fprintf(stderr, "%s\n", inspected.error().message.c_str());  // names the file
    return kExitError;
  }
  const bindgen::ExportedFunction* fn = (*inspected)->function(options.invoke);
  if (fn == nullptr) {
    std::string names;
    for (const auto& f : (*inspected)->functions()) names += (names.empty() ? "" : ", ") + f.name;
    std::fprintf(stderr, "%s: no #[wasm_bindgen] function '%s' (it has %s)\n", options.file.c_str(),
                 options.invoke.c_str(), names.c_str());
    return kExitUsage;
  }
  if (auto ok = bindgen::callable(*fn); !ok) return report_failure(options, ok.error());
  if (options.guest_args.size() != fn->desc.args.size()) {
    std::fprintf(stderr, "%s: '%s' is %s: %zu argument(s), %zu given\n", options.file.c_str(),
                 fn->name.c_str(), bindgen::to_string(fn->desc).c_str(), fn->desc.args.size(),
                 options.guest_args.size());
    return kExitUsage;
  }
  std::vector<bindgen::JsValue> args;
  for (size_t i = 0; i < fn->desc.args.size(); ++i) {
    auto arg = bindgen::parse_argument(fn->desc.args[i], options.guest_args[i]);
    if (!arg) {
      std::fprintf(stderr, "%s: argument %zu of '%s': %s\n", options.file.c_str(), i + 1,
                   fn->name.c_str(), arg.error().message.c_str());
      return kExitUsage;
    }
    args.push_back(std::move(*arg));
  }
  Store store(make_store_limits(options));
  Watchdog watchdog(options.timeout_duration, store.interrupt_handle(), std::function<void()>{});
  auto instance = bindgen::BindgenInstance::create(store, *inspected);
  if (!instance) return report_failure(options, instance.error());
  auto outcome = (*instance)->call(fn->name, args);
  if (!outcome) return report_failure(options, outcome.error());
  switch (outcome->kind) {
    case bindgen::CallOutcome::Kind::Ok:
      if (fn->desc.ret.tag != bindgen::TypeTag::Unit) {
        std::printf("%s\n", outcome->value.to_display().c_str());
      }
      std::fflush(stdout);
      return kExitOk;
    case bindgen::CallOutcome::Kind::Err:
      std::fprintf(stderr, "%s: %s returned Err(%s)\n", options.file.c_str(), fn->name.c_str(),
                   outcome->value.to_display().c_str());
      return kExitError;
    case bindgen::CallOutcome::Kind::Thrown:
      std::fprintf(stderr, "%s: %s threw %s\n", options.file.c_str(), fn->name.c_str(),
                   outcome->value.to_display().c_str());
      return kExitTrap;
  }
  return kExitError;
}

// `weft run IMAGE`: the image pulled (or found in the cache) and its module
// run as the image describes it.
Result<void> resolve_image(RunOptions& options) {
  WEFT_TRY(oci::ImageRef ref, oci::parse_image_ref(options.file));
  oci::PullOptions pull;
  pull.registry.insecure = options.insecure_registry;
  WEFT_TRY(oci::PulledImage image, oci::pull_image(ref, pull));
  if (image.wasm.empty())
    return Error::usage(ref.text +
                        ": the image is an app (weft.toml) with several modules; serve "
                        "it with weft up " +
                        ref.text);
  options.file = image.wasm.string();
  if (!image.artifact) {
    options.program_name = image.program;
    std::vector<std::string> args = image.entrypoint_args;
    const std::vector<std::string>& rest =
        options.guest_args.empty() ? image.cmd : options.guest_args;
    args.insert(args.end(), rest.begin(), rest.end());
    options.guest_args = std::move(args);
    options.image_env = image.env;
    // The container's files, as the guest's read-only root.
    wasi::Preopen root;
    root.host_path = image.root.string();
    root.guest_path = "/";
    root.read_only = true;
    options.image_preopens.push_back(std::move(root));
  } else {
    options.program_name = image.wasm.filename().string();
  }
  return {};
}

// SIGTERM, SIGINT and SIGHUP end weft run with 128+signal, as their default
// action would, but through a handler: as pid 1 of a container's pid
// namespace (weft-oci) a signal without one is dropped, and `ctr task kill`
// or the kubelet's SIGTERM would never stop the guest.
void exit_on_signal(int sig) { ::_exit(128 + sig); }

int run_module(const RunOptions& given) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) std::signal(sig, exit_on_signal);
  RunOptions resolved = given;
  if (oci::looks_like_image_ref(given.file)) {
    if (auto ok = resolve_image(resolved); !ok) {
      std::fprintf(stderr, "weft run: %s\n", ok.error().message.c_str());
      return kExitError;
    }
  }
  const RunOptions& options = resolved;
  auto bytes = read_file_bytes(options.file);
  if (bytes && component::is_component(*bytes)) {
    return run_component(options, std::move(*bytes));
  }
  auto module = load_module(options.file);
  if (!module) {
    std::fprintf(stderr, "%s\n", module.error().message.c_str());
    return kExitError;
  }
  if (bytes && !options.invoke.empty() && bindgen::BindgenModule::looks_like_bindgen(**module)) {
    return run_bindgen(options, *module, *bytes);
  }

  Store store(make_store_limits(options));
  Linker linker;
  std::unique_ptr<wasi::Context> wasi_ctx;
  if (auto linked = build_linker(linker, store, options, wasi_ctx); !linked) {
    return report_failure(options, linked.error());
  }
  Watchdog watchdog(options.timeout_duration, store.interrupt_handle(), wasi_ctx->interrupt_flag());
  auto instance = linker.instantiate(store, *module);
  if (!instance) return report_failure(options, instance.error());

  if (options.invoke.empty()) {
    // A command module: `_start` gets the guest arguments through WASI.
    auto start = instance->get_func("_start");
    if (!start) {
      if (instance->get_func("_initialize")) {
        auto init = instance->get_func("_initialize");
        return call_and_print(options, *init, "_initialize", {});
      }
      std::fprintf(stderr, "%s: no exported function '_start'; use --invoke NAME\n",
                   options.file.c_str());
      return kExitUsage;
    }
    return call_and_print(options, *start, "_start", {});
  }

  // A reactor module is initialised once before its exports are used.
  if (auto init = instance->get_func("_initialize"); init && options.invoke != "_initialize") {
    auto done = init->call({});
    if (!done) return report_failure(options, done.error());
  }
  auto func = instance->get_func(options.invoke);
  if (!func) {
    std::fprintf(stderr, "%s: no exported function '%s'\n", options.file.c_str(),
                 options.invoke.c_str());
    return kExitUsage;
  }
  return call_and_print(options, *func, options.invoke, options.guest_args);
}

// Everything after FILE belongs to the guest, even `--invoke` or `-h`, as
// with wasmtime. CLI11 cannot stop at the first positional by itself, so
// the guest's arguments are cut off before it parses: options before FILE
// are skipped (with their value, if they take one), whatever flags are
// registered on `app`.
void take_guest_arguments(CLI::App& app, RunOptions& options, std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      if (i >= args.size()) return;
    } else if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* option = app.get_option_no_throw(arg);
      if (option != nullptr && option->get_expected_min() > 0) ++i;  // its value
      continue;
    }
    // args[i] is FILE.
    options.guest_args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    args.resize(i + 1);
    if (!options.guest_args.empty() && options.guest_args.front() == "--") {
      options.guest_args.erase(options.guest_args.begin());
    }
    return;
  }
}

}  // namespace

Subcommand add_run_command(CLI::App& parent) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* app = parent.add_subcommand("run", "Run a module's _start or an exported function");
  app->add_option("--invoke", options->invoke,
                  "Call this exported function with ARGS instead of _start");
  app->add_option("--dir", options->dirs,
                  "Give the guest the host directory HOST (as GUEST, default HOST); repeatable")
      ->type_name("HOST[::GUEST]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--dir-ro", options->ro_dirs, "Like --dir, read-only; repeatable")
      ->type_name("HOST[::GUEST]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--argv0", options->program_name, "The guest's argv[0] (default: FILE as given)");
  app->add_option("--env", options->envs,
                  "Set NAME=VALUE for the guest, or pass NAME through from the host; repeatable")
      ->type_name("NAME[=VALUE]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--max-memory", options->max_memory, "Cap the guest's memory, e.g. 64MiB")
      ->type_name("SIZE");
  app->add_option("--timeout", options->timeout,
                  "Interrupt the guest after DURATION (500ms, 2s, 1m)")
      ->type_name("DURATION");
  app->add_flag("--insecure-registry", options->insecure_registry,
                "Allow plain HTTP to a registry that is not on this machine");
  app->add_option("file", options->file,
                  "The .wasm module, or an image: oci:PATH[:TAG], docker://HOST/REPO[:TAG|@DIGEST]")
      ->required();
  app->footer(
      "Usage: weft run [OPTIONS] FILE [ARGS...]\n"
      "ARGS after FILE go to the guest (to the --invoke function as its parameters).\n"
      "The guest sees only the --dir directories and --env variables given.\n"
      "Exit status: the guest's proc_exit code; 134 on a trap; 1 on an error;\n"
      "124 with the message \"timeout\" when --timeout runs out.");
  Subcommand subcommand;
  subcommand.app = app;
  subcommand.run = [options]() -> int {
    if (auto parsed = parse_limits(*options); !parsed) {
      std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
      return kExitUsage;
    }
    return run_module(*options);
  };
  subcommand.take_arguments = [options, app](std::vector<std::string>& args) {
    take_guest_arguments(*app, *options, args);
  };
  return subcommand;
}

}  // namespace weft::cli
