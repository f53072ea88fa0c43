// Module::compile: decode, intern types, validate + compile bodies, then
// fill the views the public API returns.
#include <cstdlib>
#include <string_view>

#include "wasm/binary/decoder.h"
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

}  // namespace

Result<std::shared_ptr<const Module>> Module::compile(std::span<const uint8_t> wasm,
                                                      const CompileOptions& options) {
  auto decl = wasm::decode_module(wasm);
  if (!decl) return std::move(decl).error();
  auto impl = std::make_unique<detail::ModuleImpl>();
  impl->decl = std::move(decl).value();
  detail::intern_module_types(*impl);
  Result<void> validated =
      interp::validate_and_compile(*impl, options.multi_memory.value_or(multi_memory_by_default()));
  if (!validated) return std::move(validated).error();
  detail::fill_module_infos(*impl);
  // Initial memory contents as a copy-on-write image, when they can be
  // (null otherwise: instantiation copies the segments as before).
  impl->memory_image = detail::build_memory_image(*impl);
  return std::shared_ptr<const Module>(std::make_shared<Module>(std::move(impl)));
}

}  // namespace weft
