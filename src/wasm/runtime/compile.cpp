// Module::compile: decode, intern types, validate + compile bodies, then
// fill the views the public API returns.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "wasm/binary/decoder.h"
#include "wasm/binary/reader.h"
#include "wasm/runtime/module_info.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"

namespace weft {
namespace {

bool multi_memory_by_default() {
  static const bool on = [] {
    const char* env = std::getenv("WEFT_MULTI_MEMORY");
    return env == nullptr || std::string_view(env) != "0";
  }();
  return on;
}

std::atomic<const OptimizingCompiler*> optimizing_compiler{nullptr};
std::atomic<Tier> tier_by_default{Tier::Interpreter};

}  // namespace

void set_optimizing_compiler(const OptimizingCompiler* compiler) {
  optimizing_compiler.store(compiler, std::memory_order_release);
}
void set_default_tier(Tier tier) { tier_by_default.store(tier, std::memory_order_relaxed); }
Tier default_tier() { return tier_by_default.load(std::memory_order_relaxed); }

std::optional<Tier> parse_tier(std::string_view name) {
  if (name == "interp") return Tier::Interpreter;
  if (name == "optimized") return Tier::Optimized;
  if (name == "auto") return Tier::Auto;
  return std::nullopt;
}

const char* tier_name(Tier tier) {
  switch (tier) {
    case Tier::Interpreter:
      return "interp";
    case Tier::Optimized:
      return "optimized";
    case Tier::Auto:
      return "auto";
  }
  return "?";
}

bool is_precompiled_module(std::span<const uint8_t> bytes) {
  using detail::kPrecompiledMagic;
  return bytes.size() >= sizeof kPrecompiledMagic &&
         std::memcmp(bytes.data(), kPrecompiledMagic, sizeof kPrecompiledMagic) == 0;
}

Result<std::shared_ptr<const Module>> Module::compile(std::span<const uint8_t> wasm,
                                                      const CompileOptions& options) {
  if (options.precompiled.empty() && is_precompiled_module(wasm)) {
    const OptimizingCompiler* native = optimizing_compiler.load(std::memory_order_acquire);
    if (native == nullptr) {
      return Error::limit(
          "a .cwasm (weft compile's machine code) needs the optimizing tier, which this program "
          "lacks");
    }
    WEFT_TRY(OptimizingCompiler::PrecompiledParts parts, native->open_precompiled(wasm));
    CompileOptions with_code = options;
    // --tier interp runs the module inside interpreted; otherwise its code.
    if (options.tier.value_or(default_tier()) != Tier::Interpreter)
      with_code.precompiled = parts.native;
    if (with_code.precompiled.empty() && is_precompiled_module(parts.wasm)) {
      return Error::malformed(0, "precompiled module: holds another .cwasm, not a module");
    }
    return compile(parts.wasm, with_code);
  }
  auto decl = wasm::decode_module(wasm);
  if (!decl) return std::move(decl).error();
  auto impl = std::make_unique<detail::ModuleImpl>();
  impl->decl = std::move(decl).value();
  detail::intern_module_types(*impl);
  Result<void> validated =
      interp::validate_and_compile(*impl, options.multi_memory.value_or(multi_memory_by_default()));
  if (!validated) return std::move(validated).error();
  detail::fill_module_infos(*impl);
  const Tier tier =
      options.precompiled.empty() ? options.tier.value_or(default_tier()) : Tier::Optimized;
  if (tier != Tier::Interpreter) {
    const OptimizingCompiler* native = optimizing_compiler.load(std::memory_order_acquire);
    if (native == nullptr && !options.precompiled.empty())
      return Error::limit("precompiled code needs the optimizing tier, which this program lacks");
    if (native != nullptr) {
      Result<void> compiled = native->compile(*impl, wasm, tier, options);
      if (!compiled && !options.precompiled.empty()) return std::move(compiled).error();
      // The interpreter's code is complete without it: run on, but say so.
      if (!compiled) {
        std::fprintf(stderr, "weft: warning: optimizing tier: %s; running interpreted\n",
                     compiled.error().to_string().c_str());
      }
    }
  }
  // Initial memory contents as a copy-on-write image, when they can be
  // (null otherwise: instantiation copies the segments as before).
  impl->memory_image = detail::build_memory_image(*impl);
  return std::shared_ptr<const Module>(std::make_shared<Module>(std::move(impl)));
}

}  // namespace weft
