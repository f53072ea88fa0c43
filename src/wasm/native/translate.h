// Register code → LLVM IR (translate.cpp).
#pragma once

#include <string>
#include <vector>

namespace llvm {
class Module;
}
namespace weft::detail {
struct ModuleImpl;
}

namespace weft::native {

// Adds a function named PREFIX + function index to `m` for every defined
// function of `mod` the translator covers; returns the names by defined
// function (empty where the function stays interpreted).
std::vector<std::string> translate_module(llvm::Module& m, const detail::ModuleImpl& mod,
                                          const std::string& prefix);

}  // namespace weft::native
