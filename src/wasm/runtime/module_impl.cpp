// ModuleImpl's constructor and destructor live next to CompiledFunc's
// definition so that unique_ptr<CompiledFunc> can be destroyed.
#include "wasm/interp/code.h"
#include "wasm/runtime/objects.h"

namespace weft::detail {

ModuleImpl::ModuleImpl() = default;
ModuleImpl::~ModuleImpl() = default;

}  // namespace weft::detail
