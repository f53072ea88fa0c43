// weft — an application ready to serve: every module compiled once, one
// Linker holding WASI (shared by all requests), a handler per service and
// the route table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/manifest.h"
#include "serve/handler.h"
#include "serve/router.h"
#include "weft/result.h"

namespace weft::serve {

class AppHost : public Dispatcher {
 public:
  // Compiles every service and filter; the error names the service (or
  // filter) and the reason.
  static Result<std::unique_ptr<AppHost>> create(app::Manifest manifest);

  // Routes the request, filling its routing fields. nullopt → 404.
  std::optional<RoutedService> route(Request& request) const override;

  const app::Manifest& manifest() const { return manifest_; }

 private:
  AppHost() = default;
  app::Manifest manifest_;
  std::shared_ptr<Linker> linker_;
  Router router_;
  std::vector<const app::ServiceSpec*> route_services_;  // per route index
  std::map<std::string, std::unique_ptr<Handler>> handlers_;  // by service name
};

}  // namespace weft::serve
