// weft — the wasm-bindgen executor: a `#[wasm_bindgen] fn(&str) -> String`
// (or -> Result<String, JsValue>) from a raw cargo build, called once per
// request in a fresh instance, its string argument made of the request.
#pragma once

#include <memory>

#include "app/manifest.h"
#include "bindgen/bindgen.h"
#include "serve/handler.h"
#include "weft/result.h"

namespace weft::serve {

class WasmBindgenHandler : public Handler {
 public:
  // Reads the module's descriptors and checks, before the first request,
  // that the export exists and takes one string and returns a String or a
  // Result<String, JsValue>; the error prints the signature it found.
  static Result<std::unique_ptr<WasmBindgenHandler>> create(const app::ServiceSpec& spec);

  Outcome handle(Request& request, RequestControl& control) const override;

 private:
  WasmBindgenHandler(const app::ServiceSpec& spec,
                     std::shared_ptr<const bindgen::BindgenModule> module, std::string export_name)
      : spec_(spec), module_(std::move(module)), export_(std::move(export_name)) {}

  app::ServiceSpec spec_;
  std::shared_ptr<const bindgen::BindgenModule> module_;
  std::string export_;
};

}  // namespace weft::serve
