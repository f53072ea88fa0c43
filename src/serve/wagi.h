// weft — the WAGI executor: each request runs the service's `_start` in a
// fresh store and instance, with the request as CGI environment and stdin,
// and its stdout parsed as a CGI response.
#pragma once

#include <memory>

#include "app/manifest.h"
#include "serve/handler.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::serve {

class WagiHandler : public Handler {
 public:
  // `linker` must already hold the WASI functions. Checks that the module
  // exports `_start: () -> ()` and that every import is provided, so a bad
  // service fails at startup rather than on its first request.
  static Result<std::unique_ptr<WagiHandler>> create(const app::ServiceSpec& spec,
                                                     std::shared_ptr<const Module> module,
                                                     std::shared_ptr<const Linker> linker);

  Outcome handle(Request& request, RequestControl& control) const override;

 private:
  WagiHandler(const app::ServiceSpec& spec, std::shared_ptr<const Module> module,
              std::shared_ptr<const Linker> linker)
      : spec_(spec), module_(std::move(module)), linker_(std::move(linker)) {}

  app::ServiceSpec spec_;
  std::shared_ptr<const Module> module_;
  std::shared_ptr<const Linker> linker_;
};

// Reads and compiles a .wasm; errors name the file and the reason.
Result<std::shared_ptr<const Module>> compile_file(const std::filesystem::path& path,
                                                   const CompileOptions& options = {});

// Checks every import of `module` against `linker`; the error names the
// first one missing.
Result<void> check_imports(const Module& module, const Linker& linker);

// Maps a guest failure to a response: interrupted after the deadline → 504,
// anything else → 500. Fills note/detail for the log.
Outcome guest_failure(const app::ServiceSpec& spec, const Error& error,
                      const RequestControl& control);

}  // namespace weft::serve
