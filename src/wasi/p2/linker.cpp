// add_wasi_p2: the definitions onto a ComponentLinker. Kept apart from the
// interfaces so their tests link without the component runtime.
#include "wasi/p2/state.h"

namespace weft::wasi {

void add_wasi_p2(component::ComponentLinker& linker, std::shared_ptr<P2State> state) {
  p2::Definitions defs;
  p2::define_all(state, defs);
  // Resources first: the functions' types name them.
  for (auto& r : defs.resources) {
    (void)linker.resource(std::move(r.interface_name), std::move(r.name), std::move(r.drop));
  }
  for (auto& f : defs.funcs) {
    linker.func(std::move(f.interface_name), std::move(f.name), std::move(f.fn));
  }
}

void add_wasi_p2(component::ComponentLinker& linker, std::function<P2State*(Store&)> lookup) {
  p2::Definitions defs;
  p2::define_all(std::move(lookup), defs);
  for (auto& r : defs.resources) {
    (void)linker.resource(std::move(r.interface_name), std::move(r.name), std::move(r.drop));
  }
  for (auto& f : defs.funcs) {
    linker.func(std::move(f.interface_name), std::move(f.name), std::move(f.fn));
  }
}

Result<std::shared_ptr<P2State>> add_wasi_p2(component::ComponentLinker& linker, Config config) {
  auto state = P2State::create(std::move(config));
  if (!state) return std::move(state).error();
  add_wasi_p2(linker, *state);
  return state;
}

}  // namespace weft::wasi
