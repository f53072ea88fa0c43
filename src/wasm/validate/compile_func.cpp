// One pass over a function body: the spec's validation algorithm (operand
// stack with Unknown for unreachable code, control stack), emitting
// register-style interpreter code as it goes.
//
// Code generation model: every operand-stack entry has a home slot
// (base + height). An entry may instead be *pending*: an alias of a local's
// slot (from local.get) or a constant (from *.const); consumers read the
// local / use the constant directly, so most local.get/const instructions
// cost nothing at run time. A pending entry is materialised into its home
// slot when that is needed: before the aliased local is written, at block
// boundaries (so every path into a join agrees on where values live), for
// call arguments and for block results.
#include "wasm/validate/compile_func.h"

#include <cstring>
#include <string>

#include "wasm/binary/reader.h"

namespace weft::validate {
namespace {

using detail::CompiledFunc;
using interp::Op;
using wasm::Reader;

constexpr ValType kUnknown = static_cast<ValType>(0);
constexpr uint32_t kNone = UINT32_MAX;

bool is_num(ValType t) {
  return t == ValType::I32 || t == ValType::I64 || t == ValType::F32 || t == ValType::F64 ||
         t == kUnknown;
}
bool is_ref_or_unknown(ValType t) { return is_ref(t) || t == kUnknown; }

enum class Kind : uint8_t { Stack, Local, Const };

struct Entry {
  ValType type = kUnknown;
  Kind kind = Kind::Stack;
  uint32_t slot = 0;  // Stack: home slot; Local: the local's slot
  uint64_t bits = 0;  // Const
};

// Try and Catch: the legacy exception handling's try body and its catch
// (or catch_all) arms.
enum class CtrlKind : uint8_t { Func, Block, Loop, If, Else, Try, Catch };

struct Ctrl {
  CtrlKind kind = CtrlKind::Block;
  int64_t type_index = -1;    // ≥ 0: a function type; else `single` (or empty)
  ValType single = kUnknown;  // the one result of a [] -> [t] block type
  uint32_t height = 0;        // operand stack height below the block's params
  bool unreachable = false;   // validation: rest of the block is unreachable
  bool dead = false;          // codegen: the whole block is unreachable code
  uint32_t start_pos = 0;     // loop: code position of the label
  std::vector<std::pair<uint32_t, uint32_t>> patches;  // (instr start, offset word)
  uint32_t else_instr = kNone, else_word = kNone;      // if: jump to the else arm
  // try_table: its catch clauses, catches[catch_first, +catch_count) of the
  // compiled function; a handler covering the block is added at its end.
  uint32_t catch_first = kNone, catch_count = 0;
  // Catch clauses (indices into the compiled function's catches) that branch
  // to this block's end, patched when it is reached.
  std::vector<uint32_t> catch_patches;
  // Legacy try: where the body ends (at its first catch), the catch arms'
  // clauses, and whether catch_all was seen. In a Catch arm, `height` is one
  // above label_base: the caught exception (for rethrow) lives in the
  // hidden entry at label_base, and the block's results go to label_base.
  uint32_t body_end = kNone;
  uint32_t label_base = 0;
  std::vector<detail::CatchClause> legacy_catches;
  bool seen_catch_all = false;
  // Delegate clauses (indices into catches) that hand an exception to this
  // block's handler, patched with its index when the handler is added.
  std::vector<uint32_t> delegate_patches;
};

struct NumInfo {
  Op op;
  bool binary;
  ValType in;
  ValType out;
  bool valid;
};

struct NumTable {
  NumInfo info[0x108] = {};
  NumTable() {
#define WEFT_NUM_ENTRY(code, name, form, in_t, out_t) \
  info[code] = NumInfo{Op::name, #form[0] == 'B', ValType::in_t, ValType::out_t, true};
    WEFT_NUMERIC_OPS(WEFT_NUM_ENTRY)
#undef WEFT_NUM_ENTRY
    // Identity conversions in slot encoding.
    info[0xAD] = NumInfo{Op::copy, false, ValType::I32, ValType::I64, true};  // extend_i32_u
    info[0xBC] = NumInfo{Op::copy, false, ValType::F32, ValType::I32, true};
    info[0xBD] = NumInfo{Op::copy, false, ValType::F64, ValType::I64, true};
    info[0xBE] = NumInfo{Op::copy, false, ValType::I32, ValType::F32, true};
    info[0xBF] = NumInfo{Op::copy, false, ValType::I64, ValType::F64, true};
  }
};

const NumTable& num_table() {
  static const NumTable table;
  return table;
}

// The immediate-operand form of an i32 binary op, or kCount.
Op imm_form(Op op) {
  switch (op) {
#define WEFT_IMM_CASE(name) \
  case Op::name:            \
    return Op::name##_imm;
    WEFT_INTERP_I32_IMM_OPS(WEFT_IMM_CASE)
    WEFT_INTERP_I64_IMM_OPS(WEFT_IMM_CASE)
#undef WEFT_IMM_CASE
    default:
      return Op::kCount;
  }
}

// A compare that can fuse into a conditional jump: the jump if true and
// the jump if false; `imm` when the right operand is an immediate.
struct CmpJump {
  Op if_true = Op::kCount;
  Op if_false = Op::kCount;
  bool unary = false;  // i32.eqz: one operand
};

CmpJump cmp_jump(Op op) {
  switch (op) {
#define WEFT_CMP(ty, a, b)                                \
  case Op::ty##_##a:                                      \
    return {Op::br_##ty##_##a, Op::br_##ty##_##b, false}; \
  case Op::ty##_##b:                                      \
    return {Op::br_##ty##_##b, Op::br_##ty##_##a, false};
#define WEFT_CMP_TYPE(ty)  \
  WEFT_CMP(ty, eq, ne)     \
  WEFT_CMP(ty, lt_s, ge_s) \
  WEFT_CMP(ty, lt_u, ge_u) \
  WEFT_CMP(ty, gt_s, le_s) \
  WEFT_CMP(ty, gt_u, le_u)
    WEFT_CMP_TYPE(i32)
    WEFT_CMP_TYPE(i64)
#undef WEFT_CMP_TYPE
#undef WEFT_CMP
#define WEFT_CMP_IMM(a, b)                                      \
  case Op::i32_##a##_imm:                                       \
    return {Op::br_i32_##a##_imm, Op::br_i32_##b##_imm, false}; \
  case Op::i32_##b##_imm:                                       \
    return {Op::br_i32_##b##_imm, Op::br_i32_##a##_imm, false};
    WEFT_CMP_IMM(eq, ne)
    WEFT_CMP_IMM(lt_s, ge_s)
    WEFT_CMP_IMM(lt_u, ge_u)
    WEFT_CMP_IMM(gt_s, le_s)
    WEFT_CMP_IMM(gt_u, le_u)
#undef WEFT_CMP_IMM
    case Op::i32_eqz:
      return {Op::br_unless, Op::br_if, true};
    default:
      return {};
  }
}

// A condition to jump on: a slot (br_if/br_unless) or a fused compare.
struct Cond {
  Op if_true = Op::br_if;
  Op if_false = Op::br_unless;
  uint32_t a = 0;
  uint32_t b = 0;
  bool two = false;
};

struct LoadStore {
  Op op;
  uint32_t align;  // natural alignment, log2
  ValType type;
};

class FuncCompiler {
 public:
  FuncCompiler(const ModuleContext& ctx, uint32_t func_index)
      : ctx_(ctx),
        decl_(ctx.decl),
        func_index_(func_index),
        offsets_(interp::handler_offsets()),
        reader_(decl_.bytes, 0, 0) {}

  Result<std::unique_ptr<CompiledFunc>> run();

 private:
  // ---- errors ----
  Error invalid(std::string message) const {
    return Error::invalid(op_offset_, std::move(message), func_index_);
  }
  Error malformed(std::string message) const {
    return Error::malformed(op_offset_, std::move(message));
  }

  // ---- block types ----
  uint32_t num_params(const Ctrl& c) const {
    if (c.kind == CtrlKind::Func || c.type_index < 0) return 0;
    return static_cast<uint32_t>(decl_.types[c.type_index].params.size());
  }
  ValType param(const Ctrl& c, uint32_t i) const { return decl_.types[c.type_index].params[i]; }
  // The frame's results must be exactly what is left above its height:
  // popped with their types checked, then pushed back as they were.
  Result<void> check_frame_results(const Ctrl& c) {
    const uint32_t nr = num_results(c);
    std::vector<Entry> vals(nr);
    for (uint32_t i = nr; i-- > 0;) {
      WEFT_TRY(vals[i], pop(result(c, i)));
    }
    if (height() != c.height) return invalid("type mismatch");
    for (uint32_t i = 0; i < nr; ++i) push_entry(vals[i]);
    return {};
  }
  uint32_t num_results(const Ctrl& c) const {
    if (c.type_index >= 0) return static_cast<uint32_t>(decl_.types[c.type_index].results.size());
    return c.single == kUnknown ? 0 : 1;
  }
  ValType result(const Ctrl& c, uint32_t i) const {
    if (c.type_index >= 0) return decl_.types[c.type_index].results[i];
    return c.single;
  }
  // The height at which a branch to `c` leaves its values.
  static uint32_t dest_height(const Ctrl& c) {
    return c.kind == CtrlKind::Catch ? c.label_base : c.height;
  }
  uint32_t label_arity(const Ctrl& c) const {
    return c.kind == CtrlKind::Loop ? num_params(c) : num_results(c);
  }
  ValType label_type(const Ctrl& c, uint32_t i) const {
    return c.kind == CtrlKind::Loop ? param(c, i) : result(c, i);
  }

  // ---- operand stack (validation) ----
  uint32_t home(uint32_t height) const { return base_ + height; }
  uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }

  void push(ValType t) {
    Entry e;
    e.type = t;
    e.kind = Kind::Stack;
    e.slot = home(height());
    stack_.push_back(e);
    if (height() > max_height_) max_height_ = height();
  }
  void push_entry(Entry e) {
    stack_.push_back(e);
    if (height() > max_height_) max_height_ = height();
  }

  Result<Entry> pop() {
    const Ctrl& c = ctrls_.back();
    if (height() == c.height) {
      if (c.unreachable) {
        Entry e;
        e.slot = home(height());
        return e;
      }
      return invalid("type mismatch");
    }
    Entry e = stack_.back();
    stack_.pop_back();
    return e;
  }
  Result<Entry> pop(ValType expect) {
    WEFT_TRY(Entry e, pop());
    if (e.type != expect && e.type != kUnknown && expect != kUnknown) {
      return invalid("type mismatch");
    }
    return e;
  }

  // ---- emission ----
  bool emitting() const { return !ctrls_.back().unreachable && !ctrls_.back().dead; }
  uint32_t pos() const { return static_cast<uint32_t>(code_.size()); }
  uint32_t emit_op(Op op) {
    has_producer_ = false;
    uint32_t at = pos();
    code_.push_back(static_cast<uint32_t>(offsets_[static_cast<size_t>(op)]));
    return at;
  }
  void word(uint32_t w) { code_.push_back(w); }
  // A memory instruction on memory `m`: the plain op for memory 0; for any
  // other, memory_m with the plain op and the index in front of the
  // operands (see code.h). Returns where it starts.
  uint32_t emit_memory_op(Op op, uint32_t m) {
    if (m == 0) return emit_op(op);
    uint32_t at = emit_op(Op::memory_m);
    word(static_cast<uint32_t>(op));
    word(m);
    return at;
  }
  void bind_here() { has_producer_ = false; }

  // Remembers that the last instruction computed the value now on top of
  // the stack into its home slot, so a following local.set can retarget it
  // and a following br_if/if can fuse with a compare.
  void set_producer(uint32_t at, Op op) {
    has_producer_ = true;
    producer_pos_ = at;
    producer_op_ = op;
    producer_height_ = height() - 1;
  }
  bool top_is_producer() const {
    return has_producer_ && !stack_.empty() && producer_height_ == height() - 1 &&
           stack_.back().kind == Kind::Stack;
  }

  void emit_const(uint32_t dst, uint64_t bits) {
    if (bits >> 32) {
      emit_op(Op::const64);
      word(dst);
      word(static_cast<uint32_t>(bits));
      word(static_cast<uint32_t>(bits >> 32));
    } else {
      emit_op(Op::const32);
      word(dst);
      word(static_cast<uint32_t>(bits));
    }
  }
  void emit_copy(uint32_t dst, uint32_t src) {
    if (dst == src) return;
    emit_op(Op::copy);
    word(dst);
    word(src);
  }
  // Writes entry `e` into slot `dst`.
  void emit_move(uint32_t dst, const Entry& e) {
    if (e.kind == Kind::Const) {
      emit_const(dst, e.bits);
    } else {
      emit_copy(dst, e.slot);
    }
  }
  void materialize(uint32_t h) {
    Entry& e = stack_[h];
    if (e.kind == Kind::Stack) return;
    emit_move(home(h), e);
    e.kind = Kind::Stack;
    e.slot = home(h);
  }
  void materialize_from(uint32_t from) {
    for (uint32_t h = from; h < height(); ++h) materialize(h);
  }
  // The slot a consumer reads for entry `e` that was at height `h`
  // (already popped); constants are written to their home slot first.
  uint32_t operand(Entry& e, uint32_t h) {
    if (e.kind == Kind::Const) {
      emit_const(home(h), e.bits);
      e.kind = Kind::Stack;
      e.slot = home(h);
    }
    return e.slot;
  }

  void patch(uint32_t instr, uint32_t word_pos, uint32_t target) {
    code_[word_pos] =
        static_cast<uint32_t>(static_cast<int32_t>(target) - static_cast<int32_t>(instr));
  }
  void link_branch(Ctrl& target, uint32_t instr, uint32_t word_pos) {
    if (target.kind == CtrlKind::Loop) {
      patch(instr, word_pos, target.start_pos);
    } else {
      target.patches.push_back({instr, word_pos});
    }
  }
  // Emits a jump on `cond` (true or false); returns (instr, offset word).
  std::pair<uint32_t, uint32_t> emit_cond_jump(const Cond& cond, bool on_true) {
    uint32_t at = emit_op(on_true ? cond.if_true : cond.if_false);
    word(cond.a);
    if (cond.two) word(cond.b);
    uint32_t w = pos();
    word(0);
    return {at, w};
  }
  // The condition popped as `e` (height h): fuses with the compare that
  // just produced it, removing that compare, when possible.
  Cond take_cond(Entry& e, uint32_t h, bool was_producer) {
    Cond cond;
    if (was_producer) {
      CmpJump cj = cmp_jump(producer_op_);
      if (cj.if_true != Op::kCount) {
        cond.if_true = cj.if_true;
        cond.if_false = cj.if_false;
        cond.a = code_[producer_pos_ + 2];
        if (!cj.unary) {
          cond.b = code_[producer_pos_ + 3];
          cond.two = true;
        }
        code_.resize(producer_pos_);
        has_producer_ = false;
        return cond;
      }
    }
    cond.a = operand(e, h);
    return cond;
  }

  // Moves the top `n` entries to the label's slots (heights from
  // target.height). Ascending order is safe: sources are at or above their
  // destinations, or are locals/constants.
  bool branch_needs_copies(const Ctrl& target, uint32_t n) const {
    for (uint32_t i = 0; i < n; ++i) {
      const Entry& e = stack_[height() - n + i];
      if (e.kind != Kind::Stack || e.slot != home(dest_height(target) + i)) return true;
    }
    return false;
  }
  void emit_branch_copies(const Ctrl& target, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      emit_move(home(dest_height(target) + i), stack_[height() - n + i]);
    }
  }
  // Copies the function's results to slots 0.. and returns.
  void emit_return() {
    const uint32_t n = num_results(ctrls_[0]);
    const uint32_t first = height() - n;
    // A local source below its destination index would be overwritten by an
    // earlier copy: give it its home slot first.
    for (uint32_t i = 0; i < n; ++i) {
      const Entry& e = stack_[first + i];
      if (e.kind == Kind::Local && e.slot < i) materialize(first + i);
    }
    for (uint32_t i = 0; i < n; ++i) emit_move(i, stack_[first + i]);
    emit_op(Op::ret);
  }
  // An unconditional branch to `depth` (values on top of the stack).
  void emit_br(uint32_t depth) {
    Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
    if (target.kind == CtrlKind::Func) {
      emit_return();
      return;
    }
    emit_branch_copies(target, label_arity(target));
    uint32_t at = emit_op(Op::br);
    uint32_t w = pos();
    word(0);
    link_branch(target, at, w);
  }

  // ---- reading ----
  Result<uint32_t> read_u32() { return reader_.read_u32(); }
  Result<ValType> read_value_type() {
    WEFT_TRY(uint8_t b, reader_.read_u8());
    switch (b) {
      case 0x7F:
      case 0x7E:
      case 0x7D:
      case 0x7C:
      case 0x70:
      case 0x6F:
      case 0x69:
        return static_cast<ValType>(b);
      case 0x7B:
        return invalid("SIMD (v128) is not supported");
      default:
        return malformed("malformed value type");
    }
  }
  Result<void> read_block_type(Ctrl& c) {
    WEFT_TRY(uint8_t b, reader_.peek_u8());
    if (b == 0x40) {
      reader_.seek(reader_.pos() + 1);
      return {};
    }
    // A value type is one byte whose LEB128 reading is negative: sign bit
    // (0x40) set and no continuation bit (0x80). A first byte with both bits
    // set starts a multi-byte s33, e.g. `c0 00` is type index 64.
    if ((b & 0xC0) == 0x40) {
      WEFT_TRY(c.single, read_value_type());
      return {};
    }
    const size_t at = reader_.pos();
    WEFT_TRY(int64_t idx, reader_.read_s33());
    // Only single-byte negative values name value types; a longer negative
    // encoding is no block type at all.
    if (idx < 0) return Error::malformed(at, "malformed value type");
    if (static_cast<uint64_t>(idx) >= decl_.types.size()) return invalid("unknown type");
    c.type_index = idx;
    return {};
  }
  // Multi-memory: bit 6 of the alignment field says a memory index follows
  // it (before the offset). Without the feature the field is all alignment,
  // so bit 6 makes it too large, as WebAssembly 2.0 says.
  Result<uint32_t> read_memarg(uint32_t natural, uint32_t& offset, uint32_t& memory) {
    WEFT_TRY(uint32_t align, read_u32());
    memory = 0;
    if (ctx_.multi_memory && (align & 0x40u) != 0) {
      WEFT_TRY(memory, read_u32());
      align &= ~0x40u;
    }
    WEFT_TRY(offset, read_u32());
    WEFT_CHECK(check_memory(memory));
    if (align > natural) return invalid("alignment must not be larger than natural");
    return align;
  }
  // The memory index of memory.size/grow/fill/copy/init: a u32 under
  // multi-memory, the reserved zero byte otherwise.
  Result<uint32_t> read_memory_index() {
    if (!ctx_.multi_memory) {
      WEFT_CHECK(reader_.expect_zero_byte());
      return 0u;
    }
    return read_u32();
  }
  Result<void> check_memory(uint32_t m) {
    if (m >= decl_.memories.size()) return invalid("unknown memory " + std::to_string(m));
    return {};
  }
  Result<void> check_table(uint32_t t) {
    if (t >= decl_.tables.size()) return invalid("unknown table " + std::to_string(t));
    return {};
  }
  Result<void> check_data(uint32_t d) {
    if (!decl_.data_count) return malformed("data count section required");
    if (d >= *decl_.data_count) return invalid("unknown data segment " + std::to_string(d));
    return {};
  }
  Result<void> check_elem(uint32_t e) {
    if (e >= decl_.elems.size()) return invalid("unknown elem segment " + std::to_string(e));
    return {};
  }

  // ---- instruction groups ----
  Result<void> push_block(CtrlKind kind, Ctrl c, bool has_cond);
  Result<void> do_end();
  Result<void> do_br(uint32_t depth);
  Result<void> do_br_if(uint32_t depth);
  Result<void> do_br_table();
  Result<void> do_call(uint32_t type_index, uint32_t fidx, bool indirect, uint32_t table);
  Result<void> do_numeric(uint32_t code);
  Result<void> do_load(const LoadStore& ls);
  bool take_address_add(uint32_t addr_height, uint32_t& slot, uint32_t& addend);
  Result<void> do_store(const LoadStore& ls);
  Result<void> do_local_set(uint32_t idx, bool tee);
  Result<void> do_prefixed();
  Result<void> do_throw();
  Result<void> do_try_table();
  Result<void> do_legacy_catch(bool all);
  Result<void> do_delegate();
  Result<void> do_rethrow();
  void add_handler(Ctrl& c, uint32_t begin, uint32_t end, uint32_t first, uint32_t count);
  Result<void> check_tag(uint32_t t) {
    if (t >= decl_.tag_types.size()) return invalid("unknown tag " + std::to_string(t));
    return {};
  }
  const FuncType& tag_type(uint32_t t) const { return decl_.types[decl_.tag_types[t]]; }
  Result<void> check_label(uint32_t depth) {
    if (depth >= ctrls_.size()) return invalid("unknown label");
    return {};
  }
  // Checks the top values against the label's types without consuming
  // them (the spec's pop-then-push; types become the label's).
  Result<void> check_label_values(const Ctrl& target, bool retype = true);

  // Emits `op` with operands from popped entries and pushes the result.
  void emit_simple(Op op, Entry* args, uint32_t nargs, uint32_t first_height, ValType out,
                   const uint32_t* extra, uint32_t nextra) {
    if (!emitting()) {
      push(out);
      return;
    }
    uint32_t slots[4];
    for (uint32_t i = 0; i < nargs; ++i) slots[i] = operand(args[i], first_height + i);
    uint32_t at = emit_op(op);
    word(home(first_height));
    for (uint32_t i = 0; i < nargs; ++i) word(slots[i]);
    for (uint32_t i = 0; i < nextra; ++i) word(extra[i]);
    push(out);
    set_producer(at, op);
  }

  const ModuleContext& ctx_;
  const wasm::ModuleDecl& decl_;
  uint32_t func_index_;
  const int32_t* offsets_;
  Reader reader_;
  size_t op_offset_ = 0;

  std::vector<ValType> locals_;  // params then declared locals
  uint32_t base_ = 0;            // first operand-stack slot
  uint32_t max_height_ = 0;
  std::vector<Entry> stack_;
  std::vector<Ctrl> ctrls_;
  std::vector<uint32_t> code_;
  std::vector<detail::TryHandler> handlers_;
  std::vector<detail::CatchClause> catches_;

  bool has_producer_ = false;
  uint32_t producer_pos_ = 0;
  Op producer_op_ = Op::kCount;
  uint32_t producer_height_ = 0;
};

Result<void> FuncCompiler::check_label_values(const Ctrl& target, bool retype) {
  const uint32_t n = label_arity(target);
  std::vector<Entry> vals(n);
  for (uint32_t i = n; i-- > 0;) {
    WEFT_TRY(vals[i], pop(label_type(target, i)));
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (retype) vals[i].type = label_type(target, i);
    push_entry(vals[i]);
  }
  return {};
}

Result<void> FuncCompiler::push_block(CtrlKind kind, Ctrl c, bool has_cond) {
  c.kind = kind;
  Entry cond_entry;
  bool cond_producer = false;
  uint32_t cond_height = 0;
  if (has_cond) {
    cond_producer = top_is_producer();
    WEFT_TRY(cond_entry, pop(ValType::I32));
    cond_height = height();
  }
  const uint32_t np = num_params(c);
  std::vector<Entry> params(np);
  for (uint32_t i = np; i-- > 0;) {
    WEFT_TRY(params[i], pop(param(c, i)));
  }
  const bool emit = emitting();
  c.dead = !emit;
  c.height = height();
  for (uint32_t i = 0; i < np; ++i) {
    params[i].type = param(c, i);
    push_entry(params[i]);
  }
  if (emit) {
    Cond cond;
    if (has_cond) {
      // Read the condition before anything else is emitted (fusion).
      cond = take_cond(cond_entry, cond_height, cond_producer);
    }
    materialize_from(ctrls_.back().height);
    if (has_cond) {
      auto [at, w] = emit_cond_jump(cond, false);
      c.else_instr = at;
      c.else_word = w;
    }
    bind_here();
    c.start_pos = pos();
  }
  ctrls_.push_back(std::move(c));
  return {};
}

Result<std::unique_ptr<CompiledFunc>> FuncCompiler::run() {
  const uint32_t defined = func_index_ - decl_.funcs_imported;
  const wasm::FunctionBody& body = decl_.bodies[defined];
  const uint32_t type_index = decl_.func_types[func_index_];
  const FuncType& type = decl_.types[type_index];
  op_offset_ = body.offset;

  uint64_t total = type.params.size() + uint64_t{body.local_count};
  if (total > wasm::kMaxLocals) return invalid("too many locals");
  locals_.reserve(total);
  for (ValType t : type.params) locals_.push_back(t);
  for (const wasm::LocalDecl& ld : body.locals) {
    if (ld.type == ValType::V128) return invalid("SIMD (v128) is not supported");
    for (uint32_t i = 0; i < ld.count; ++i) locals_.push_back(ld.type);
  }
  base_ = static_cast<uint32_t>(locals_.size());

  auto out = std::make_unique<CompiledFunc>();
  out->func_index = func_index_;
  out->num_params = static_cast<uint32_t>(type.params.size());
  out->num_results = static_cast<uint32_t>(type.results.size());
  out->num_locals = base_ - out->num_params;

  reader_ = Reader(decl_.bytes, body.code.begin, body.code.end, Reader::kUnexpectedEnd);
  code_.reserve(body.code.size() * 2 + 8);

  Ctrl fc;
  fc.kind = CtrlKind::Func;
  fc.type_index = type_index;
  ctrls_.push_back(std::move(fc));

  while (!ctrls_.empty()) {
    op_offset_ = reader_.pos();
    if (reader_.at_end()) return malformed("unexpected end of section or function");
    WEFT_TRY(uint8_t opcode, reader_.read_u8());
    switch (opcode) {
      case 0x00:  // unreachable
        if (emitting()) emit_op(Op::unreachable);
        stack_.resize(ctrls_.back().height);
        ctrls_.back().unreachable = true;
        break;
      case 0x01:  // nop
        break;
      case 0x02:
      case 0x03:
      case 0x04: {
        Ctrl c;
        WEFT_CHECK(read_block_type(c));
        CtrlKind kind = opcode == 0x02   ? CtrlKind::Block
                        : opcode == 0x03 ? CtrlKind::Loop
                                         : CtrlKind::If;
        WEFT_CHECK(push_block(kind, std::move(c), opcode == 0x04));
        break;
      }
      case 0x05: {  // else
        Ctrl& c = ctrls_.back();
        if (c.kind != CtrlKind::If) return malformed("else without matching if");
        // Validate the then-arm's results (pop-then-restore).
        WEFT_CHECK(check_frame_results(c));
        if (emitting()) {
          materialize_from(c.height);
          uint32_t at = emit_op(Op::br);
          uint32_t w = pos();
          word(0);
          c.patches.push_back({at, w});
        }
        if (c.else_word != kNone) {
          patch(c.else_instr, c.else_word, pos());
          c.else_word = kNone;
        }
        bind_here();
        c.kind = CtrlKind::Else;
        c.unreachable = false;
        stack_.resize(c.height);
        for (uint32_t i = 0; i < num_params(c); ++i) push(param(c, i));
        break;
      }
      case 0x08:
        WEFT_CHECK(do_throw());
        break;
      case 0x0A: {  // throw_ref
        WEFT_TRY(Entry e, pop(ValType::ExnRef));
        if (emitting()) {
          const uint32_t s = operand(e, height());
          emit_op(Op::throw_ref);
          word(s);
        }
        stack_.resize(ctrls_.back().height);
        ctrls_.back().unreachable = true;
        break;
      }
      case 0x1F:
        WEFT_CHECK(do_try_table());
        break;
      case 0x06: {  // try (legacy)
        Ctrl c;
        WEFT_CHECK(read_block_type(c));
        WEFT_CHECK(push_block(CtrlKind::Try, std::move(c), false));
        break;
      }
      case 0x07:  // catch (legacy)
      case 0x19:  // catch_all (legacy)
        WEFT_CHECK(do_legacy_catch(opcode == 0x19));
        break;
      case 0x18:  // delegate (legacy)
        WEFT_CHECK(do_delegate());
        break;
      case 0x09:  // rethrow (legacy)
        WEFT_CHECK(do_rethrow());
        break;
      case 0x0B:
        WEFT_CHECK(do_end());
        break;
      case 0x0C: {
        WEFT_TRY(uint32_t depth, read_u32());
        WEFT_CHECK(do_br(depth));
        break;
      }
      case 0x0D: {
        WEFT_TRY(uint32_t depth, read_u32());
        WEFT_CHECK(do_br_if(depth));
        break;
      }
      case 0x0E:
        WEFT_CHECK(do_br_table());
        break;
      case 0x0F:  // return
        WEFT_CHECK(do_br(static_cast<uint32_t>(ctrls_.size() - 1)));
        break;
      case 0x10: {
        WEFT_TRY(uint32_t fidx, read_u32());
        if (fidx >= decl_.func_types.size())
          return invalid("unknown function " + std::to_string(fidx));
        WEFT_CHECK(do_call(decl_.func_types[fidx], fidx, false, 0));
        break;
      }
      case 0x11: {
        WEFT_TRY(uint32_t tidx, read_u32());
        WEFT_TRY(uint32_t table, read_u32());
        if (table >= decl_.tables.size()) return invalid("unknown table " + std::to_string(table));
        if (tidx >= decl_.types.size()) return invalid("unknown type");
        if (decl_.tables[table].element != ValType::FuncRef) return invalid("type mismatch");
        WEFT_CHECK(do_call(tidx, 0, true, table));
        break;
      }
      case 0x1A: {  // drop
        WEFT_TRY(Entry e, pop());
        (void)e;
        break;
      }
      case 0x1B:
      case 0x1C: {  // select
        ValType want = kUnknown;
        if (opcode == 0x1C) {
          WEFT_TRY(uint32_t n, read_u32());
          if (n != 1) return invalid("invalid result arity");
          WEFT_TRY(want, read_value_type());
        }
        WEFT_TRY(Entry c, pop(ValType::I32));
        WEFT_TRY(Entry b, pop(want));
        WEFT_TRY(Entry a, pop(want));
        ValType t = want;
        if (opcode == 0x1B) {
          if (!is_num(a.type) || !is_num(b.type)) return invalid("type mismatch");
          if (a.type != b.type && a.type != kUnknown && b.type != kUnknown) {
            return invalid("type mismatch");
          }
          t = a.type == kUnknown ? b.type : a.type;
        }
        Entry args[3] = {a, b, c};
        emit_simple(Op::select, args, 3, height(), t, nullptr, 0);
        break;
      }
      case 0x20: {  // local.get
        WEFT_TRY(uint32_t idx, read_u32());
        if (idx >= locals_.size()) return invalid("unknown local");
        Entry e;
        e.type = locals_[idx];
        e.kind = Kind::Local;
        e.slot = idx;
        push_entry(e);
        break;
      }
      case 0x21:
      case 0x22: {
        WEFT_TRY(uint32_t idx, read_u32());
        if (idx >= locals_.size()) return invalid("unknown local");
        WEFT_CHECK(do_local_set(idx, opcode == 0x22));
        break;
      }
      case 0x23: {  // global.get
        WEFT_TRY(uint32_t idx, read_u32());
        if (idx >= decl_.global_types.size())
          return invalid("unknown global " + std::to_string(idx));
        uint32_t extra = idx;
        emit_simple(Op::global_get, nullptr, 0, height(), decl_.global_types[idx].type, &extra, 1);
        break;
      }
      case 0x24: {  // global.set
        WEFT_TRY(uint32_t idx, read_u32());
        if (idx >= decl_.global_types.size())
          return invalid("unknown global " + std::to_string(idx));
        if (!decl_.global_types[idx].is_mutable) return invalid("global is immutable");
        WEFT_TRY(Entry v, pop(decl_.global_types[idx].type));
        if (emitting()) {
          uint32_t s = operand(v, height());
          emit_op(Op::global_set);
          word(idx);
          word(s);
        }
        break;
      }
      case 0x25: {  // table.get
        WEFT_TRY(uint32_t t, read_u32());
        WEFT_CHECK(check_table(t));
        WEFT_TRY(Entry i, pop(ValType::I32));
        uint32_t extra = 0;
        if (emitting()) {
          uint32_t s = operand(i, height());
          emit_op(Op::table_get);
          word(home(height()));
          word(t);
          word(s);
          (void)extra;
        }
        push(decl_.tables[t].element);
        break;
      }
      case 0x26: {  // table.set
        WEFT_TRY(uint32_t t, read_u32());
        WEFT_CHECK(check_table(t));
        WEFT_TRY(Entry v, pop(decl_.tables[t].element));
        WEFT_TRY(Entry i, pop(ValType::I32));
        if (emitting()) {
          uint32_t h = height();
          uint32_t si = operand(i, h);
          uint32_t sv = operand(v, h + 1);
          emit_op(Op::table_set);
          word(t);
          word(si);
          word(sv);
        }
        break;
      }
      case 0x28:
        WEFT_CHECK(do_load({Op::i32_load, 2, ValType::I32}));
        break;
      case 0x29:
        WEFT_CHECK(do_load({Op::i64_load, 3, ValType::I64}));
        break;
      case 0x2A:
        WEFT_CHECK(do_load({Op::i32_load, 2, ValType::F32}));
        break;
      case 0x2B:
        WEFT_CHECK(do_load({Op::i64_load, 3, ValType::F64}));
        break;
      case 0x2C:
        WEFT_CHECK(do_load({Op::i32_load8_s, 0, ValType::I32}));
        break;
      case 0x2D:
        WEFT_CHECK(do_load({Op::i32_load8_u, 0, ValType::I32}));
        break;
      case 0x2E:
        WEFT_CHECK(do_load({Op::i32_load16_s, 1, ValType::I32}));
        break;
      case 0x2F:
        WEFT_CHECK(do_load({Op::i32_load16_u, 1, ValType::I32}));
        break;
      case 0x30:
        WEFT_CHECK(do_load({Op::i64_load8_s, 0, ValType::I64}));
        break;
      case 0x31:
        WEFT_CHECK(do_load({Op::i64_load8_u, 0, ValType::I64}));
        break;
      case 0x32:
        WEFT_CHECK(do_load({Op::i64_load16_s, 1, ValType::I64}));
        break;
      case 0x33:
        WEFT_CHECK(do_load({Op::i64_load16_u, 1, ValType::I64}));
        break;
      case 0x34:
        WEFT_CHECK(do_load({Op::i64_load32_s, 2, ValType::I64}));
        break;
      case 0x35:
        WEFT_CHECK(do_load({Op::i64_load32_u, 2, ValType::I64}));
        break;
      case 0x36:
        WEFT_CHECK(do_store({Op::i32_store, 2, ValType::I32}));
        break;
      case 0x37:
        WEFT_CHECK(do_store({Op::i64_store, 3, ValType::I64}));
        break;
      case 0x38:
        WEFT_CHECK(do_store({Op::i32_store, 2, ValType::F32}));
        break;
      case 0x39:
        WEFT_CHECK(do_store({Op::i64_store, 3, ValType::F64}));
        break;
      case 0x3A:
        WEFT_CHECK(do_store({Op::i32_store8, 0, ValType::I32}));
        break;
      case 0x3B:
        WEFT_CHECK(do_store({Op::i32_store16, 1, ValType::I32}));
        break;
      case 0x3C:
        WEFT_CHECK(do_store({Op::i64_store8, 0, ValType::I64}));
        break;
      case 0x3D:
        WEFT_CHECK(do_store({Op::i64_store16, 1, ValType::I64}));
        break;
      case 0x3E:
        WEFT_CHECK(do_store({Op::i64_store32, 2, ValType::I64}));
        break;
      case 0x3F: {  // memory.size
        WEFT_TRY(uint32_t m, read_memory_index());
        WEFT_CHECK(check_memory(m));
        if (m == 0) {
          emit_simple(Op::memory_size, nullptr, 0, height(), ValType::I32, nullptr, 0);
        } else if (!emitting()) {
          push(ValType::I32);
        } else {
          emit_memory_op(Op::memory_size, m);
          word(home(height()));
          push(ValType::I32);
        }
        break;
      }
      case 0x40: {  // memory.grow
        WEFT_TRY(uint32_t m, read_memory_index());
        WEFT_CHECK(check_memory(m));
        WEFT_TRY(Entry n, pop(ValType::I32));
        if (m == 0) {
          emit_simple(Op::memory_grow, &n, 1, height(), ValType::I32, nullptr, 0);
        } else if (!emitting()) {
          push(ValType::I32);
        } else {
          const uint32_t h = height();
          const uint32_t sn = operand(n, h);
          emit_memory_op(Op::memory_grow, m);
          word(home(h));
          word(sn);
          push(ValType::I32);
        }
        break;
      }
      case 0x41: {
        WEFT_TRY(int32_t v, reader_.read_s32());
        Entry e;
        e.type = ValType::I32;
        e.kind = Kind::Const;
        e.bits = static_cast<uint32_t>(v);
        push_entry(e);
        break;
      }
      case 0x42: {
        WEFT_TRY(int64_t v, reader_.read_s64());
        Entry e;
        e.type = ValType::I64;
        e.kind = Kind::Const;
        e.bits = static_cast<uint64_t>(v);
        push_entry(e);
        break;
      }
      case 0x43: {
        WEFT_TRY(uint32_t v, reader_.read_f32_bits());
        Entry e;
        e.type = ValType::F32;
        e.kind = Kind::Const;
        e.bits = v;
        push_entry(e);
        break;
      }
      case 0x44: {
        WEFT_TRY(uint64_t v, reader_.read_f64_bits());
        Entry e;
        e.type = ValType::F64;
        e.kind = Kind::Const;
        e.bits = v;
        push_entry(e);
        break;
      }
      case 0xD0: {  // ref.null
        WEFT_TRY(uint8_t t, reader_.read_u8());
        if (t != 0x70 && t != 0x6F && t != 0x69) return malformed("malformed reference type");
        Entry e;
        e.type = static_cast<ValType>(t);
        e.kind = Kind::Const;
        e.bits = 0;
        push_entry(e);
        break;
      }
      case 0xD1: {  // ref.is_null
        WEFT_TRY(Entry e, pop());
        if (!is_ref_or_unknown(e.type)) return invalid("type mismatch");
        emit_simple(Op::ref_is_null, &e, 1, height(), ValType::I32, nullptr, 0);
        break;
      }
      case 0xD2: {  // ref.func
        WEFT_TRY(uint32_t f, read_u32());
        if (f >= decl_.func_types.size()) return invalid("unknown function " + std::to_string(f));
        if (!ctx_.declared_funcs[f]) return invalid("undeclared function reference");
        emit_simple(Op::ref_func, nullptr, 0, height(), ValType::FuncRef, &f, 1);
        break;
      }
      case 0xFC:
        WEFT_CHECK(do_prefixed());
        break;
      case 0xFD:
        return invalid("SIMD instructions are not supported");
      default:
        if (opcode >= 0x45 && opcode <= 0xC4) {
          WEFT_CHECK(do_numeric(opcode));
          break;
        }
        return malformed("illegal opcode");
    }
  }
  if (!reader_.at_end()) {
    op_offset_ = reader_.pos();
    return malformed("END opcode expected");
  }
  out->frame_size = base_ + max_height_ + 1;
  out->code = std::move(code_);
  out->handlers = std::move(handlers_);
  out->catches = std::move(catches_);
  return out;
}

Result<void> FuncCompiler::do_end() {
  Ctrl& c = ctrls_.back();
  const uint32_t nr = num_results(c);
  WEFT_CHECK(check_frame_results(c));
  if (c.kind == CtrlKind::If) {
    // No else arm: the params flow through to the results.
    const uint32_t np = num_params(c);
    if (np != nr) return invalid("type mismatch");
    for (uint32_t i = 0; i < np; ++i) {
      if (param(c, i) != result(c, i)) return invalid("type mismatch");
    }
  }
  if (c.kind == CtrlKind::Func) {
    if (emitting()) emit_return();
    ctrls_.pop_back();
    return {};
  }
  if (emitting()) {
    if (c.kind == CtrlKind::Catch) {
      emit_branch_copies(c, nr);  // down over the hidden exception entry
    } else {
      materialize_from(c.height);
    }
  }
  const uint32_t here = pos();
  if (c.else_word != kNone) patch(c.else_instr, c.else_word, here);
  for (auto [instr, w] : c.patches) patch(instr, w, here);
  for (uint32_t k : c.catch_patches) catches_[k].target = here;
  if (c.catch_first != kNone) {
    add_handler(c, c.start_pos, here, c.catch_first, c.catch_count);
  } else if ((c.kind == CtrlKind::Try || c.kind == CtrlKind::Catch) && !c.dead) {
    // The body is covered; exceptions in the catch arms go further out.
    const uint32_t first = static_cast<uint32_t>(catches_.size());
    for (const detail::CatchClause& clause : c.legacy_catches) catches_.push_back(clause);
    add_handler(c, c.start_pos, c.kind == CtrlKind::Try ? here : c.body_end, first,
                static_cast<uint32_t>(c.legacy_catches.size()));
  }
  bind_here();
  const uint32_t h = dest_height(c);
  Ctrl done = std::move(ctrls_.back());
  ctrls_.pop_back();
  stack_.resize(h);
  for (uint32_t i = 0, nr = num_results(done); i < nr; ++i) push(result(done, i));
  return {};
}

// Added when a handler's block ends, so an inner handler precedes the
// handlers of the blocks around it (the interpreter takes the first that
// covers the throw).
void FuncCompiler::add_handler(Ctrl& c, uint32_t begin, uint32_t end, uint32_t first,
                               uint32_t count) {
  const uint32_t index = static_cast<uint32_t>(handlers_.size());
  handlers_.push_back(detail::TryHandler{begin, end, first, count});
  for (uint32_t k : c.delegate_patches) catches_[k].target = index;
}

// catch x / catch_all of a legacy try: ends the body or the previous arm
// (as `else` ends a then-arm) and starts an arm that a handler clause
// enters with the exception's values on the stack.
Result<void> FuncCompiler::do_legacy_catch(bool all) {
  uint32_t tag = 0;
  if (!all) {
    WEFT_TRY(tag, read_u32());
  }
  Ctrl& c = ctrls_.back();
  if (c.kind != CtrlKind::Try && c.kind != CtrlKind::Catch) {
    return malformed(all ? "catch_all without matching try" : "catch without matching try");
  }
  if (c.seen_catch_all) return malformed("catch after catch_all");
  if (!all) WEFT_CHECK(check_tag(tag));
  const uint32_t nr = num_results(c);
  WEFT_CHECK(check_frame_results(c));
  if (emitting()) {
    if (c.kind == CtrlKind::Catch) {
      emit_branch_copies(c, nr);
    } else {
      materialize_from(c.height);
    }
    uint32_t at = emit_op(Op::br);
    uint32_t w = pos();
    word(0);
    c.patches.push_back({at, w});
  }
  if (c.kind == CtrlKind::Try) {
    c.body_end = pos();
    c.label_base = c.height;
  }
  bind_here();
  c.kind = CtrlKind::Catch;
  c.unreachable = false;
  c.seen_catch_all = all;
  stack_.resize(c.label_base);
  push(ValType::ExnRef);  // hidden: the caught exception, for rethrow
  c.height = c.label_base + 1;
  const uint32_t n = all ? 0 : static_cast<uint32_t>(tag_type(tag).params.size());
  for (uint32_t i = 0; i < n; ++i) push(tag_type(tag).params[i]);
  if (!c.dead) {
    detail::CatchClause clause;
    clause.kind = all ? detail::CatchClause::kCatchAll : detail::CatchClause::kCatch;
    clause.tag = tag;
    clause.target = pos();
    clause.dest = home(c.label_base + 1);
    clause.exn_dest = home(c.label_base);
    c.legacy_catches.push_back(clause);
  }
  return {};
}

// delegate l: ends a legacy try (as `end` does); an exception from its body
// goes to the handler of the innermost try or try_table at or outside label
// l (counted outside this try), or to the caller.
Result<void> FuncCompiler::do_delegate() {
  WEFT_TRY(uint32_t depth, read_u32());
  Ctrl& c = ctrls_.back();
  if (c.kind != CtrlKind::Try) return malformed("delegate without matching try");
  if (depth >= ctrls_.size() - 1) return invalid("unknown label");
  WEFT_CHECK(check_frame_results(c));
  if (emitting()) materialize_from(c.height);
  const uint32_t here = pos();
  for (auto [instr, w] : c.patches) patch(instr, w, here);
  if (!c.dead) {
    detail::CatchClause clause;
    clause.kind = detail::CatchClause::kDelegate;
    clause.target = detail::CatchClause::kReturn;  // to the caller, unless a handler is found
    const uint32_t k = static_cast<uint32_t>(catches_.size());
    for (size_t d = depth; d + 1 < ctrls_.size(); ++d) {
      Ctrl& t = ctrls_[ctrls_.size() - 2 - d];
      if (t.kind == CtrlKind::Try || t.catch_first != kNone) {
        t.delegate_patches.push_back(k);
        break;
      }
    }
    catches_.push_back(clause);
    add_handler(c, c.start_pos, here, k, 1);
  }
  bind_here();
  const uint32_t h = c.height;
  Ctrl done = std::move(ctrls_.back());
  ctrls_.pop_back();
  stack_.resize(h);
  for (uint32_t i = 0, nr = num_results(done); i < nr; ++i) push(result(done, i));
  return {};
}

// rethrow l: l names a catch arm; throws the exception it caught.
Result<void> FuncCompiler::do_rethrow() {
  WEFT_TRY(uint32_t depth, read_u32());
  WEFT_CHECK(check_label(depth));
  const Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
  if (target.kind != CtrlKind::Catch) return invalid("invalid rethrow label");
  if (emitting()) {
    emit_op(Op::throw_ref);
    word(home(target.label_base));
  }
  stack_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
  return {};
}

Result<void> FuncCompiler::do_throw() {
  WEFT_TRY(uint32_t t, read_u32());
  WEFT_CHECK(check_tag(t));
  const FuncType& ft = tag_type(t);
  const uint32_t np = static_cast<uint32_t>(ft.params.size());
  std::vector<Entry> args(np);
  for (uint32_t i = np; i-- > 0;) {
    WEFT_TRY(args[i], pop(ft.params[i]));
  }
  const uint32_t h = height();
  if (emitting()) {
    // The values go to consecutive slots, as a call's arguments do.
    for (uint32_t i = 0; i < np; ++i) {
      if (args[i].kind != Kind::Stack || args[i].slot != home(h + i)) {
        emit_move(home(h + i), args[i]);
      }
    }
    if (h + np > max_height_) max_height_ = h + np;
    emit_op(Op::throw_tag);
    word(t);
    word(home(h));
  }
  stack_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
  return {};
}

// try_table blocktype vec(catch) instr* end. The catch clauses' labels are
// resolved outside the block; each must take what the clause delivers:
// catch x l: the tag's params; catch_ref: those and an exnref; catch_all: [];
// catch_all_ref: [exnref].
Result<void> FuncCompiler::do_try_table() {
  Ctrl c;
  WEFT_CHECK(read_block_type(c));
  WEFT_TRY(uint32_t count, reader_.read_length());
  const bool emit = emitting();
  const uint32_t first = static_cast<uint32_t>(catches_.size());
  std::vector<std::pair<uint32_t, uint32_t>> labels;  // (clause index, depth)
  for (uint32_t i = 0; i < count; ++i) {
    op_offset_ = reader_.pos();
    WEFT_TRY(uint8_t kind, reader_.read_u8());
    if (kind > 3) return malformed("malformed catch clause");
    detail::CatchClause clause;
    clause.kind = kind;
    std::vector<ValType> want;
    if (kind == detail::CatchClause::kCatch || kind == detail::CatchClause::kCatchRef) {
      WEFT_TRY(clause.tag, read_u32());
      WEFT_CHECK(check_tag(clause.tag));
      want = tag_type(clause.tag).params;
    }
    if (kind == detail::CatchClause::kCatchRef || kind == detail::CatchClause::kCatchAllRef) {
      want.push_back(ValType::ExnRef);
    }
    WEFT_TRY(uint32_t depth, read_u32());
    WEFT_CHECK(check_label(depth));
    const Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
    const uint32_t arity =
        target.kind == CtrlKind::Func ? num_results(target) : label_arity(target);
    if (arity != want.size()) return invalid("type mismatch");
    for (uint32_t k = 0; k < arity; ++k) {
      const ValType lt = target.kind == CtrlKind::Func ? result(target, k) : label_type(target, k);
      if (lt != want[k]) return invalid("type mismatch");
    }
    if (emit) {
      labels.push_back({static_cast<uint32_t>(catches_.size()), depth});
      catches_.push_back(clause);
    }
  }
  WEFT_CHECK(push_block(CtrlKind::Block, std::move(c), false));
  if (!emit) return {};
  // Depths were relative to the try_table's context: one more now.
  for (auto [k, depth] : labels) {
    Ctrl& target = ctrls_[ctrls_.size() - 2 - depth];
    detail::CatchClause& clause = catches_[k];
    if (target.kind == CtrlKind::Func) {
      clause.target = detail::CatchClause::kReturn;
      clause.dest = 0;
    } else {
      clause.dest = home(dest_height(target));
      if (target.kind == CtrlKind::Loop) {
        clause.target = target.start_pos;
      } else {
        target.catch_patches.push_back(k);
      }
    }
    const uint32_t n = clause.kind <= detail::CatchClause::kCatchRef
                           ? static_cast<uint32_t>(tag_type(clause.tag).params.size())
                           : 0;
    if (clause.kind == detail::CatchClause::kCatchRef ||
        clause.kind == detail::CatchClause::kCatchAllRef) {
      clause.exn_dest = clause.dest + n;
    }
    const uint32_t top = clause.dest + n + 1;  // frame slots the payload may fill
    if (top > base_ && top - base_ > max_height_) max_height_ = top - base_;
  }
  Ctrl& self = ctrls_.back();
  self.catch_first = first;
  self.catch_count = static_cast<uint32_t>(catches_.size()) - first;
  return {};
}

Result<void> FuncCompiler::do_br(uint32_t depth) {
  WEFT_CHECK(check_label(depth));
  Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
  WEFT_CHECK(check_label_values(target));
  if (emitting()) emit_br(depth);
  stack_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
  return {};
}

Result<void> FuncCompiler::do_br_if(uint32_t depth) {
  WEFT_CHECK(check_label(depth));
  const bool producer = top_is_producer();
  WEFT_TRY(Entry cond_entry, pop(ValType::I32));
  const uint32_t cond_height = height();
  Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
  WEFT_CHECK(check_label_values(target));
  if (!emitting()) return {};
  Cond cond = take_cond(cond_entry, cond_height, producer);
  const uint32_t n = label_arity(target);
  if (target.kind != CtrlKind::Func && !branch_needs_copies(target, n)) {
    auto [at, w] = emit_cond_jump(cond, true);
    link_branch(target, at, w);
    return {};
  }
  auto [skip_at, skip_w] = emit_cond_jump(cond, false);
  emit_br(depth);
  patch(skip_at, skip_w, pos());
  bind_here();
  return {};
}

Result<void> FuncCompiler::do_br_table() {
  WEFT_TRY(uint32_t count, reader_.read_length());
  std::vector<uint32_t> depths(count + 1);
  for (uint32_t i = 0; i <= count; ++i) {
    WEFT_TRY(depths[i], read_u32());
    WEFT_CHECK(check_label(depths[i]));
  }
  WEFT_TRY(Entry idx, pop(ValType::I32));
  const uint32_t idx_height = height();
  const Ctrl& def = ctrls_[ctrls_.size() - 1 - depths[count]];
  const uint32_t arity = label_arity(def);
  for (uint32_t i = 0; i < count; ++i) {
    const Ctrl& t = ctrls_[ctrls_.size() - 1 - depths[i]];
    if (label_arity(t) != arity) return invalid("type mismatch");
    // The spec pushes back what it popped: Unknown stays Unknown here.
    WEFT_CHECK(check_label_values(t, false));
  }
  WEFT_CHECK(check_label_values(def));
  if (emitting()) {
    uint32_t s = operand(idx, idx_height);
    uint32_t at = emit_op(Op::br_table);
    word(s);
    word(count);
    uint32_t first = pos();
    for (uint32_t i = 0; i <= count; ++i) word(0);
    for (uint32_t i = 0; i <= count; ++i) {
      Ctrl& t = ctrls_[ctrls_.size() - 1 - depths[i]];
      if (t.kind != CtrlKind::Func && !branch_needs_copies(t, arity)) {
        link_branch(t, at, first + i);
      } else {
        patch(at, first + i, pos());
        emit_br(depths[i]);
      }
    }
  }
  stack_.resize(ctrls_.back().height);
  ctrls_.back().unreachable = true;
  return {};
}

Result<void> FuncCompiler::do_call(uint32_t type_index, uint32_t fidx, bool indirect,
                                   uint32_t table) {
  const FuncType& ft = decl_.types[type_index];
  Entry idx;
  if (indirect) {
    WEFT_TRY(idx, pop(ValType::I32));
  }
  const uint32_t np = static_cast<uint32_t>(ft.params.size());
  std::vector<Entry> args(np);
  for (uint32_t i = np; i-- > 0;) {
    WEFT_TRY(args[i], pop(ft.params[i]));
  }
  const uint32_t h = height();
  if (emitting()) {
    // The callee's frame starts at the first argument's home slot.
    for (uint32_t i = 0; i < np; ++i) {
      if (args[i].kind != Kind::Stack) emit_move(home(h + i), args[i]);
    }
    if (indirect) {
      uint32_t si = operand(idx, h + np);
      emit_op(Op::call_indirect);
      word(type_index);
      word(table);
      word(si);
      word(home(h));
    } else {
      emit_op(Op::call);
      word(fidx);
      word(home(h));
    }
  }
  for (ValType t : ft.results) push(t);
  return {};
}

Result<void> FuncCompiler::do_numeric(uint32_t code) {
  const NumInfo& info = num_table().info[code];
  if (!info.valid) return malformed("illegal opcode");
  if (info.binary) {
    WEFT_TRY(Entry b, pop(info.in));
    WEFT_TRY(Entry a, pop(info.in));
    const uint32_t h = height();
    if (emitting() && b.kind == Kind::Const) {
      Op imm = imm_form(info.op);
      // i64 immediates are sign-extended int32s.
      const bool fits =
          info.in == ValType::I32 || static_cast<int64_t>(b.bits) == static_cast<int32_t>(b.bits);
      if (imm != Op::kCount && fits) {
        uint32_t sa = operand(a, h);
        uint32_t at = emit_op(imm);
        word(home(h));
        word(sa);
        word(static_cast<uint32_t>(b.bits));
        push(info.out);
        set_producer(at, imm);
        return {};
      }
    }
    Entry args[2] = {a, b};
    emit_simple(info.op, args, 2, h, info.out, nullptr, 0);
    return {};
  }
  WEFT_TRY(Entry a, pop(info.in));
  if (info.op == Op::copy && emitting()) {
    // Identity in slot encoding: the entry just changes type.
    a.type = info.out;
    push_entry(a);
    return {};
  }
  emit_simple(info.op, &a, 1, height(), info.out, nullptr, 0);
  return {};
}

// An address computed by `i32.add x, imm` just before the access folds into
// the access (still wrapping at 32 bits, so the semantics are unchanged).
bool FuncCompiler::take_address_add(uint32_t addr_height, uint32_t& slot, uint32_t& addend) {
  if (!has_producer_ || producer_op_ != Op::i32_add_imm || producer_height_ != addr_height) {
    return false;
  }
  slot = code_[producer_pos_ + 2];
  addend = code_[producer_pos_ + 3];
  code_.resize(producer_pos_);
  has_producer_ = false;
  return true;
}

Result<void> FuncCompiler::do_load(const LoadStore& ls) {
  uint32_t offset = 0, memory = 0;
  WEFT_TRY(uint32_t align, read_memarg(ls.align, offset, memory));
  (void)align;
  const bool producer = top_is_producer();
  WEFT_TRY(Entry addr, pop(ValType::I32));
  const uint32_t h = height();
  if (!emitting()) {
    push(ls.type);
    return {};
  }
  uint32_t slot = 0, addend = 0;
  if (!(producer && take_address_add(h, slot, addend))) slot = operand(addr, h);
  uint32_t at = emit_memory_op(ls.op, memory);
  word(home(h));
  word(slot);
  word(addend);
  word(offset);
  push(ls.type);
  // A local.set retargets word 1, the destination, of memory 0's form only.
  if (memory == 0) set_producer(at, ls.op);
  return {};
}

Result<void> FuncCompiler::do_store(const LoadStore& ls) {
  uint32_t offset = 0, memory = 0;
  WEFT_TRY(uint32_t align, read_memarg(ls.align, offset, memory));
  (void)align;
  WEFT_TRY(Entry v, pop(ls.type));
  const uint32_t h = height() == 0 ? 0 : height() - 1;
  const bool producer = height() > 0 && has_producer_ && stack_.back().kind == Kind::Stack;
  WEFT_TRY(Entry addr, pop(ValType::I32));
  if (emitting()) {
    uint32_t sa = 0, addend = 0;
    if (!(producer && take_address_add(h, sa, addend))) sa = operand(addr, h);
    uint32_t sv = operand(v, h + 1);
    emit_memory_op(ls.op, memory);
    word(sa);
    word(sv);
    word(addend);
    word(offset);
  }
  return {};
}

Result<void> FuncCompiler::do_local_set(uint32_t idx, bool tee) {
  const ValType t = locals_[idx];
  const bool producer = top_is_producer();
  WEFT_TRY(Entry v, pop(t));
  if (!emitting()) {
    if (tee) {
      v.type = t;
      push_entry(v);
    }
    return {};
  }
  const uint32_t h = height();
  if (v.kind == Kind::Local && v.slot == idx) {  // x = x
    if (tee) push_entry(v);
    return {};
  }
  // Pending reads of the local must see its old value.
  bool aliased = false;
  for (uint32_t i = ctrls_.back().height; i < h; ++i) {
    if (stack_[i].kind == Kind::Local && stack_[i].slot == idx) aliased = true;
  }
  if (aliased) {
    for (uint32_t i = ctrls_.back().height; i < h; ++i) {
      if (stack_[i].kind == Kind::Local && stack_[i].slot == idx) materialize(i);
    }
  }
  if (producer && !aliased) {
    // Retarget the producing instruction to write the local directly.
    code_[producer_pos_ + 1] = idx;
    has_producer_ = false;
    if (tee) {
      v.kind = Kind::Local;
      v.slot = idx;
      push_entry(v);
    }
    return {};
  }
  emit_move(idx, v);
  if (tee) push_entry(v);
  return {};
}

Result<void> FuncCompiler::do_prefixed() {
  WEFT_TRY(uint32_t sub, read_u32());
  if (sub <= 7) return do_numeric(0x100 + sub);
  switch (sub) {
    case 8: {  // memory.init
      WEFT_TRY(uint32_t seg, read_u32());
      WEFT_TRY(uint32_t m, read_memory_index());
      WEFT_CHECK(check_memory(m));
      WEFT_CHECK(check_data(seg));
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry s, pop(ValType::I32));
      WEFT_TRY(Entry d, pop(ValType::I32));
      if (emitting()) {
        uint32_t h = height();
        uint32_t sd = operand(d, h), ss = operand(s, h + 1), sn = operand(n, h + 2);
        emit_memory_op(Op::memory_init, m);
        word(seg);
        word(sd);
        word(ss);
        word(sn);
      }
      return {};
    }
    case 9: {  // data.drop
      WEFT_TRY(uint32_t seg, read_u32());
      WEFT_CHECK(check_data(seg));
      if (emitting()) {
        emit_op(Op::data_drop);
        word(seg);
      }
      return {};
    }
    case 10:    // memory.copy
    case 11: {  // memory.fill
      // memory.copy names the destination memory, then the source.
      WEFT_TRY(uint32_t m, read_memory_index());
      uint32_t src = m;
      if (sub == 10) {
        WEFT_TRY(src, read_memory_index());
      }
      WEFT_CHECK(check_memory(m));
      WEFT_CHECK(check_memory(src));
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry s, pop(ValType::I32));
      WEFT_TRY(Entry d, pop(ValType::I32));
      if (emitting()) {
        uint32_t h = height();
        uint32_t sd = operand(d, h), ss = operand(s, h + 1), sn = operand(n, h + 2);
        if (sub == 11) {
          emit_memory_op(Op::memory_fill, m);
        } else if (m == 0 && src == 0) {
          emit_op(Op::memory_copy);
        } else {
          // Either index may be 0 here; memory_m names both.
          emit_op(Op::memory_m);
          word(static_cast<uint32_t>(Op::memory_copy));
          word(m);
          word(src);
        }
        word(sd);
        word(ss);
        word(sn);
      }
      return {};
    }
    case 12: {  // table.init elem table
      WEFT_TRY(uint32_t seg, read_u32());
      WEFT_TRY(uint32_t t, read_u32());
      WEFT_CHECK(check_table(t));
      WEFT_CHECK(check_elem(seg));
      if (decl_.elems[seg].type != decl_.tables[t].element) return invalid("type mismatch");
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry s, pop(ValType::I32));
      WEFT_TRY(Entry d, pop(ValType::I32));
      if (emitting()) {
        uint32_t h = height();
        uint32_t sd = operand(d, h), ss = operand(s, h + 1), sn = operand(n, h + 2);
        emit_op(Op::table_init);
        word(t);
        word(seg);
        word(sd);
        word(ss);
        word(sn);
      }
      return {};
    }
    case 13: {  // elem.drop
      WEFT_TRY(uint32_t seg, read_u32());
      WEFT_CHECK(check_elem(seg));
      if (emitting()) {
        emit_op(Op::elem_drop);
        word(seg);
      }
      return {};
    }
    case 14: {  // table.copy dst src
      WEFT_TRY(uint32_t dt, read_u32());
      WEFT_TRY(uint32_t st, read_u32());
      WEFT_CHECK(check_table(dt));
      WEFT_CHECK(check_table(st));
      if (decl_.tables[dt].element != decl_.tables[st].element) return invalid("type mismatch");
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry s, pop(ValType::I32));
      WEFT_TRY(Entry d, pop(ValType::I32));
      if (emitting()) {
        uint32_t h = height();
        uint32_t sd = operand(d, h), ss = operand(s, h + 1), sn = operand(n, h + 2);
        emit_op(Op::table_copy);
        word(dt);
        word(st);
        word(sd);
        word(ss);
        word(sn);
      }
      return {};
    }
    case 15: {  // table.grow
      WEFT_TRY(uint32_t t, read_u32());
      WEFT_CHECK(check_table(t));
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry init, pop(decl_.tables[t].element));
      if (emitting()) {
        uint32_t h = height();
        uint32_t si = operand(init, h), sn = operand(n, h + 1);
        emit_op(Op::table_grow);
        word(home(h));
        word(t);
        word(si);
        word(sn);
      }
      push(ValType::I32);
      return {};
    }
    case 16: {  // table.size
      WEFT_TRY(uint32_t t, read_u32());
      WEFT_CHECK(check_table(t));
      if (emitting()) {
        emit_op(Op::table_size);
        word(home(height()));
        word(t);
      }
      push(ValType::I32);
      return {};
    }
    case 17: {  // table.fill
      WEFT_TRY(uint32_t t, read_u32());
      WEFT_CHECK(check_table(t));
      WEFT_TRY(Entry n, pop(ValType::I32));
      WEFT_TRY(Entry v, pop(decl_.tables[t].element));
      WEFT_TRY(Entry i, pop(ValType::I32));
      if (emitting()) {
        uint32_t h = height();
        uint32_t si = operand(i, h), sv = operand(v, h + 1), sn = operand(n, h + 2);
        emit_op(Op::table_fill);
        word(t);
        word(si);
        word(sv);
        word(sn);
      }
      return {};
    }
    default:
      return malformed("illegal opcode");
  }
}

}  // namespace

Result<std::unique_ptr<detail::CompiledFunc>> compile_function(const ModuleContext& ctx,
                                                               uint32_t func_index) {
  FuncCompiler compiler(ctx, func_index);
  return compiler.run();
}

}  // namespace weft::validate
