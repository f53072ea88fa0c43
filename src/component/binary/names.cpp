// Text names for the decoded tree's enums, as the component text format
// spells them (Explainer.md), for messages and dumps.
#include "component/binary/ast.h"

namespace weft::component::ast {

const char* to_string(PrimValType type) {
  switch (type) {
    case PrimValType::Bool:
      return "bool";
    case PrimValType::S8:
      return "s8";
    case PrimValType::U8:
      return "u8";
    case PrimValType::S16:
      return "s16";
    case PrimValType::U16:
      return "u16";
    case PrimValType::S32:
      return "s32";
    case PrimValType::U32:
      return "u32";
    case PrimValType::S64:
      return "s64";
    case PrimValType::U64:
      return "u64";
    case PrimValType::F32:
      return "f32";
    case PrimValType::F64:
      return "f64";
    case PrimValType::Char:
      return "char";
    case PrimValType::String:
      return "string";
    case PrimValType::ErrorContext:
      return "error-context";
  }
  return "?";
}

const char* to_string(DefValKind kind) {
  switch (kind) {
    case DefValKind::Prim:
      return "primitive";
    case DefValKind::Record:
      return "record";
    case DefValKind::Variant:
      return "variant";
    case DefValKind::List:
      return "list";
    case DefValKind::FixedList:
      return "fixed-length list";
    case DefValKind::Tuple:
      return "tuple";
    case DefValKind::Flags:
      return "flags";
    case DefValKind::Enum:
      return "enum";
    case DefValKind::Option:
      return "option";
    case DefValKind::Result:
      return "result";
    case DefValKind::Own:
      return "own";
    case DefValKind::Borrow:
      return "borrow";
    case DefValKind::Stream:
      return "stream";
    case DefValKind::Future:
      return "future";
    case DefValKind::Map:
      return "map";
  }
  return "?";
}

const char* canon_name(uint8_t opcode) {
  switch (opcode) {
    case 0x00:
      return "lift";
    case 0x01:
      return "lower";
    case 0x02:
      return "resource.new";
    case 0x03:
      return "resource.drop";
    case 0x04:
      return "resource.rep";
    case 0x05:
      return "task.cancel";
    case 0x06:
      return "subtask.cancel";
    case 0x09:
      return "task.return";
    case 0x0A:
      return "context.get";
    case 0x0B:
      return "context.set";
    case 0x0C:
      return "thread.yield";
    case 0x0D:
      return "subtask.drop";
    case 0x0E:
      return "stream.new";
    case 0x0F:
      return "stream.read";
    case 0x10:
      return "stream.write";
    case 0x11:
      return "stream.cancel-read";
    case 0x12:
      return "stream.cancel-write";
    case 0x13:
      return "stream.drop-readable";
    case 0x14:
      return "stream.drop-writable";
    case 0x15:
      return "future.new";
    case 0x16:
      return "future.read";
    case 0x17:
      return "future.write";
    case 0x18:
      return "future.cancel-read";
    case 0x19:
      return "future.cancel-write";
    case 0x1A:
      return "future.drop-readable";
    case 0x1B:
      return "future.drop-writable";
    case 0x1C:
      return "error-context.new";
    case 0x1D:
      return "error-context.debug-message";
    case 0x1E:
      return "error-context.drop";
    case 0x1F:
      return "waitable-set.new";
    case 0x20:
      return "waitable-set.wait";
    case 0x21:
      return "waitable-set.poll";
    case 0x22:
      return "waitable-set.drop";
    case 0x23:
      return "waitable.join";
    case 0x24:
      return "backpressure.inc";
    case 0x25:
      return "backpressure.dec";
    case 0x26:
      return "thread.index";
    case 0x27:
      return "thread.new-indirect";
    case 0x28:
      return "thread.resume-later";
    case 0x29:
      return "thread.suspend";
    case 0x2A:
      return "thread.suspend-then-resume";
    case 0x2B:
      return "thread.yield-then-resume";
    case 0x2C:
      return "thread.suspend-then-promote";
    case 0x2D:
      return "thread.yield-then-promote";
    case 0x40:
      return "thread.spawn-ref";
    case 0x41:
      return "thread.spawn-indirect";
    case 0x42:
      return "thread.available-parallelism";
    default:
      return nullptr;
  }
}

}  // namespace weft::component::ast
