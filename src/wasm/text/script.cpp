#include "wasm/text/script.h"

namespace weft::wast {

const char* to_string(Command::Kind kind) {
  switch (kind) {
    case Command::Kind::Module:
      return "module";
    case Command::Kind::Register:
      return "register";
    case Command::Kind::Action:
      return "action";
    case Command::Kind::AssertReturn:
      return "assert_return";
    case Command::Kind::AssertTrap:
      return "assert_trap";
    case Command::Kind::AssertExhaustion:
      return "assert_exhaustion";
    case Command::Kind::AssertException:
      return "assert_exception";
    case Command::Kind::AssertMalformed:
      return "assert_malformed";
    case Command::Kind::AssertInvalid:
      return "assert_invalid";
    case Command::Kind::AssertUnlinkable:
      return "assert_unlinkable";
    case Command::Kind::AssertUninstantiable:
      return "assert_uninstantiable";
  }
  return "unknown";
}

}  // namespace weft::wast
