#include "wasm/text/module_parser.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "wasm/text/numbers.h"
#include "weft/weft.h"

namespace weft::text {
namespace {

using Bytes = std::vector<uint8_t>;

// Plain-form blocks nest without nesting s-expressions, so recursion through
// them is bounded separately (folded nesting is bounded by the reader).
constexpr size_t kMaxBlockDepth = 2000;
constexpr uint32_t kNoIndex = UINT32_MAX;

void put_u8(Bytes& out, uint8_t b) { out.push_back(b); }

void put_u64(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
}

void put_s64(Bytes& out, int64_t v) {
  while (true) {
    const uint8_t b = v & 0x7F;
    v >>= 7;  // arithmetic shift (C++20)
    const bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : static_cast<uint8_t>(b | 0x80));
    if (done) return;
  }
}

void put_bytes(Bytes& out, const Bytes& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void put_name(Bytes& out, std::string_view s) {
  put_u64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_section(Bytes& out, uint8_t id, uint32_t count, const Bytes& content) {
  if (count == 0) return;
  Bytes body;
  put_u64(body, count);
  put_bytes(body, content);
  put_u8(out, id);
  put_u64(out, body.size());
  put_bytes(out, body);
}

struct Sig {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const Sig&) const = default;
};

struct Space {
  std::unordered_map<std::string_view, uint32_t> names;
  uint32_t count = 0;
};

struct Cursor {
  const Node* list;
  size_t pos;
  bool done() const { return pos >= list->items.size(); }
  const Node& peek() const { return list->items[pos]; }
  const Node& next() { return list->items[pos++]; }
  bool peek_list_of(std::string_view kw) const { return !done() && peek().is_list_of(kw); }
  bool peek_atom(AtomKind k) const { return !done() && peek().is_atom(k); }
  bool peek_index() const { return peek_atom(AtomKind::Number) || peek_atom(AtomKind::Id); }
  bool peek_keyword(std::string_view kw) const { return !done() && peek().is_keyword(kw); }
};

struct TypeUse {
  std::optional<uint32_t> index;
  Sig sig;
  bool has_inline = false;
  std::vector<std::string_view> param_names;  // "" for unnamed
};

enum class Imm : uint8_t {
  None,
  Block,
  Loop,
  If,
  Else,
  End,
  Br,
  BrTable,
  Call,
  CallIndirect,
  Local,
  Global,
  Table,
  TableInit,
  TableCopy,
  ElemIdx,
  DataIdx,
  MemoryInit,
  MemIdx,
  MemCopy,
  Memarg,
  I32,
  I64,
  F32,
  F64,
  Select,
  RefNull,
  RefFunc,
  Tag,       // throw: a tag index
  TryTable,  // try_table: a block with catch clauses
  Try,       // legacy exception handling: try ... catch/catch_all/delegate
  Handler,   // legacy catch/catch_all/delegate: only inside a try
};

struct OpInfo {
  Imm imm = Imm::None;
  uint8_t op = 0;
  int32_t fc = -1;    // 0xFC-prefixed sub-opcode, or -1
  uint8_t align = 0;  // natural alignment (log2) for memory accesses
};

const std::unordered_map<std::string_view, OpInfo>& op_table() {
  static const std::unordered_map<std::string_view, OpInfo> table = [] {
    std::unordered_map<std::string_view, OpInfo> t;
    auto add = [&t](std::string_view name, Imm imm, uint8_t op) {
      t[name] = OpInfo{imm, op, -1, 0};
    };
    auto mem = [&t](std::string_view name, uint8_t op, uint8_t align) {
      t[name] = OpInfo{Imm::Memarg, op, -1, align};
    };
    auto fc = [&t](std::string_view name, Imm imm, int32_t sub) {
      t[name] = OpInfo{imm, 0xFC, sub, 0};
    };
    add("unreachable", Imm::None, 0x00);
    add("nop", Imm::None, 0x01);
    add("block", Imm::Block, 0x02);
    add("loop", Imm::Loop, 0x03);
    add("if", Imm::If, 0x04);
    // Exception handling (WebAssembly 3.0), which the component tests use.
    add("throw", Imm::Tag, 0x08);
    add("throw_ref", Imm::None, 0x0A);
    add("try_table", Imm::TryTable, 0x1F);
    // The legacy (phase 3 proposal) instructions, which the proposal's
    // scripts still use.
    add("try", Imm::Try, 0x06);
    add("catch", Imm::Handler, 0x07);
    add("catch_all", Imm::Handler, 0x19);
    add("delegate", Imm::Handler, 0x18);
    add("rethrow", Imm::Br, 0x09);
    add("else", Imm::Else, 0x05);
    add("end", Imm::End, 0x0B);
    add("br", Imm::Br, 0x0C);
    add("br_if", Imm::Br, 0x0D);
    add("br_table", Imm::BrTable, 0x0E);
    add("return", Imm::None, 0x0F);
    add("call", Imm::Call, 0x10);
    add("call_indirect", Imm::CallIndirect, 0x11);
    add("drop", Imm::None, 0x1A);
    add("select", Imm::Select, 0x1B);
    add("local.get", Imm::Local, 0x20);
    add("local.set", Imm::Local, 0x21);
    add("local.tee", Imm::Local, 0x22);
    add("global.get", Imm::Global, 0x23);
    add("global.set", Imm::Global, 0x24);
    add("table.get", Imm::Table, 0x25);
    add("table.set", Imm::Table, 0x26);
    mem("i32.load", 0x28, 2);
    mem("i64.load", 0x29, 3);
    mem("f32.load", 0x2A, 2);
    mem("f64.load", 0x2B, 3);
    mem("i32.load8_s", 0x2C, 0);
    mem("i32.load8_u", 0x2D, 0);
    mem("i32.load16_s", 0x2E, 1);
    mem("i32.load16_u", 0x2F, 1);
    mem("i64.load8_s", 0x30, 0);
    mem("i64.load8_u", 0x31, 0);
    mem("i64.load16_s", 0x32, 1);
    mem("i64.load16_u", 0x33, 1);
    mem("i64.load32_s", 0x34, 2);
    mem("i64.load32_u", 0x35, 2);
    mem("i32.store", 0x36, 2);
    mem("i64.store", 0x37, 3);
    mem("f32.store", 0x38, 2);
    mem("f64.store", 0x39, 3);
    mem("i32.store8", 0x3A, 0);
    mem("i32.store16", 0x3B, 1);
    mem("i64.store8", 0x3C, 0);
    mem("i64.store16", 0x3D, 1);
    mem("i64.store32", 0x3E, 2);
    add("memory.size", Imm::MemIdx, 0x3F);
    add("memory.grow", Imm::MemIdx, 0x40);
    add("i32.const", Imm::I32, 0x41);
    add("i64.const", Imm::I64, 0x42);
    add("f32.const", Imm::F32, 0x43);
    add("f64.const", Imm::F64, 0x44);
    static constexpr std::string_view kSimple[] = {"i32.eqz",
                                                   "i32.eq",
                                                   "i32.ne",
                                                   "i32.lt_s",
                                                   "i32.lt_u",
                                                   "i32.gt_s",
                                                   "i32.gt_u",
                                                   "i32.le_s",
                                                   "i32.le_u",
                                                   "i32.ge_s",
                                                   "i32.ge_u",
                                                   "i64.eqz",
                                                   "i64.eq",
                                                   "i64.ne",
                                                   "i64.lt_s",
                                                   "i64.lt_u",
                                                   "i64.gt_s",
                                                   "i64.gt_u",
                                                   "i64.le_s",
                                                   "i64.le_u",
                                                   "i64.ge_s",
                                                   "i64.ge_u",
                                                   "f32.eq",
                                                   "f32.ne",
                                                   "f32.lt",
                                                   "f32.gt",
                                                   "f32.le",
                                                   "f32.ge",
                                                   "f64.eq",
                                                   "f64.ne",
                                                   "f64.lt",
                                                   "f64.gt",
                                                   "f64.le",
                                                   "f64.ge",
                                                   "i32.clz",
                                                   "i32.ctz",
                                                   "i32.popcnt",
                                                   "i32.add",
                                                   "i32.sub",
                                                   "i32.mul",
                                                   "i32.div_s",
                                                   "i32.div_u",
                                                   "i32.rem_s",
                                                   "i32.rem_u",
                                                   "i32.and",
                                                   "i32.or",
                                                   "i32.xor",
                                                   "i32.shl",
                                                   "i32.shr_s",
                                                   "i32.shr_u",
                                                   "i32.rotl",
                                                   "i32.rotr",
                                                   "i64.clz",
                                                   "i64.ctz",
                                                   "i64.popcnt",
                                                   "i64.add",
                                                   "i64.sub",
                                                   "i64.mul",
                                                   "i64.div_s",
                                                   "i64.div_u",
                                                   "i64.rem_s",
                                                   "i64.rem_u",
                                                   "i64.and",
                                                   "i64.or",
                                                   "i64.xor",
                                                   "i64.shl",
                                                   "i64.shr_s",
                                                   "i64.shr_u",
                                                   "i64.rotl",
                                                   "i64.rotr",
                                                   "f32.abs",
                                                   "f32.neg",
                                                   "f32.ceil",
                                                   "f32.floor",
                                                   "f32.trunc",
                                                   "f32.nearest",
                                                   "f32.sqrt",
                                                   "f32.add",
                                                   "f32.sub",
                                                   "f32.mul",
                                                   "f32.div",
                                                   "f32.min",
                                                   "f32.max",
                                                   "f32.copysign",
                                                   "f64.abs",
                                                   "f64.neg",
                                                   "f64.ceil",
                                                   "f64.floor",
                                                   "f64.trunc",
                                                   "f64.nearest",
                                                   "f64.sqrt",
                                                   "f64.add",
                                                   "f64.sub",
                                                   "f64.mul",
                                                   "f64.div",
                                                   "f64.min",
                                                   "f64.max",
                                                   "f64.copysign",
                                                   "i32.wrap_i64",
                                                   "i32.trunc_f32_s",
                                                   "i32.trunc_f32_u",
                                                   "i32.trunc_f64_s",
                                                   "i32.trunc_f64_u",
                                                   "i64.extend_i32_s",
                                                   "i64.extend_i32_u",
                                                   "i64.trunc_f32_s",
                                                   "i64.trunc_f32_u",
                                                   "i64.trunc_f64_s",
                                                   "i64.trunc_f64_u",
                                                   "f32.convert_i32_s",
                                                   "f32.convert_i32_u",
                                                   "f32.convert_i64_s",
                                                   "f32.convert_i64_u",
                                                   "f32.demote_f64",
                                                   "f64.convert_i32_s",
                                                   "f64.convert_i32_u",
                                                   "f64.convert_i64_s",
                                                   "f64.convert_i64_u",
                                                   "f64.promote_f32",
                                                   "i32.reinterpret_f32",
                                                   "i64.reinterpret_f64",
                                                   "f32.reinterpret_i32",
                                                   "f64.reinterpret_i64",
                                                   "i32.extend8_s",
                                                   "i32.extend16_s",
                                                   "i64.extend8_s",
                                                   "i64.extend16_s",
                                                   "i64.extend32_s"};
    uint8_t op = 0x45;
    for (std::string_view name : kSimple) add(name, Imm::None, op++);
    add("ref.null", Imm::RefNull, 0xD0);
    add("ref.is_null", Imm::None, 0xD1);
    add("ref.func", Imm::RefFunc, 0xD2);
    static constexpr std::string_view kSat[] = {
        "i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
        "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u"};
    int32_t sub = 0;
    for (std::string_view name : kSat) fc(name, Imm::None, sub++);
    fc("memory.init", Imm::MemoryInit, 8);
    fc("data.drop", Imm::DataIdx, 9);
    fc("memory.copy", Imm::MemCopy, 10);
    fc("memory.fill", Imm::MemIdx, 11);
    fc("table.init", Imm::TableInit, 12);
    fc("elem.drop", Imm::ElemIdx, 13);
    fc("table.copy", Imm::TableCopy, 14);
    fc("table.grow", Imm::Table, 15);
    fc("table.size", Imm::Table, 16);
    fc("table.fill", Imm::Table, 17);
    return t;
  }();
  return table;
}

struct FuncCtx {
  std::unordered_map<std::string_view, uint32_t> locals;
  std::vector<std::string_view> labels;  // innermost last; "" when unnamed
  size_t depth = 0;
};

class ModuleParser {
 public:
  ModuleParser(std::string_view filename, Flavor flavor) : filename_(filename), flavor_(flavor) {}

  Result<Bytes> run(const Node& whole, size_t first) {
    whole_ = &whole;
    first_ = first;
    if (!collect_types() || !collect_names() || !emit_fields()) return std::move(error_);
    for (const PendingTypeCheck& check : pending_type_checks_) {
      if (check.index >= types_.size() || !(types_[check.index] == check.sig)) {
        fail(*check.at, "inline function type doesn't match type reference");
        return std::move(error_);
      }
    }
    return assemble();
  }

 private:
  // ---- errors -------------------------------------------------------------

  bool fail(const Node& at, std::string_view reason) {
    if (!failed_) {
      error_ = make_text_error(filename_, at.line, at.col, reason);
      failed_ = true;
    }
    return false;
  }
  // An error about the item the cursor is at, or the end of its list.
  bool fail_at(const Cursor& c, std::string_view reason) {
    return fail(c.done() ? *c.list : c.peek(), reason);
  }
  bool expect_done(const Cursor& c) {
    if (c.done()) return true;
    return fail(c.peek(), "unexpected token");
  }

  // ---- small pieces -------------------------------------------------------

  bool value_type(const Node& n, ValType* out) {
    if (!n.is_list && n.kind == AtomKind::Keyword) {
      if (n.text == "i32") return *out = ValType::I32, true;
      if (n.text == "i64") return *out = ValType::I64, true;
      if (n.text == "f32") return *out = ValType::F32, true;
      if (n.text == "f64") return *out = ValType::F64, true;
      if (n.text == "v128") return *out = ValType::V128, true;
      if (n.text == "funcref") return *out = ValType::FuncRef, true;
      if (n.text == "externref") return *out = ValType::ExternRef, true;
      if (n.text == "exnref") return *out = ValType::ExnRef, true;
    }
    return fail(n, "expected a value type");
  }
  bool ref_type(const Node& n, ValType* out) {
    if (n.is_keyword("funcref")) return *out = ValType::FuncRef, true;
    if (n.is_keyword("externref")) return *out = ValType::ExternRef, true;
    if (n.is_keyword("exnref")) return *out = ValType::ExnRef, true;
    return fail(n, "expected a reference type");
  }
  static bool is_ref_type_atom(const Node& n) {
    return n.is_keyword("funcref") || n.is_keyword("externref") || n.is_keyword("exnref");
  }

  bool string_atom(Cursor& c, std::string* out, bool name) {
    if (!c.peek_atom(AtomKind::String)) return fail_at(c, "expected a string");
    const Node& n = c.next();
    if (name && !is_valid_utf8(n.str)) return fail(n, "malformed UTF-8 encoding");
    *out = n.str;
    return true;
  }

  bool u32_atom(const Node& n, uint32_t* out) {
    if (n.is_atom(AtomKind::Number) && parse_u32(n.text, out)) return true;
    return fail(n, "expected a u32 number");
  }

  bool register_name(Cursor& c, Space& space, std::string_view what) {
    if (c.peek_atom(AtomKind::Id)) {
      const Node& id = c.next();
      if (!space.names.emplace(id.text, space.count).second) {
        return fail(id, "duplicate " + std::string(what) + " " + std::string(id.text));
      }
    }
    ++space.count;
    return true;
  }

  bool index(const Node& n, const Space& space, std::string_view what, uint32_t* out) {
    if (n.is_atom(AtomKind::Number)) return u32_atom(n, out);
    if (n.is_atom(AtomKind::Id)) {
      auto it = space.names.find(n.text);
      if (it == space.names.end()) {
        return fail(n, "unknown " + std::string(what) + " " + std::string(n.text));
      }
      *out = it->second;
      return true;
    }
    return fail(n, "expected a " + std::string(what) + " index");
  }
  bool index_at(Cursor& c, const Space& space, std::string_view what, uint32_t* out) {
    if (c.done()) return fail_at(c, "expected a " + std::string(what) + " index");
    return index(c.next(), space, what, out);
  }

  // (param ...)* (result ...)*
  bool params_results(Cursor& c, TypeUse& tu, bool allow_names) {
    while (c.peek_list_of("param")) {
      tu.has_inline = true;
      const Node& list = c.next();
      Cursor p{&list, 1};
      if (p.peek_atom(AtomKind::Id)) {
        const Node& id = p.next();
        if (!allow_names) return fail(id, "unexpected parameter name");
        if (p.done()) return fail_at(p, "expected a value type");
        ValType t = ValType::I32;
        if (!value_type(p.next(), &t)) return false;
        tu.sig.params.push_back(t);
        tu.param_names.push_back(id.text);
        if (!expect_done(p)) return false;
        continue;
      }
      while (!p.done()) {
        ValType t = ValType::I32;
        if (!value_type(p.next(), &t)) return false;
        tu.sig.params.push_back(t);
        tu.param_names.push_back({});
      }
    }
    while (c.peek_list_of("result")) {
      tu.has_inline = true;
      const Node& list = c.next();
      Cursor r{&list, 1};
      while (!r.done()) {
        ValType t = ValType::I32;
        if (!value_type(r.next(), &t)) return false;
        tu.sig.results.push_back(t);
      }
    }
    return true;
  }

  bool typeuse(Cursor& c, TypeUse& tu, bool allow_names) {
    if (c.peek_list_of("type")) {
      const Node& list = c.next();
      Cursor t{&list, 1};
      uint32_t idx;
      if (!index_at(t, types_space_, "type", &idx) || !expect_done(t)) return false;
      tu.index = idx;
    }
    return params_results(c, tu, allow_names);
  }

  uint32_t find_or_add_type(const Sig& sig) {
    for (size_t i = 0; i < types_.size(); ++i) {
      if (types_[i] == sig) return static_cast<uint32_t>(i);
    }
    types_.push_back(sig);
    return static_cast<uint32_t>(types_.size() - 1);
  }

  // The type index of a typeuse, appending an implicit type if needed.
  bool resolve_typeuse(const Node& at, const TypeUse& tu, uint32_t* out, Sig* sig) {
    if (tu.index) {
      *out = *tu.index;
      if (*tu.index < types_.size()) {
        const Sig& declared = types_[*tu.index];
        if (tu.has_inline && !(declared == tu.sig)) {
          return fail(at, "inline function type does not match the type index");
        }
        *sig = declared;
      } else if (tu.has_inline && flavor_ == Flavor::Wabt) {
        // The inline signature cannot be checked against a missing type.
        return fail(at, "unknown type");
      } else if (tu.has_inline) {
        // wasm-tools makes the implicit types first: the index may name one
        // that a later inline signature adds. Checked at the end.
        pending_type_checks_.push_back({&at, *tu.index, tu.sig});
        *sig = tu.sig;
      } else {
        *sig = tu.sig;
      }
      return true;
    }
    *out = find_or_add_type(tu.sig);
    *sig = tu.sig;
    return true;
  }

  // Memories may end with `shared` (threads), flag bit 1.
  bool limits(Cursor& c, Bytes& out, bool shared_ok = false) {
    uint32_t min, max;
    if (c.done()) return fail_at(c, "expected limits");
    if (!u32_atom(c.next(), &min)) return false;
    const bool has_max = c.peek_atom(AtomKind::Number);
    if (has_max && !u32_atom(c.next(), &max)) return false;
    const bool shared = shared_ok && c.peek_keyword("shared");
    if (shared) c.next();
    put_u8(out, static_cast<uint8_t>((has_max ? 0x01 : 0x00) | (shared ? 0x02 : 0x00)));
    put_u64(out, min);
    if (has_max) put_u64(out, max);
    return true;
  }

  bool global_type(Cursor& c, Bytes& out) {
    if (c.done()) return fail_at(c, "expected a global type");
    const Node& n = c.next();
    ValType t = ValType::I32;
    if (n.is_list_of("mut")) {
      if (n.items.size() != 2) return fail(n, "expected (mut type)");
      if (!value_type(n.items[1], &t)) return false;
      put_u8(out, static_cast<uint8_t>(t));
      put_u8(out, 0x01);
      return true;
    }
    if (!value_type(n, &t)) return false;
    put_u8(out, static_cast<uint8_t>(t));
    put_u8(out, 0x00);
    return true;
  }

  // ---- pass 0: explicit types --------------------------------------------

  bool collect_types() {
    for (size_t i = first_; i < whole_->items.size(); ++i) {
      const Node& field = whole_->items[i];
      if (!field.is_list_of("type")) continue;
      Cursor c{&field, 1};
      if (c.peek_atom(AtomKind::Id)) {
        const Node& id = c.next();
        if (!types_space_.names.emplace(id.text, types_space_.count).second) {
          return fail(id, "duplicate type " + std::string(id.text));
        }
      }
      ++types_space_.count;
      if (!c.peek_list_of("func")) return fail_at(c, "expected (func ...)");
      const Node& func = c.next();
      if (!expect_done(c)) return false;
      Cursor f{&func, 1};
      TypeUse tu;
      if (!params_results(f, tu, true) || !expect_done(f)) return false;
      types_.push_back(tu.sig);
    }
    return true;
  }

  // ---- pass 1: names and index spaces ------------------------------------

  // Skips `$id? (export ...)*` and reports whether an inline import follows.
  static bool has_inline_import(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    while (c.peek_list_of("export")) c.next();
    return c.peek_list_of("import");
  }

  bool note_import(const Node& at) {
    if (seen_definition_) return fail(at, "imports must occur before all non-import definitions");
    return true;
  }

  bool collect_names() {
    for (size_t i = first_; i < whole_->items.size(); ++i) {
      const Node& field = whole_->items[i];
      const std::string_view head = field.head();
      if (head.empty()) return fail(field, "expected a module field");
      Cursor c{&field, 1};
      if (head == "type" || head == "export" || head == "start") continue;
      if (head == "import") {
        if (!note_import(field)) return false;
        if (field.items.size() < 4 || !field.items[3].is_list) {
          return fail(field, "expected (import \"module\" \"name\" (kind ...))");
        }
        const Node& desc = field.items[3];
        Cursor d{&desc, 1};
        const std::string_view kind = desc.head();
        Space* space = kind == "func"     ? &funcs_
                       : kind == "table"  ? &tables_
                       : kind == "memory" ? &memories_
                       : kind == "global" ? &globals_
                       : kind == "tag"    ? &tags_
                                          : nullptr;
        if (space == nullptr) return fail(desc, "unknown import kind");
        if (!register_name(d, *space, kind)) return false;
        continue;
      }
      Space* space = head == "func"     ? &funcs_
                     : head == "table"  ? &tables_
                     : head == "memory" ? &memories_
                     : head == "global" ? &globals_
                     : head == "tag"    ? &tags_
                     : head == "elem"   ? &elems_
                     : head == "data"   ? &datas_
                                        : nullptr;
      if (space == nullptr) return fail(field, "unknown module field " + std::string(head));
      if (space != &elems_ && space != &datas_) {
        if (has_inline_import(field)) {
          if (!note_import(field)) return false;
        } else {
          seen_definition_ = true;
        }
      }
      if (!register_name(c, *space, head)) return false;
      if (head == "table" || head == "memory") {
        // An inline (elem ...) / (data ...) defines a segment, taking an index.
        while (c.peek_list_of("export")) c.next();
        if (head == "table" && !c.done() && is_ref_type_atom(c.peek()) &&
            c.pos + 1 < field.items.size() && field.items[c.pos + 1].is_list_of("elem")) {
          ++elems_.count;
        }
        if (head == "memory" && c.peek_list_of("data")) ++datas_.count;
      }
    }
    return true;
  }

  // ---- pass 2: fields in order -------------------------------------------

  bool emit_fields() {
    for (size_t i = first_; i < whole_->items.size(); ++i) {
      const Node& field = whole_->items[i];
      const std::string_view head = field.head();
      bool ok = true;
      if (head == "type") {
        continue;
      } else if (head == "import") {
        ok = import_field(field);
      } else if (head == "func") {
        ok = func_field(field);
      } else if (head == "table") {
        ok = table_field(field);
      } else if (head == "memory") {
        ok = memory_field(field);
      } else if (head == "global") {
        ok = global_field(field);
      } else if (head == "tag") {
        ok = tag_field(field);
      } else if (head == "export") {
        ok = export_field(field);
      } else if (head == "start") {
        ok = start_field(field);
      } else if (head == "elem") {
        ok = elem_field(field);
      } else if (head == "data") {
        ok = data_field(field);
      }
      if (!ok) return false;
    }
    return true;
  }

  bool inline_exports(Cursor& c, uint8_t kind, uint32_t idx) {
    while (c.peek_list_of("export")) {
      const Node& e = c.next();
      Cursor ec{&e, 1};
      std::string name;
      if (!string_atom(ec, &name, true) || !expect_done(ec)) return false;
      put_name(export_sec_, name);
      put_u8(export_sec_, kind);
      put_u64(export_sec_, idx);
      ++export_count_;
    }
    return true;
  }

  // (import "m" "n") inside a func/table/memory/global: writes the import's
  // names; the caller writes the descriptor.
  bool inline_import(Cursor& c, bool* is_import) {
    *is_import = false;
    if (!c.peek_list_of("import")) return true;
    const Node& imp = c.next();
    Cursor ic{&imp, 1};
    std::string module, name;
    if (!string_atom(ic, &module, true) || !string_atom(ic, &name, true) || !expect_done(ic)) {
      return false;
    }
    put_name(import_sec_, module);
    put_name(import_sec_, name);
    ++import_count_;
    *is_import = true;
    return true;
  }

  bool import_field(const Node& field) {
    Cursor c{&field, 1};
    std::string module, name;
    if (!string_atom(c, &module, true) || !string_atom(c, &name, true)) return false;
    const Node& desc = c.next();  // checked in pass 1
    if (!expect_done(c)) return false;
    put_name(import_sec_, module);
    put_name(import_sec_, name);
    ++import_count_;
    Cursor d{&desc, 1};
    if (d.peek_atom(AtomKind::Id)) d.next();
    const std::string_view kind = desc.head();
    if (kind == "func") {
      ++func_counter_;
      TypeUse tu;
      uint32_t type_index;
      Sig sig;
      if (!typeuse(d, tu, true) || !expect_done(d) ||
          !resolve_typeuse(desc, tu, &type_index, &sig)) {
        return false;
      }
      put_u8(import_sec_, 0x00);
      put_u64(import_sec_, type_index);
    } else if (kind == "table") {
      ++table_counter_;
      put_u8(import_sec_, 0x01);
      return table_type(d, import_sec_) && expect_done(d);
    } else if (kind == "memory") {
      ++memory_counter_;
      put_u8(import_sec_, 0x02);
      return limits(d, import_sec_, true) && expect_done(d);
    } else if (kind == "tag") {
      ++tag_counter_;
      uint32_t type_index;
      if (!tag_type(d, desc, &type_index)) return false;
      put_u8(import_sec_, 0x04);
      put_u8(import_sec_, 0x00);
      put_u64(import_sec_, type_index);
    } else {
      ++global_counter_;
      put_u8(import_sec_, 0x03);
      return global_type(d, import_sec_) && expect_done(d);
    }
    return true;
  }

  // limits reftype, written as reftype limits.
  bool table_type(Cursor& c, Bytes& out) {
    Bytes lim;
    if (!limits(c, lim)) return false;
    if (c.done()) return fail_at(c, "expected a reference type");
    ValType t = ValType::I32;
    if (!ref_type(c.next(), &t)) return false;
    put_u8(out, static_cast<uint8_t>(t));
    put_bytes(out, lim);
    return true;
  }

  bool func_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    const uint32_t func_index = func_counter_++;
    if (!inline_exports(c, 0x00, func_index)) return false;
    bool is_import;
    if (!inline_import(c, &is_import)) return false;
    TypeUse tu;
    uint32_t type_index;
    Sig sig;
    if (!typeuse(c, tu, true) || !resolve_typeuse(field, tu, &type_index, &sig)) return false;
    if (is_import) {
      put_u8(import_sec_, 0x00);
      put_u64(import_sec_, type_index);
      return expect_done(c);
    }
    put_u64(func_sec_, type_index);
    ++func_count_;

    FuncCtx f;
    uint32_t local_count = static_cast<uint32_t>(sig.params.size());
    for (size_t i = 0; i < tu.param_names.size(); ++i) {
      if (tu.param_names[i].empty()) continue;
      if (!f.locals.emplace(tu.param_names[i], static_cast<uint32_t>(i)).second) {
        return fail(field, "duplicate local " + std::string(tu.param_names[i]));
      }
    }
    std::vector<ValType> locals;
    while (c.peek_list_of("local")) {
      const Node& list = c.next();
      Cursor l{&list, 1};
      if (l.peek_atom(AtomKind::Id)) {
        const Node& id = l.next();
        if (!f.locals.emplace(id.text, local_count).second) {
          return fail(id, "duplicate local " + std::string(id.text));
        }
        if (l.done()) return fail_at(l, "expected a value type");
        ValType t = ValType::I32;
        if (!value_type(l.next(), &t) || !expect_done(l)) return false;
        locals.push_back(t);
        ++local_count;
        continue;
      }
      while (!l.done()) {
        ValType t = ValType::I32;
        if (!value_type(l.next(), &t)) return false;
        locals.push_back(t);
        ++local_count;
      }
    }
    Bytes body;
    // Locals are run-length encoded by consecutive equal types.
    Bytes groups;
    uint32_t group_count = 0;
    for (size_t i = 0; i < locals.size();) {
      size_t j = i;
      while (j < locals.size() && locals[j] == locals[i]) ++j;
      put_u64(groups, j - i);
      put_u8(groups, static_cast<uint8_t>(locals[i]));
      ++group_count;
      i = j;
    }
    put_u64(body, group_count);
    put_bytes(body, groups);
    if (!instr_seq(c, f, body) || !expect_seq_end(c)) return false;
    put_u8(body, 0x0B);
    put_u64(code_sec_, body.size());
    put_bytes(code_sec_, body);
    return true;
  }

  // After an instruction sequence that must fill its list.
  bool expect_seq_end(const Cursor& c) {
    if (c.done()) return true;
    return fail(c.peek(), "unexpected " + std::string(c.peek().text));
  }

  // An expression that fills the rest of `c` (global init, offsets, items).
  bool const_expr(Cursor& c, Bytes& out) {
    FuncCtx f;
    if (!instr_seq(c, f, out) || !expect_seq_end(c)) return false;
    put_u8(out, 0x0B);
    return true;
  }

  bool table_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    const uint32_t table_index = table_counter_++;
    if (!inline_exports(c, 0x01, table_index)) return false;
    bool is_import;
    if (!inline_import(c, &is_import)) return false;
    if (is_import) {
      put_u8(import_sec_, 0x01);
      return table_type(c, import_sec_) && expect_done(c);
    }
    if (!c.done() && is_ref_type_atom(c.peek())) {
      ValType t = ValType::I32;
      if (!ref_type(c.next(), &t)) return false;
      if (!c.peek_list_of("elem")) return fail_at(c, "expected (elem ...)");
      const Node& elem = c.next();
      if (!expect_done(c)) return false;
      Cursor e{&elem, 1};
      std::vector<Bytes> items;
      if (!elem_items(e, /*func_indices=*/!e.done() && !e.peek().is_list, &items)) return false;
      const uint32_t n = static_cast<uint32_t>(items.size());
      put_u8(table_sec_, static_cast<uint8_t>(t));
      put_u8(table_sec_, 0x01);
      put_u64(table_sec_, n);
      put_u64(table_sec_, n);
      ++table_count_;
      Bytes offset = {0x41, 0x00, 0x0B};
      write_elem(ElemMode::Active, table_index, &offset, t, items);
      return true;
    }
    if (!table_type(c, table_sec_) || !expect_done(c)) return false;
    ++table_count_;
    return true;
  }

  bool memory_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    const uint32_t memory_index = memory_counter_++;
    if (!inline_exports(c, 0x02, memory_index)) return false;
    bool is_import;
    if (!inline_import(c, &is_import)) return false;
    if (is_import) {
      put_u8(import_sec_, 0x02);
      return limits(c, import_sec_, true) && expect_done(c);
    }
    if (c.peek_list_of("data")) {
      const Node& data = c.next();
      if (!expect_done(c)) return false;
      Cursor d{&data, 1};
      std::string bytes;
      while (!d.done()) {
        std::string part;
        if (!string_atom(d, &part, false)) return false;
        bytes += part;
      }
      const uint64_t pages = (bytes.size() + 65535) / 65536;
      put_u8(memory_sec_, 0x01);
      put_u64(memory_sec_, pages);
      put_u64(memory_sec_, pages);
      ++memory_count_;
      Bytes offset = {0x41, 0x00, 0x0B};
      write_data(memory_index, &offset, bytes);
      return true;
    }
    if (!limits(c, memory_sec_, true) || !expect_done(c)) return false;
    ++memory_count_;
    return true;
  }

  // A tag's type use: exception tags (attribute 0) of a function type.
  bool tag_type(Cursor& c, const Node& at, uint32_t* type_index) {
    TypeUse tu;
    Sig sig;
    return typeuse(c, tu, false) && expect_done(c) && resolve_typeuse(at, tu, type_index, &sig);
  }

  bool tag_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    const uint32_t tag_index = tag_counter_++;
    if (!inline_exports(c, 0x04, tag_index)) return false;
    bool is_import;
    if (!inline_import(c, &is_import)) return false;
    uint32_t type_index;
    if (!tag_type(c, field, &type_index)) return false;
    Bytes& out = is_import ? import_sec_ : tag_sec_;
    put_u8(out, is_import ? 0x04 : 0x00);
    if (is_import) put_u8(out, 0x00);
    put_u64(out, type_index);
    if (!is_import) ++tag_count_;
    return true;
  }

  bool global_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    const uint32_t global_index = global_counter_++;
    if (!inline_exports(c, 0x03, global_index)) return false;
    bool is_import;
    if (!inline_import(c, &is_import)) return false;
    if (is_import) {
      put_u8(import_sec_, 0x03);
      return global_type(c, import_sec_) && expect_done(c);
    }
    if (!global_type(c, global_sec_) || !const_expr(c, global_sec_)) return false;
    ++global_count_;
    return true;
  }

  bool export_field(const Node& field) {
    Cursor c{&field, 1};
    std::string name;
    if (!string_atom(c, &name, true)) return false;
    if (c.done() || !c.peek().is_list) return fail_at(c, "expected an export descriptor");
    const Node& desc = c.next();
    if (!expect_done(c)) return false;
    const std::string_view kind = desc.head();
    Cursor d{&desc, 1};
    uint8_t kind_byte;
    const Space* space;
    if (kind == "func") {
      kind_byte = 0x00, space = &funcs_;
    } else if (kind == "table") {
      kind_byte = 0x01, space = &tables_;
    } else if (kind == "memory") {
      kind_byte = 0x02, space = &memories_;
    } else if (kind == "global") {
      kind_byte = 0x03, space = &globals_;
    } else if (kind == "tag") {
      kind_byte = 0x04, space = &tags_;
    } else {
      return fail(desc, "unknown export kind");
    }
    uint32_t idx;
    if (!index_at(d, *space, kind, &idx) || !expect_done(d)) return false;
    put_name(export_sec_, name);
    put_u8(export_sec_, kind_byte);
    put_u64(export_sec_, idx);
    ++export_count_;
    return true;
  }

  bool start_field(const Node& field) {
    Cursor c{&field, 1};
    uint32_t idx;
    if (!index_at(c, funcs_, "function", &idx) || !expect_done(c)) return false;
    // wasm-tools leaves a second start to validation, writing both.
    if (!starts_.empty() && flavor_ == Flavor::Wabt) return fail(field, "multiple start sections");
    starts_.push_back(idx);
    return true;
  }

  // ---- segments -------------------------------------------------------------

  enum class ElemMode : uint8_t { Active, Passive, Declarative };

  // Element items: function indices (func_indices) or expressions, each
  // encoded as a constant expression (ref.func x / ref.null t / ...).
  bool elem_items(Cursor& c, bool func_indices, std::vector<Bytes>* items) {
    while (!c.done()) {
      Bytes expr;
      if (func_indices) {
        uint32_t idx;
        if (!index(c.next(), funcs_, "function", &idx)) return false;
        put_u8(expr, 0xD2);
        put_u64(expr, idx);
        put_u8(expr, 0x0B);
      } else {
        const Node& item = c.next();
        if (!item.is_list) return fail(item, "expected an element expression");
        if (item.is_list_of("item")) {
          Cursor ic{&item, 1};
          if (!const_expr(ic, expr)) return false;
        } else {
          FuncCtx f;
          if (!folded_instr(item, f, expr)) return false;
          put_u8(expr, 0x0B);
        }
      }
      items->push_back(std::move(expr));
    }
    return true;
  }

  // If `expr` is exactly `ref.func x end`, sets *func.
  static bool single_ref_func(const Bytes& expr, uint32_t* func) {
    if (expr.size() < 3 || expr[0] != 0xD2 || expr.back() != 0x0B) return false;
    uint64_t v = 0;
    unsigned shift = 0;
    size_t i = 1;
    for (; i < expr.size() - 1; ++i) {
      if (shift >= 35) return false;
      v |= static_cast<uint64_t>(expr[i] & 0x7F) << shift;
      shift += 7;
      if (!(expr[i] & 0x80)) {
        ++i;
        break;
      }
    }
    if (i != expr.size() - 1 || v > UINT32_MAX) return false;
    *func = static_cast<uint32_t>(v);
    return true;
  }

  // wasm-tools chooses the segment flags from the syntax: an explicit table
  // gives the form with a table index, and function-index syntax the form
  // with indices.
  void write_elem_as_written(ElemMode mode, bool table_written, uint32_t table_index,
                             const Bytes* offset, ValType type, bool func_indices,
                             const std::vector<Bytes>& items) {
    uint8_t flags = mode == ElemMode::Passive       ? 1
                    : mode == ElemMode::Declarative ? 3
                    : table_written                 ? 2
                                                    : 0;
    if (!func_indices) {
      flags |= 4;
      if (mode == ElemMode::Active && !table_written && type != ValType::FuncRef) flags = 6;
    }
    put_u8(elem_sec_, flags);
    if (flags == 2 || flags == 6) put_u64(elem_sec_, table_index);
    if (mode == ElemMode::Active) put_bytes(elem_sec_, *offset);
    if (flags & 3) put_u8(elem_sec_, func_indices ? 0x00 : static_cast<uint8_t>(type));
    put_u64(elem_sec_, items.size());
    for (const Bytes& item : items) {
      uint32_t f;
      if (func_indices && single_ref_func(item, &f)) {
        put_u64(elem_sec_, f);
      } else {
        put_bytes(elem_sec_, item);
      }
    }
    ++elem_count_;
  }

  // Chooses the segment flags as wabt does: the shortest form that holds it.
  void write_elem(ElemMode mode, uint32_t table_index, const Bytes* offset, ValType type,
                  const std::vector<Bytes>& items) {
    bool all_funcs = type == ValType::FuncRef;
    std::vector<uint32_t> funcs;
    for (const Bytes& item : items) {
      uint32_t f;
      if (!all_funcs || !single_ref_func(item, &f)) {
        all_funcs = false;
        break;
      }
      funcs.push_back(f);
    }
    uint8_t flags = 0;
    if (mode == ElemMode::Passive) flags = 1;
    if (mode == ElemMode::Declarative) flags = 3;
    if (mode == ElemMode::Active && (table_index != 0 || type != ValType::FuncRef)) flags = 2;
    if (!all_funcs) flags |= 4;
    put_u8(elem_sec_, flags);
    if (flags & 2 && mode == ElemMode::Active) put_u64(elem_sec_, table_index);
    if (mode == ElemMode::Active) put_bytes(elem_sec_, *offset);
    if (flags & 3) put_u8(elem_sec_, all_funcs ? 0x00 : static_cast<uint8_t>(type));
    put_u64(elem_sec_, items.size());
    if (all_funcs) {
      for (uint32_t f : funcs) put_u64(elem_sec_, f);
    } else {
      for (const Bytes& item : items) put_bytes(elem_sec_, item);
    }
    ++elem_count_;
  }

  // An offset: (offset instr*) or one folded instruction.
  bool offset_expr(Cursor& c, Bytes& out) {
    if (c.done() || !c.peek().is_list) return fail_at(c, "expected an offset expression");
    const Node& n = c.next();
    if (n.is_list_of("offset")) {
      Cursor oc{&n, 1};
      return const_expr(oc, out);
    }
    FuncCtx f;
    if (!folded_instr(n, f, out)) return false;
    put_u8(out, 0x0B);
    return true;
  }

  bool elem_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    ElemMode mode = ElemMode::Passive;
    uint32_t table_index = 0;
    Bytes offset;
    bool table_written = false, table_numeric = false;
    if (c.peek_keyword("declare")) {
      c.next();
      mode = ElemMode::Declarative;
    } else if (c.peek_list_of("table")) {
      table_written = true;
      const Node& t = c.next();
      Cursor tc{&t, 1};
      if (!index_at(tc, tables_, "table", &table_index) || !expect_done(tc)) return false;
      mode = ElemMode::Active;
      if (!offset_expr(c, offset)) return false;
    } else if (c.peek_atom(AtomKind::Number)) {
      // The MVP form (elem tableidx (offset ...) ...).
      table_written = true;
      table_numeric = true;
      if (!index(c.next(), tables_, "table", &table_index)) return false;
      mode = ElemMode::Active;
      if (!offset_expr(c, offset)) return false;
    } else if (!c.done() && c.peek().is_list) {
      mode = ElemMode::Active;
      if (!offset_expr(c, offset)) return false;
    }
    ValType type = ValType::FuncRef;
    bool func_indices;
    if (c.peek_keyword("func")) {
      c.next();
      func_indices = true;
    } else if (!c.done() && is_ref_type_atom(c.peek())) {
      if (!ref_type(c.next(), &type)) return false;
      func_indices = false;
    } else if (mode == ElemMode::Active &&
               !(flavor_ == Flavor::WasmTools && table_written && !table_numeric)) {
      // The abbreviation (elem (offset ...) funcidx*); wasm-tools, like the
      // spec, has it only without a (table ...) use.
      func_indices = true;
    } else {
      return fail_at(c, "expected 'func' or a reference type");
    }
    std::vector<Bytes> items;
    if (!elem_items(c, func_indices, &items)) return false;
    if (flavor_ == Flavor::WasmTools) {
      write_elem_as_written(mode, table_written, table_index, &offset, type, func_indices, items);
    } else {
      write_elem(mode, table_index, &offset, type, items);
    }
    return true;
  }

  void write_data(uint32_t memory_index, const Bytes* offset, const std::string& bytes) {
    if (offset == nullptr) {
      put_u8(data_sec_, 0x01);
    } else if (memory_index == 0) {
      put_u8(data_sec_, 0x00);
      put_bytes(data_sec_, *offset);
    } else {
      put_u8(data_sec_, 0x02);
      put_u64(data_sec_, memory_index);
      put_bytes(data_sec_, *offset);
    }
    put_name(data_sec_, bytes);
    ++data_count_;
  }

  bool data_field(const Node& field) {
    Cursor c{&field, 1};
    if (c.peek_atom(AtomKind::Id)) c.next();
    bool active = false;
    uint32_t memory_index = 0;
    Bytes offset;
    if (c.peek_list_of("memory")) {
      const Node& m = c.next();
      Cursor mc{&m, 1};
      if (!index_at(mc, memories_, "memory", &memory_index) || !expect_done(mc)) return false;
      active = true;
    } else if (c.peek_atom(AtomKind::Number)) {
      if (!index(c.next(), memories_, "memory", &memory_index)) return false;
      active = true;
    }
    if (active || (!c.done() && c.peek().is_list)) {
      active = true;
      if (!offset_expr(c, offset)) return false;
    }
    std::string bytes;
    while (!c.done()) {
      std::string part;
      if (!string_atom(c, &part, false)) return false;
      bytes += part;
    }
    write_data(memory_index, active ? &offset : nullptr, bytes);
    return true;
  }

  // ---- instructions -----------------------------------------------------------

  static bool at_block_end(const Cursor& c) {
    return !c.done() &&
           (c.peek_keyword("end") || c.peek_keyword("else") || c.peek_keyword("catch") ||
            c.peek_keyword("catch_all") || c.peek_keyword("delegate"));
  }

  // Instructions until the list ends or a plain `end`/`else` (not consumed).
  bool instr_seq(Cursor& c, FuncCtx& f, Bytes& out) {
    while (!c.done() && !at_block_end(c)) {
      const Node& n = c.peek();
      if (n.is_list) {
        c.next();
        if (!folded_instr(n, f, out)) return false;
      } else if (n.kind == AtomKind::Keyword) {
        if (!plain_instr(c, f, out)) return false;
      } else {
        return fail(n, "unexpected token " + std::string(n.text));
      }
    }
    return true;
  }

  const OpInfo* lookup(const Node& kw) {
    const auto& table = op_table();
    auto it = table.find(kw.text);
    if (it == table.end()) {
      fail(kw, "unknown operator " + std::string(kw.text));
      return nullptr;
    }
    return &it->second;
  }

  bool block_type(Cursor& c, Bytes& out) {
    TypeUse tu;
    if (!typeuse(c, tu, false)) return false;
    const Node& at = c.done() ? *c.list : c.peek();
    if (tu.index) {
      if (*tu.index < types_.size()) {
        const Sig& sig = types_[*tu.index];
        if (tu.has_inline && !(sig == tu.sig)) {
          return fail(at, "inline function type does not match the type index");
        }
        if (sig.params.empty() && sig.results.size() <= 1) {
          put_u8(out, sig.results.empty() ? 0x40 : static_cast<uint8_t>(sig.results[0]));
          return true;
        }
      } else if (tu.has_inline) {
        return fail(at, "unknown type");
      }
      put_s64(out, *tu.index);
      return true;
    }
    if (tu.sig.params.empty() && tu.sig.results.size() <= 1) {
      put_u8(out, tu.sig.results.empty() ? 0x40 : static_cast<uint8_t>(tu.sig.results[0]));
      return true;
    }
    put_s64(out, find_or_add_type(tu.sig));
    return true;
  }

  // `$label?` after block/loop/if; pushes it.
  void push_label(Cursor& c, FuncCtx& f) {
    std::string_view label;
    if (c.peek_atom(AtomKind::Id)) label = c.next().text;
    f.labels.push_back(label);
  }

  // `end $l?` / `else $l?`: a repeated label must match the block's.
  bool closing_label(Cursor& c, const FuncCtx& f) {
    if (!c.peek_atom(AtomKind::Id)) return true;
    const Node& id = c.next();
    if (f.labels.back() != id.text) return fail(id, "mismatching label " + std::string(id.text));
    return true;
  }

  bool enter(const Node& at, FuncCtx& f) {
    if (++f.depth > kMaxBlockDepth) return fail(at, "instructions nested too deeply");
    return true;
  }

  bool plain_instr(Cursor& c, FuncCtx& f, Bytes& out) {
    const Node& kw = c.next();
    const OpInfo* info = lookup(kw);
    if (info == nullptr) return false;
    switch (info->imm) {
      case Imm::Block:
      case Imm::Loop:
      case Imm::If: {
        if (!enter(kw, f)) return false;
        push_label(c, f);
        put_u8(out, info->op);
        if (!block_type(c, out) || !instr_seq(c, f, out)) return false;
        if (info->imm == Imm::If && c.peek_keyword("else")) {
          c.next();
          if (!closing_label(c, f)) return false;
          Bytes else_body;
          if (!instr_seq(c, f, else_body)) return false;
          // wabt drops an empty else; wasm-tools keeps what is written.
          if (!else_body.empty() || flavor_ == Flavor::WasmTools) {
            put_u8(out, 0x05);
            put_bytes(out, else_body);
          }
        }
        if (!c.peek_keyword("end")) return fail_at(c, "expected 'end'");
        c.next();
        if (!closing_label(c, f)) return false;
        f.labels.pop_back();
        --f.depth;
        put_u8(out, 0x0B);
        return true;
      }
      case Imm::TryTable: {
        if (!enter(kw, f) || !try_table_head(c, f, out) || !instr_seq(c, f, out)) return false;
        if (!c.peek_keyword("end")) return fail_at(c, "expected 'end'");
        c.next();
        if (!closing_label(c, f)) return false;
        f.labels.pop_back();
        --f.depth;
        put_u8(out, 0x0B);
        return true;
      }
      case Imm::Try: {
        // try $l? bt instr* (catch x instr*)* (catch_all instr*)? end
        // | try $l? bt instr* delegate l
        if (!enter(kw, f)) return false;
        push_label(c, f);
        put_u8(out, 0x06);
        if (!block_type(c, out) || !instr_seq(c, f, out)) return false;
        if (c.peek_keyword("delegate")) {
          c.next();
          f.labels.pop_back();  // delegate's label is outside the try
          uint32_t idx;
          if (c.done() || !label_index(c.next(), f, &idx)) return fail_at(c, "expected a label");
          put_u8(out, 0x18);
          put_u64(out, idx);
          --f.depth;
          return true;
        }
        bool seen_all = false;
        while (c.peek_keyword("catch") || c.peek_keyword("catch_all")) {
          const Node& h = c.next();
          if (seen_all) return fail(h, "unexpected token " + std::string(h.text));
          if (h.text == "catch") {
            uint32_t idx;
            if (!index_at(c, tags_, "tag", &idx)) return false;
            put_u8(out, 0x07);
            put_u64(out, idx);
          } else {
            seen_all = true;
            put_u8(out, 0x19);
          }
          if (!closing_label(c, f) || !instr_seq(c, f, out)) return false;
        }
        if (!c.peek_keyword("end")) return fail_at(c, "expected 'end'");
        c.next();
        if (!closing_label(c, f)) return false;
        f.labels.pop_back();
        --f.depth;
        put_u8(out, 0x0B);
        return true;
      }
      case Imm::Else:
      case Imm::End:
        return fail(kw, "unexpected " + std::string(kw.text));
      case Imm::Handler:  // outside a try
        return fail(kw, "unexpected token " + std::string(kw.text));
      default:
        return immediates(c, kw, *info, f, out);
    }
  }

  // `$label? blocktype catch*` of a try_table: the catch clauses' labels
  // are outside the try_table, so its own label is pushed after them.
  bool try_table_head(Cursor& c, FuncCtx& f, Bytes& out) {
    std::string_view label;
    if (c.peek_atom(AtomKind::Id)) label = c.next().text;
    put_u8(out, 0x1F);
    if (!block_type(c, out)) return false;
    Bytes catches;
    uint32_t count = 0;
    while (c.peek_list_of("catch") || c.peek_list_of("catch_ref") || c.peek_list_of("catch_all") ||
           c.peek_list_of("catch_all_ref")) {
      const Node& clause = c.next();
      const std::string_view head = clause.head();
      const bool all = head == "catch_all" || head == "catch_all_ref";
      const bool ref = head == "catch_ref" || head == "catch_all_ref";
      put_u8(catches, static_cast<uint8_t>((all ? 2 : 0) + (ref ? 1 : 0)));
      Cursor cc{&clause, 1};
      uint32_t idx;
      if (!all) {
        if (!index_at(cc, tags_, "tag", &idx)) return false;
        put_u64(catches, idx);
      }
      if (cc.done()) return fail_at(cc, "expected a label");
      if (!label_index(cc.next(), f, &idx) || !expect_done(cc)) return false;
      put_u64(catches, idx);
      ++count;
    }
    put_u64(out, count);
    put_bytes(out, catches);
    f.labels.push_back(label);
    return true;
  }

  bool folded_instr(const Node& list, FuncCtx& f, Bytes& out) {
    if (list.items.empty() || !list.items[0].is_atom(AtomKind::Keyword)) {
      return fail(list, "expected an instruction");
    }
    const Node& kw = list.items[0];
    const OpInfo* info = lookup(kw);
    if (info == nullptr) return false;
    if (!enter(kw, f)) return false;
    Cursor c{&list, 1};
    switch (info->imm) {
      case Imm::Block:
      case Imm::Loop: {
        push_label(c, f);
        put_u8(out, info->op);
        if (!block_type(c, out) || !instr_seq(c, f, out) || !expect_seq_end(c)) return false;
        f.labels.pop_back();
        put_u8(out, 0x0B);
        break;
      }
      case Imm::If: {
        std::string_view label;
        if (c.peek_atom(AtomKind::Id)) label = c.next().text;
        Bytes type;
        if (!block_type(c, type)) return false;
        while (!c.done() && c.peek().is_list && !c.peek().is_list_of("then")) {
          if (!folded_instr(c.next(), f, out)) return false;
        }
        if (!c.peek_list_of("then")) return fail_at(c, "expected (then ...)");
        const Node& then_list = c.next();
        f.labels.push_back(label);
        put_u8(out, 0x04);
        put_bytes(out, type);
        Cursor tc{&then_list, 1};
        if (!instr_seq(tc, f, out) || !expect_seq_end(tc)) return false;
        if (c.peek_list_of("else")) {
          const Node& else_list = c.next();
          Cursor ec{&else_list, 1};
          Bytes else_body;
          if (!instr_seq(ec, f, else_body) || !expect_seq_end(ec)) return false;
          // wabt drops an empty else; wasm-tools keeps what is written.
          if (!else_body.empty() || flavor_ == Flavor::WasmTools) {
            put_u8(out, 0x05);
            put_bytes(out, else_body);
          }
        }
        if (!expect_done(c)) return false;
        f.labels.pop_back();
        put_u8(out, 0x0B);
        break;
      }
      case Imm::TryTable: {
        if (!try_table_head(c, f, out) || !instr_seq(c, f, out) || !expect_seq_end(c)) {
          return false;
        }
        f.labels.pop_back();
        put_u8(out, 0x0B);
        break;
      }
      case Imm::Try: {
        // (try $l? bt (do instr*) (catch x instr*)* (catch_all instr*)?)
        // | (try $l? bt (do instr*) (delegate l))
        push_label(c, f);
        put_u8(out, 0x06);
        if (!block_type(c, out)) return false;
        if (!c.peek_list_of("do")) return fail_at(c, "expected (do ...)");
        {
          const Node& body = c.next();
          Cursor bc{&body, 1};
          if (!instr_seq(bc, f, out) || !expect_seq_end(bc)) return false;
        }
        if (c.peek_list_of("delegate")) {
          const Node& d = c.next();
          Cursor dc{&d, 1};
          f.labels.pop_back();  // delegate's label is outside the try
          uint32_t idx;
          if (dc.done()) return fail_at(dc, "unexpected token: expected a label");
          if (!label_index(dc.next(), f, &idx) || !expect_done(dc)) return false;
          if (!expect_done(c)) return false;
          put_u8(out, 0x18);
          put_u64(out, idx);
          break;
        }
        bool seen_all = false;
        while (c.peek_list_of("catch") || c.peek_list_of("catch_all")) {
          const Node& h = c.next();
          if (seen_all) return fail(h, "unexpected token");
          Cursor hc{&h, 1};
          if (h.head() == "catch") {
            uint32_t idx;
            if (!index_at(hc, tags_, "tag", &idx)) return false;
            put_u8(out, 0x07);
            put_u64(out, idx);
          } else {
            seen_all = true;
            put_u8(out, 0x19);
          }
          if (!instr_seq(hc, f, out) || !expect_seq_end(hc)) return false;
        }
        if (!c.done()) return fail(c.peek(), "unexpected token");
        f.labels.pop_back();
        put_u8(out, 0x0B);
        break;
      }
      case Imm::Else:
      case Imm::End:
        return fail(kw, "unexpected " + std::string(kw.text));
      case Imm::Handler:  // outside a try
        return fail(kw, "unexpected token " + std::string(kw.text));
      default: {
        Bytes op;
        if (!immediates(c, kw, *info, f, op)) return false;
        while (!c.done()) {
          const Node& operand = c.next();
          if (!operand.is_list)
            return fail(operand, "unexpected token " + std::string(operand.text));
          if (!folded_instr(operand, f, out)) return false;
        }
        put_bytes(out, op);
        break;
      }
    }
    --f.depth;
    return true;
  }

  bool label_index(const Node& n, const FuncCtx& f, uint32_t* out) {
    if (n.is_atom(AtomKind::Id)) {
      for (size_t i = f.labels.size(); i-- > 0;) {
        if (f.labels[i] == n.text) {
          *out = static_cast<uint32_t>(f.labels.size() - 1 - i);
          return true;
        }
      }
      return fail(n, "unknown label " + std::string(n.text));
    }
    if (n.is_atom(AtomKind::Number)) return u32_atom(n, out);
    return fail(n, "expected a label");
  }

  bool local_index(Cursor& c, const FuncCtx& f, uint32_t* out) {
    if (c.done()) return fail_at(c, "expected a local index");
    const Node& n = c.next();
    if (n.is_atom(AtomKind::Id)) {
      auto it = f.locals.find(n.text);
      if (it == f.locals.end()) return fail(n, "unknown local " + std::string(n.text));
      *out = it->second;
      return true;
    }
    if (n.is_atom(AtomKind::Number)) return u32_atom(n, out);
    return fail(n, "expected a local index");
  }

  // Up to `max` optional index atoms.
  bool optional_indices(Cursor& c, const Space& space, std::string_view what, size_t max,
                        std::vector<uint32_t>* out) {
    while (out->size() < max && c.peek_index()) {
      uint32_t idx;
      if (!index(c.next(), space, what, &idx)) return false;
      out->push_back(idx);
    }
    return true;
  }

  bool memarg(Cursor& c, const OpInfo& info, Bytes& out) {
    // Multi-memory: an optional memory index first; a nonzero one sets bit 6
    // of the alignment field and follows it.
    uint32_t memory = 0;
    if (c.peek_index()) {
      if (!index(c.next(), memories_, "memory", &memory)) return false;
    }
    uint64_t offset = 0;
    uint64_t align = uint64_t{1} << info.align;
    if (c.peek_atom(AtomKind::Keyword) && c.peek().text.substr(0, 7) == "offset=") {
      const Node& n = c.next();
      uint32_t v;
      if (!parse_u32(n.text.substr(7), &v)) return fail(n, "malformed offset");
      offset = v;
    }
    if (c.peek_atom(AtomKind::Keyword) && c.peek().text.substr(0, 6) == "align=") {
      const Node& n = c.next();
      uint32_t v;
      if (!parse_u32(n.text.substr(6), &v) || v == 0 || (v & (v - 1)) != 0) {
        return fail(n, "alignment must be a power of two");
      }
      align = v;
    }
    uint32_t log2 = 0;
    while ((uint64_t{1} << log2) < align) ++log2;
    if (memory != 0) {
      put_u64(out, log2 | 0x40);
      put_u64(out, memory);
    } else {
      put_u64(out, log2);
    }
    put_u64(out, offset);
    return true;
  }

  bool immediates(Cursor& c, const Node& kw, const OpInfo& info, FuncCtx& f, Bytes& out) {
    if (info.imm == Imm::Select) {
      std::vector<ValType> types;
      while (c.peek_list_of("result")) {
        const Node& r = c.next();
        Cursor rc{&r, 1};
        while (!rc.done()) {
          ValType t = ValType::I32;
          if (!value_type(rc.next(), &t)) return false;
          types.push_back(t);
        }
      }
      if (types.empty()) {
        put_u8(out, 0x1B);
      } else {
        put_u8(out, 0x1C);
        put_u64(out, types.size());
        for (ValType t : types) put_u8(out, static_cast<uint8_t>(t));
      }
      return true;
    }
    put_u8(out, info.op);
    if (info.fc >= 0) put_u64(out, static_cast<uint64_t>(info.fc));
    uint32_t idx;
    std::vector<uint32_t> list;
    switch (info.imm) {
      case Imm::None:
        return true;
      case Imm::Br:
        if (c.done()) return fail_at(c, "expected a label");
        if (!label_index(c.next(), f, &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::BrTable: {
        while (c.peek_index()) {
          if (!label_index(c.next(), f, &idx)) return false;
          list.push_back(idx);
        }
        if (list.empty()) return fail_at(c, "expected a label");
        put_u64(out, list.size() - 1);
        for (uint32_t l : list) put_u64(out, l);
        return true;
      }
      case Imm::Tag:
        if (!index_at(c, tags_, "tag", &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::Call:
      case Imm::RefFunc:
        if (!index_at(c, funcs_, "function", &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::CallIndirect: {
        uint32_t table = 0;
        if (c.peek_index() && !index(c.next(), tables_, "table", &table)) return false;
        TypeUse tu;
        uint32_t type_index;
        Sig sig;
        if (!typeuse(c, tu, false) || !resolve_typeuse(kw, tu, &type_index, &sig)) return false;
        put_u64(out, type_index);
        put_u64(out, table);
        return true;
      }
      case Imm::Local:
        if (!local_index(c, f, &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::Global:
        if (!index_at(c, globals_, "global", &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::Table:
        if (!optional_indices(c, tables_, "table", 1, &list)) return false;
        put_u64(out, list.empty() ? 0 : list[0]);
        return true;
      case Imm::TableInit: {
        // table.init tableidx? elemidx: two indices name the table first.
        if (!c.peek_index()) return fail_at(c, "expected an element segment index");
        const Node& first = c.next();
        uint32_t table = 0, elem;
        if (c.peek_index()) {
          if (!index(first, tables_, "table", &table) || !index(c.next(), elems_, "elem", &elem)) {
            return false;
          }
        } else if (!index(first, elems_, "elem", &elem)) {
          return false;
        }
        put_u64(out, elem);
        put_u64(out, table);
        return true;
      }
      case Imm::TableCopy:
        if (!optional_indices(c, tables_, "table", 2, &list)) return false;
        if (list.size() == 1) return fail(kw, "table.copy needs zero or two table indices");
        put_u64(out, list.empty() ? 0 : list[0]);
        put_u64(out, list.empty() ? 0 : list[1]);
        return true;
      case Imm::ElemIdx:
        if (!index_at(c, elems_, "elem", &idx)) return false;
        put_u64(out, idx);
        return true;
      case Imm::DataIdx:
        if (!index_at(c, datas_, "data", &idx)) return false;
        put_u64(out, idx);
        uses_data_count_ = true;
        return true;
      case Imm::MemoryInit: {
        if (!c.peek_index()) return fail_at(c, "expected a data segment index");
        const Node& first = c.next();
        uint32_t memory = 0, data;
        if (c.peek_index()) {
          if (!index(first, memories_, "memory", &memory) ||
              !index(c.next(), datas_, "data", &data)) {
            return false;
          }
        } else if (!index(first, datas_, "data", &data)) {
          return false;
        }
        put_u64(out, data);
        put_u64(out, memory);
        uses_data_count_ = true;
        return true;
      }
      case Imm::MemIdx:
        if (!optional_indices(c, memories_, "memory", 1, &list)) return false;
        put_u64(out, list.empty() ? 0 : list[0]);
        return true;
      case Imm::MemCopy:
        if (!optional_indices(c, memories_, "memory", 2, &list)) return false;
        if (list.size() == 1) return fail(kw, "memory.copy needs zero or two memory indices");
        put_u64(out, list.empty() ? 0 : list[0]);
        put_u64(out, list.empty() ? 0 : list[1]);
        return true;
      case Imm::Memarg:
        return memarg(c, info, out);
      case Imm::I32: {
        uint32_t v;
        if (c.done() || !c.peek().is_atom(AtomKind::Number) || !parse_i32(c.peek().text, &v)) {
          return fail_at(c, "malformed i32 constant");
        }
        c.next();
        put_s64(out, static_cast<int32_t>(v));
        return true;
      }
      case Imm::I64: {
        uint64_t v;
        if (c.done() || !c.peek().is_atom(AtomKind::Number) || !parse_i64(c.peek().text, &v)) {
          return fail_at(c, "malformed i64 constant");
        }
        c.next();
        put_s64(out, static_cast<int64_t>(v));
        return true;
      }
      case Imm::F32: {
        uint32_t bits;
        if (c.done() || c.peek().is_list || !parse_f32(c.peek().text, &bits)) {
          return fail_at(c, "malformed f32 constant");
        }
        c.next();
        for (int i = 0; i < 4; ++i) put_u8(out, static_cast<uint8_t>(bits >> (8 * i)));
        return true;
      }
      case Imm::F64: {
        uint64_t bits;
        if (c.done() || c.peek().is_list || !parse_f64(c.peek().text, &bits)) {
          return fail_at(c, "malformed f64 constant");
        }
        c.next();
        for (int i = 0; i < 8; ++i) put_u8(out, static_cast<uint8_t>(bits >> (8 * i)));
        return true;
      }
      case Imm::RefNull: {
        if (c.peek_keyword("func")) {
          put_u8(out, 0x70);
        } else if (c.peek_keyword("extern")) {
          put_u8(out, 0x6F);
        } else if (c.peek_keyword("exn")) {
          put_u8(out, 0x69);
        } else {
          return fail_at(c, "expected a heap type");
        }
        c.next();
        return true;
      }
      default:
        return fail(kw, "unexpected " + std::string(kw.text));
    }
  }

  // ---- output -----------------------------------------------------------------

  Result<Bytes> assemble() {
    Bytes out = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    Bytes types;
    for (const Sig& sig : types_) {
      put_u8(types, 0x60);
      put_u64(types, sig.params.size());
      for (ValType t : sig.params) put_u8(types, static_cast<uint8_t>(t));
      put_u64(types, sig.results.size());
      for (ValType t : sig.results) put_u8(types, static_cast<uint8_t>(t));
    }
    put_section(out, 1, static_cast<uint32_t>(types_.size()), types);
    put_section(out, 2, import_count_, import_sec_);
    put_section(out, 3, func_count_, func_sec_);
    put_section(out, 4, table_count_, table_sec_);
    put_section(out, 5, memory_count_, memory_sec_);
    put_section(out, 13, tag_count_, tag_sec_);
    put_section(out, 6, global_count_, global_sec_);
    put_section(out, 7, export_count_, export_sec_);
    for (uint32_t index : starts_) {
      Bytes start;
      put_u64(start, index);
      put_u8(out, 8);
      put_u64(out, start.size());
      put_bytes(out, start);
    }
    put_section(out, 9, elem_count_, elem_sec_);
    if (uses_data_count_ && data_count_ > 0) {
      Bytes count;
      put_u64(count, data_count_);
      put_u8(out, 12);
      put_u64(out, count.size());
      put_bytes(out, count);
    }
    put_section(out, 10, func_count_, code_sec_);
    put_section(out, 11, data_count_, data_sec_);
    return out;
  }

  std::string_view filename_;
  Flavor flavor_;
  const Node* whole_ = nullptr;
  size_t first_ = 0;
  bool failed_ = false;
  Error error_;

  std::vector<Sig> types_;
  Space types_space_, funcs_, tables_, memories_, globals_, tags_, elems_, datas_;
  bool seen_definition_ = false;

  // Pass-2 counters of each index space (imports come first, so textual
  // order is index order).
  uint32_t func_counter_ = 0, table_counter_ = 0, memory_counter_ = 0, global_counter_ = 0,
           tag_counter_ = 0;

  Bytes import_sec_, func_sec_, table_sec_, memory_sec_, tag_sec_, global_sec_, export_sec_,
      elem_sec_, code_sec_, data_sec_;
  uint32_t import_count_ = 0, func_count_ = 0, table_count_ = 0, memory_count_ = 0, tag_count_ = 0,
           global_count_ = 0, export_count_ = 0, elem_count_ = 0, data_count_ = 0;
  std::vector<uint32_t> starts_;
  struct PendingTypeCheck {
    const Node* at;
    uint32_t index;
    Sig sig;
  };
  std::vector<PendingTypeCheck> pending_type_checks_;  // more than one only in the WasmTools flavor
  bool uses_data_count_ = false;
};

}  // namespace

Result<std::vector<uint8_t>> encode_module_fields(const Node& whole, size_t first,
                                                  std::string_view filename, Flavor flavor) {
  ModuleParser parser(filename, flavor);
  return parser.run(whole, first);
}

Result<std::vector<uint8_t>> encode_module_node(const Node& module, std::string_view filename,
                                                int quote_depth) {
  Cursor c{&module, 1};
  if (c.peek_atom(AtomKind::Id)) c.next();
  if (c.peek_keyword("binary") || c.peek_keyword("quote")) {
    const bool quote = c.next().text == "quote";
    std::string joined;
    while (!c.done()) {
      const Node& s = c.next();
      if (!s.is_atom(AtomKind::String)) {
        return make_text_error(filename, s.line, s.col, "expected a string");
      }
      joined += s.str;
    }
    if (!quote) return std::vector<uint8_t>(joined.begin(), joined.end());
    if (quote_depth >= 8) {
      return make_text_error(filename, module.line, module.col, "quoted modules nested too deeply");
    }
    auto nodes = read_sexprs(joined, filename);
    if (!nodes.ok()) return std::move(nodes).error();
    Node wrapper;
    wrapper.is_list = true;
    wrapper.line = module.line;
    wrapper.col = module.col;
    wrapper.items = std::move(nodes.value());
    if (wrapper.items.size() == 1 && wrapper.items[0].is_list_of("module")) {
      return encode_module_node(wrapper.items[0], filename, quote_depth + 1);
    }
    return encode_module_fields(wrapper, 0, filename);
  }
  return encode_module_fields(module, c.pos, filename);
}

}  // namespace weft::text
