// The interpreter's register code → LLVM IR. The code is already validated
// and every operand names a frame slot, so translation is one walk: each
// slot becomes an i64 alloca (mem2reg makes them SSA values), each branch
// target a basic block. Values keep the interpreter's slot encoding (i32
// zero-extended, f32 as its bits) at slot boundaries.
#include "wasm/native/translate.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>

#include "wasm/interp/code.h"
#include "wasm/native/context.h"
#include "wasm/native/loop_polls.h"

namespace weft::native {
namespace {

using interp::Op;

// Words after the handler word, for ops of fixed length; -1: variable or
// not translated.
// The memory-0 loads and stores (d|a a|b addend offset), also the sub-ops
// of memory_m.
bool is_load(Op op) {
  switch (op) {
    case Op::i32_load:
    case Op::i64_load:
    case Op::i32_load8_s:
    case Op::i32_load8_u:
    case Op::i32_load16_s:
    case Op::i32_load16_u:
    case Op::i64_load8_s:
    case Op::i64_load8_u:
    case Op::i64_load16_s:
    case Op::i64_load16_u:
    case Op::i64_load32_s:
    case Op::i64_load32_u:
      return true;
    default:
      return false;
  }
}
bool is_store(Op op) {
  switch (op) {
    case Op::i32_store:
    case Op::i64_store:
    case Op::i32_store8:
    case Op::i32_store16:
    case Op::i64_store8:
    case Op::i64_store16:
    case Op::i64_store32:
      return true;
    default:
      return false;
  }
}

int operand_words(Op op) {
  if (is_load(op) || is_store(op)) return 4;
  switch (op) {
    case Op::unreachable:
    case Op::ret:
    case Op::memory_size:
      return op == Op::memory_size ? 1 : 0;
    case Op::br:
    case Op::data_drop:
    case Op::elem_drop:
    case Op::throw_ref:
      return 1;
    case Op::br_if:
    case Op::br_unless:
    case Op::call:
    case Op::copy:
    case Op::const32:
    case Op::global_get:
    case Op::global_set:
    case Op::ref_is_null:
    case Op::memory_grow:
    case Op::ref_func:
    case Op::table_size:
    case Op::throw_tag:
      return 2;
    case Op::const64:
    case Op::memory_copy:
    case Op::memory_fill:
    case Op::table_get:
    case Op::table_set:
      return 3;
    case Op::call_indirect:
    case Op::select:
    case Op::memory_init:
    case Op::table_grow:
    case Op::table_fill:
      return 4;
    case Op::table_copy:
    case Op::table_init:
      return 5;
    default:
      break;
  }
  const auto v = static_cast<uint16_t>(op);
  if (v >= static_cast<uint16_t>(Op::br_i32_eq) && v <= static_cast<uint16_t>(Op::br_i32_ge_u_imm))
    return 3;
#define WEFT_IMM_LEN(name) \
  if (op == Op::name##_imm) return 3;
  WEFT_INTERP_I32_IMM_OPS(WEFT_IMM_LEN)
  WEFT_INTERP_I64_IMM_OPS(WEFT_IMM_LEN)
#undef WEFT_IMM_LEN
#define WEFT_NUM_LEN(code, name, form, in, out) \
  if (op == Op::name) return #form[0] == 'U' ? 2 : 3;
  WEFT_NUMERIC_OPS(WEFT_NUM_LEN)
#undef WEFT_NUM_LEN
  return -1;  // br_table (variable) or not translated
}

// A memory_m instruction (a memory other than memory 0; see run_memory_m in
// the interpreter) by its sub-op: its length in words, the word positions
// of its slot operands, and how many of those, from the first, it writes.
struct MemoryMShape {
  uint32_t words = 0;
  uint32_t slots[3] = {};
  uint32_t count = 0;
  uint32_t outs = 0;
};

std::optional<MemoryMShape> memory_m_shape(uint32_t sub_word) {
  if (sub_word >= static_cast<uint32_t>(Op::kCount)) return std::nullopt;
  const Op sub = static_cast<Op>(sub_word);
  if (is_load(sub)) return MemoryMShape{7, {3, 4}, 2, 1};   // mem d a addend offset
  if (is_store(sub)) return MemoryMShape{7, {3, 4}, 2, 0};  // mem a(address) b(value) addend offset
  switch (sub) {
    case Op::memory_size:
      return MemoryMShape{4, {3}, 1, 1};  // mem d
    case Op::memory_grow:
      return MemoryMShape{5, {3, 4}, 2, 1};  // mem d a
    case Op::memory_init:
      return MemoryMShape{7, {4, 5, 6}, 3, 0};  // mem seg d s n
    case Op::memory_copy:
      return MemoryMShape{7, {4, 5, 6}, 3, 0};  // dst_mem src_mem d s n
    case Op::memory_fill:
      return MemoryMShape{6, {3, 4, 5}, 3, 0};  // mem d value n
    default:
      return std::nullopt;
  }
}

class OpTable {
 public:
  OpTable() {
    const int32_t* offsets = interp::handler_offsets();
    for (uint16_t i = 0; i < static_cast<uint16_t>(Op::kCount); ++i) {
      if (!by_word_.emplace(offsets[i], static_cast<Op>(i)).second) ambiguous_ = true;
    }
  }
  std::optional<Op> op(uint32_t word) const {
    auto it = by_word_.find(static_cast<int32_t>(word));
    if (it == by_word_.end()) return std::nullopt;
    return it->second;
  }
  bool ambiguous() const { return ambiguous_; }

 private:
  std::unordered_map<int32_t, Op> by_word_;
  bool ambiguous_ = false;
};

const OpTable& op_table() {
  static const OpTable table;
  return table;
}

struct Insn {
  uint32_t pc;
  Op op;
};

// How a value of type `t` crosses a call between native bodies.
llvm::Type* register_type(llvm::LLVMContext& c, ValType t) {
  return t == ValType::I32 || t == ValType::F32 ? llvm::Type::getInt32Ty(c)
                                                : llvm::Type::getInt64Ty(c);
}
// A slot's i64 as that type, and back (zero-extended, as slots hold it).
llvm::Value* to_register(llvm::IRBuilderBase& b, llvm::Value* slot, llvm::Type* t) {
  return t->isIntegerTy(32) ? b.CreateTrunc(slot, t) : slot;
}
llvm::Value* to_slot(llvm::IRBuilderBase& b, llvm::Value* v) {
  return v->getType()->isIntegerTy(32) ? b.CreateZExt(v, b.getInt64Ty()) : v;
}

// The instructions of `code`, or nullopt when one is a word the table does
// not know.
std::optional<std::vector<Insn>> decode(const detail::CompiledFunc& code) {
  std::vector<Insn> out;
  const std::vector<uint32_t>& w = code.code;
  uint32_t pc = 0;
  while (pc < w.size()) {
    std::optional<Op> op = op_table().op(w[pc]);
    if (!op) return std::nullopt;
    int len = operand_words(*op);
    if (*op == Op::br_table) {
      if (pc + 2 >= w.size()) return std::nullopt;
      len = 2 + static_cast<int>(w[pc + 2]) + 1;
    } else if (*op == Op::memory_m) {
      if (pc + 1 >= w.size()) return std::nullopt;
      const std::optional<MemoryMShape> shape = memory_m_shape(w[pc + 1]);
      if (!shape) return std::nullopt;
      len = static_cast<int>(shape->words) - 1;
    }
    if (len < 0 || pc + 1 + static_cast<uint64_t>(len) > w.size()) return std::nullopt;
    out.push_back({pc, *op});
    pc += 1 + static_cast<uint32_t>(len);
  }
  return out;
}

class FunctionTranslator {
 public:
  FunctionTranslator(llvm::Module& m, const detail::ModuleImpl& mod,
                     const std::vector<llvm::Function*>& bodies, uint32_t func_index,
                     const detail::CompiledFunc& code, const std::vector<Insn>& insns, bool guarded)
      : m_(m),
        ctx_(m.getContext()),
        b_(ctx_),
        mod_(mod),
        bodies_(bodies),
        index_(func_index),
        code_(code),
        insns_(insns),
        guarded_(guarded) {
    i8_ = b_.getInt8Ty();
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
    f32_ = b_.getFloatTy();
    f64_ = b_.getDoubleTy();
    ptr_ = b_.getPtrTy();
  }

  // `f` is the function's body (body_type): (ctx, the caller's frames_left,
  // the arguments in slot encoding) -> its results.
  void run(llvm::Function* f) {
    f_ = f;
    llvm::Argument* ctx = f->getArg(0);
    llvm::Argument* frames = f->getArg(1);
    ctx_arg_ = ctx;
    llvm::BasicBlock* entry = llvm::BasicBlock::Create(ctx_, "entry", f);
    b_.SetInsertPoint(entry);
    const FuncType& type = *mod_.interned_types[mod_.decl.func_types[index_]];
    slots_.resize(code_.frame_size);
    for (uint32_t i = 0; i < code_.frame_size; ++i) slots_[i] = b_.CreateAlloca(i64_);
    mem_base_ = b_.CreateAlloca(ptr_);
    mem_size_ = b_.CreateAlloca(i64_);
    for (uint32_t i = 0; i < code_.frame_size; ++i) {
      llvm::Value* v = i < type.params.size() ? to_slot(b_, f->getArg(2 + i)) : b_.getInt64(0);
      b_.CreateStore(v, slots_[i]);
    }
    globals_ = load_constant_field(ptr_, offsetof(NativeContext, globals));
    poll_flag_ = load_constant_field(ptr_, offsetof(NativeContext, poll_flag));
    reload_memory();
    // The stack and the interrupt flag at entry, as the interpreter polls.
    llvm::Value* sp = b_.CreatePtrToInt(b_.CreateStackSave(), i64_);
    llvm::Value* limit = load_constant_field(i64_, offsetof(NativeContext, stack_limit));
    trap_if(b_.CreateICmpULT(sp, limit), TrapKind::StackExhausted);
    trap_if(b_.CreateICmpEQ(frames, b_.getInt64(0)), TrapKind::StackExhausted);
    frames_self_ = b_.CreateSub(frames, b_.getInt64(1));
    store_field(frames_self_, offsetof(NativeContext, frames_left));
    llvm::Value* trace_end = load_constant_field(ptr_, offsetof(NativeContext, trace_end));
    b_.CreateStore(b_.getInt32(index_),
                   b_.CreateInBoundsGEP(i32_, trace_end, b_.CreateNeg(frames)));
    // A function that calls nothing and has no loop ends in bounded time:
    // the polls of its callers' back-edges and entries cover it.
    if (makes_calls()) poll();

    // Blocks at every branch target and after every branch.
    std::map<uint32_t, llvm::BasicBlock*> blocks;
    auto block_at = [&](uint32_t pc) {
      auto [it, inserted] = blocks.emplace(pc, nullptr);
      if (inserted) it->second = llvm::BasicBlock::Create(ctx_, "", f);
      return it->second;
    };
    const std::vector<uint32_t>& w = code_.code;
    for (const Insn& in : insns_) {
      const uint32_t* p = w.data() + in.pc;
      auto target = [&](uint32_t word) { return in.pc + static_cast<int32_t>(word); };
      switch (in.op) {
        case Op::br:
          block_at(target(p[1]));
          break;
        case Op::br_if:
        case Op::br_unless:
          block_at(target(p[2]));
          break;
        case Op::br_table:
          for (uint32_t i = 0; i <= p[2]; ++i) block_at(target(p[3 + i]));
          break;
        default:
          if (operand_words(in.op) == 3 && is_cmp_branch(in.op)) block_at(target(p[3]));
          break;
      }
    }
    // Where a catch clause sends its exception (see dispatch_catch).
    for (const detail::CatchClause& c : code_.catches)
      if (c.kind != detail::CatchClause::kDelegate && c.target != detail::CatchClause::kReturn)
        block_at(c.target);
    llvm::BasicBlock* first = block_at(0);
    b_.CreateBr(first);
    // The insertion block is open while it has no terminator.
    auto open = [&] { return b_.GetInsertBlock()->getTerminator() == nullptr; };
    for (size_t k = 0; k < insns_.size(); ++k) {
      const Insn& in = insns_[k];
      auto it = blocks.find(in.pc);
      if (it != blocks.end()) {
        if (open()) b_.CreateBr(it->second);
        b_.SetInsertPoint(it->second);
      } else if (!open()) {
        // Unreachable code after a terminator: a block of its own.
        b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "dead", f));
      }
      const uint32_t next_pc =
          k + 1 < insns_.size() ? insns_[k + 1].pc : static_cast<uint32_t>(w.size());
      emit(in, w.data() + in.pc, next_pc, block_at, type);
    }
    if (open()) b_.CreateUnreachable();  // validated code ends in ret
    // Blocks that nothing reached still need a terminator.
    for (llvm::BasicBlock& bb : *f) {
      if (bb.getTerminator() == nullptr) {
        b_.SetInsertPoint(&bb);
        b_.CreateUnreachable();
      }
    }
  }

 private:
  static bool is_cmp_branch(Op op) {
    const auto v = static_cast<uint16_t>(op);
    return v >= static_cast<uint16_t>(Op::br_i32_eq) &&
           v <= static_cast<uint16_t>(Op::br_i32_ge_u_imm);
  }

  llvm::Value* load_field(llvm::Type* t, size_t offset) {
    return b_.CreateLoad(t, b_.CreateConstInBoundsGEP1_64(i8_, ctx_arg_, offset));
  }
  // A field no code changes while the context lives (the C++ entry fills
  // it): the code generator may load it again where it would otherwise
  // keep it in a callee-saved register across calls.
  llvm::Value* load_constant_field(llvm::Type* t, size_t offset) {
    auto* load = llvm::cast<llvm::LoadInst>(load_field(t, offset));
    load->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(ctx_, {}));
    return load;
  }
  void store_field(llvm::Value* v, size_t offset) {
    b_.CreateStore(v, b_.CreateConstInBoundsGEP1_64(i8_, ctx_arg_, offset));
  }
  void reload_memory() {
    b_.CreateStore(load_field(ptr_, offsetof(NativeContext, mem_base)), mem_base_);
    b_.CreateStore(load_field(i64_, offsetof(NativeContext, mem_size)), mem_size_);
  }

  llvm::FunctionCallee helper(const char* name, llvm::Type* ret,
                              std::initializer_list<llvm::Type*> params) {
    return m_.getOrInsertFunction(
        name, llvm::FunctionType::get(ret, llvm::ArrayRef<llvm::Type*>(params), false));
  }

  llvm::BasicBlock* trap_block(TrapKind kind) {
    auto it = traps_.find(kind);
    if (it != traps_.end()) return it->second;
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    llvm::BasicBlock* bb = llvm::BasicBlock::Create(ctx_, "trap", f_);
    b_.SetInsertPoint(bb);
    llvm::FunctionCallee trap = helper("weft_native_trap", b_.getVoidTy(), {ptr_, i32_});
    llvm::CallInst* call =
        b_.CreateCall(trap, {ctx_arg_, b_.getInt32(static_cast<uint32_t>(kind))});
    call->setDoesNotReturn();
    b_.CreateUnreachable();
    traps_.emplace(kind, bb);
    return bb;
  }
  void trap_if(llvm::Value* cond, TrapKind kind) {
    llvm::BasicBlock* cont = llvm::BasicBlock::Create(ctx_, "", f_);
    llvm::MDBuilder md(ctx_);
    b_.CreateCondBr(cond, trap_block(kind), cont, md.createBranchWeights(1, 1 << 20));
    b_.SetInsertPoint(cont);
  }
  // Branches to a new block on a nonzero status, weighted as rare, and
  // leaves the builder there; returns the block the code goes on in.
  llvm::BasicBlock* branch_if_failed(llvm::Value* status, const char* name) {
    llvm::BasicBlock* cont = llvm::BasicBlock::Create(ctx_, "", f_);
    llvm::BasicBlock* fail = llvm::BasicBlock::Create(ctx_, name, f_);
    llvm::MDBuilder md(ctx_);
    b_.CreateCondBr(b_.CreateICmpNE(status, b_.getInt32(0)), fail, cont,
                    md.createBranchWeights(1, 1 << 20));
    b_.SetInsertPoint(fail);
    return cont;
  }
  void raise_if_nonzero(llvm::Value* status) {
    llvm::BasicBlock* cont = branch_if_failed(status, "raise");
    llvm::CallInst* call =
        b_.CreateCall(helper("weft_native_raise", b_.getVoidTy(), {ptr_}), {ctx_arg_});
    call->setDoesNotReturn();
    b_.CreateUnreachable();
    b_.SetInsertPoint(cont);
  }
  // Whether code word `pc` is inside a try_table (or legacy try): calls and
  // throws there may be caught in this function.
  bool in_try(uint32_t pc) const {
    for (const detail::TryHandler& h : code_.handlers)
      if (pc >= h.begin && pc < h.end) return true;
    return false;
  }
  // The results in slots 0.. returned, as the ret instruction does.
  void emit_return(const FuncType& type) {
    llvm::Type* rt = f_->getReturnType();
    if (type.results.empty()) {
      b_.CreateRetVoid();
    } else if (!rt->isStructTy()) {
      b_.CreateRet(to_register(b_, get64(0), rt));
    } else {
      llvm::Value* r = llvm::PoisonValue::get(rt);
      for (uint32_t i = 0; i < type.results.size(); ++i)
        r = b_.CreateInsertValue(r, to_register(b_, get64(i), rt->getStructElementType(i)), {i});
      b_.CreateRet(r);
    }
  }
  // An exception (or a trap) is in the context, raised at code word `pc`
  // inside a try: the clause that takes it, as the interpreter would choose
  // (weft_native_catch), gets its values and exnref and its branch; with
  // none, the error goes on to the C++ entry as before. Every clause of
  // every try covering `pc` is a candidate.
  void dispatch_catch(uint32_t pc, const FuncType& type,
                      const std::function<llvm::BasicBlock*(uint32_t)>& block_at) {
    std::vector<uint32_t> candidates;
    size_t max_values = 0;
    for (const detail::TryHandler& h : code_.handlers) {
      if (pc < h.begin || pc >= h.end) continue;
      for (uint32_t k = 0; k < h.count; ++k) {
        const detail::CatchClause& c = code_.catches[h.first + k];
        if (c.kind == detail::CatchClause::kDelegate) continue;
        candidates.push_back(h.first + k);
        max_values = std::max(max_values, clause_values(c));
      }
    }
    llvm::Value* buf = call_buffer(1 + max_values);
    llvm::Value* clause = b_.CreateCall(
        helper("weft_native_catch", i32_, {ptr_, i32_, i32_, ptr_}),
        {ctx_arg_, b_.getInt32(index_ - mod_.decl.funcs_imported), b_.getInt32(pc), buf});
    llvm::BasicBlock* none = llvm::BasicBlock::Create(ctx_, "uncaught", f_);
    llvm::SwitchInst* sw = b_.CreateSwitch(clause, none, static_cast<unsigned>(candidates.size()));
    b_.SetInsertPoint(none);
    b_.CreateCall(helper("weft_native_raise", b_.getVoidTy(), {ptr_}), {ctx_arg_})
        ->setDoesNotReturn();
    b_.CreateUnreachable();
    for (uint32_t index : candidates) {
      const detail::CatchClause& c = code_.catches[index];
      llvm::BasicBlock* bb = llvm::BasicBlock::Create(ctx_, "catch", f_);
      sw->addCase(b_.getInt32(index), bb);
      b_.SetInsertPoint(bb);
      store_field(frames_self_, offsetof(NativeContext, frames_left));
      reload_memory();
      const size_t n = clause_values(c);
      for (size_t j = 0; j < n; ++j)
        set64(c.dest + static_cast<uint32_t>(j),
              b_.CreateLoad(i64_, b_.CreateConstInBoundsGEP1_64(i64_, buf, 1 + j)));
      if (c.exn_dest != detail::CatchClause::kNoSlot) set64(c.exn_dest, b_.CreateLoad(i64_, buf));
      if (c.target == detail::CatchClause::kReturn) {
        emit_return(type);
      } else {
        if (c.target <= pc) poll();  // a catch that loops: still interruptible
        b_.CreateBr(block_at(c.target));
      }
    }
  }
  size_t clause_values(const detail::CatchClause& c) const {
    if (c.kind != detail::CatchClause::kCatch && c.kind != detail::CatchClause::kCatchRef) return 0;
    return mod_.decl.types[mod_.decl.tag_types[c.tag]].params.size();
  }
  // After a helper call at `pc`: a nonzero status raises, or, inside a try,
  // goes to the clause that catches it.
  template <typename BlockAt>
  void after_call(llvm::Value* status, uint32_t pc, const FuncType& type, BlockAt& block_at) {
    if (!in_try(pc)) {
      raise_if_nonzero(status);
      return;
    }
    llvm::BasicBlock* cont = branch_if_failed(status, "thrown");
    dispatch_catch(pc, type, [&](uint32_t t) { return block_at(t); });
    b_.SetInsertPoint(cont);
  }
  bool makes_calls() const {
    for (const Insn& in : insns_)
      if (in.op == Op::call || in.op == Op::call_indirect) return true;
    return false;
  }
  // The interpreter's poll (interrupt, then fuel), behind one flag.
  void poll() {
    llvm::LoadInst* flag = b_.CreateLoad(i8_, poll_flag_);
    flag->setAtomic(llvm::AtomicOrdering::Monotonic);
    flag->setAlignment(llvm::Align(1));
    llvm::BasicBlock* slow = llvm::BasicBlock::Create(ctx_, "poll", f_);
    llvm::BasicBlock* cont = llvm::BasicBlock::Create(ctx_, "", f_);
    llvm::MDBuilder md(ctx_);
    llvm::BranchInst* br = b_.CreateCondBr(b_.CreateICmpNE(flag, b_.getInt8(0)), slow, cont,
                                           md.createBranchWeights(1, 1 << 20));
    br->setMetadata(kPollBranchMetadata, llvm::MDNode::get(ctx_, {}));
    b_.SetInsertPoint(slow);
    b_.CreateCall(helper(kPollHelper, b_.getVoidTy(), {ptr_}), {ctx_arg_});
    b_.CreateBr(cont);
    b_.SetInsertPoint(cont);
  }

  llvm::Value* get64(uint32_t s) { return b_.CreateLoad(i64_, slots_.at(s)); }
  llvm::Value* get32(uint32_t s) { return b_.CreateTrunc(get64(s), i32_); }
  llvm::Value* getf32(uint32_t s) { return b_.CreateBitCast(get32(s), f32_); }
  llvm::Value* getf64(uint32_t s) { return b_.CreateBitCast(get64(s), f64_); }
  void set64(uint32_t s, llvm::Value* v) { b_.CreateStore(v, slots_.at(s)); }
  void set32(uint32_t s, llvm::Value* v) { set64(s, b_.CreateZExt(v, i64_)); }
  void setf32(uint32_t s, llvm::Value* v) { set32(s, b_.CreateBitCast(v, i32_)); }
  void setf64(uint32_t s, llvm::Value* v) { set64(s, b_.CreateBitCast(v, i64_)); }
  void set_bool(uint32_t s, llvm::Value* i1) { set64(s, b_.CreateZExt(i1, i64_)); }
  // A float operation's result as the spec allows it: a NaN result is an
  // arithmetic NaN (quiet bit set). The hardware quiets a signalling NaN
  // operand of its arithmetic, but LLVM folds x-0, x*1, x/1 to x and min/max
  // to an operand without quieting, which the spec's `nan:arithmetic`
  // forbids. llvm.canonicalize says "quiet here" in a form the optimizer
  // keeps through those folds; lower_canonicalize (after optimizing) drops
  // it where the value comes straight from quieting arithmetic and makes it
  // the explicit bit operation elsewhere (x86 has no instruction for it).
  llvm::Value* quiet(llvm::Value* r) {
    return b_.CreateIntrinsic(llvm::Intrinsic::canonicalize, {r->getType()}, {r});
  }
  void setq32(uint32_t s, llvm::Value* v) { setf32(s, quiet(v)); }
  void setq64(uint32_t s, llvm::Value* v) { setf64(s, quiet(v)); }

  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Type* t, std::vector<llvm::Value*> args) {
    return b_.CreateIntrinsic(id, {t}, args);
  }

  // Effective address, with its bounds check unless memory is guarded
  // (then ea + bytes < kGuardedReservationBytes: past the memory's size it
  // faults); the pointer into memory.
  llvm::Value* address(const uint32_t* p, uint32_t addr_slot, unsigned bytes) {
    llvm::Value* a = b_.CreateAdd(get32(addr_slot), b_.getInt32(p[3]));
    llvm::Value* ea = b_.CreateAdd(b_.CreateZExt(a, i64_), b_.getInt64(p[4]));
    if (!guarded_) {
      llvm::Value* end = b_.CreateAdd(ea, b_.getInt64(bytes));
      trap_if(b_.CreateICmpUGT(end, b_.CreateLoad(i64_, mem_size_)), TrapKind::MemoryOutOfBounds);
    }
    return b_.CreateInBoundsGEP(i8_, b_.CreateLoad(ptr_, mem_base_), ea);
  }
  void load(const uint32_t* p, llvm::Type* t, unsigned bytes, bool sign, bool wide) {
    llvm::LoadInst* v = b_.CreateLoad(t, address(p, p[2], bytes));
    v->setAlignment(llvm::Align(1));
    // Without a check, the fault is the trap: a load whose value is never
    // used must still happen (volatile: never deleted, never reordered
    // with the other volatile accesses, stores included).
    if (guarded_) guarded_access(v);
    llvm::Type* out = wide ? i64_ : i32_;
    llvm::Value* r = t == out ? static_cast<llvm::Value*>(v)
                              : (sign ? b_.CreateSExt(v, out) : b_.CreateZExt(v, out));
    if (wide)
      set64(p[1], r);
    else
      set32(p[1], r);
  }
  void store(const uint32_t* p, llvm::Type* t, unsigned bytes) {
    llvm::Value* ptr = address(p, p[1], bytes);
    llvm::StoreInst* s = b_.CreateStore(b_.CreateTrunc(get64(p[2]), t), ptr);
    s->setAlignment(llvm::Align(1));
    // Volatile too: a store may fault, so none may be deleted as dead
    // (DSE), merged with its neighbour, or turned into a memset, and what
    // the guest sees in memory after a trap is what it wrote before it.
    if (guarded_) guarded_access(s);
  }
  // Volatile, and marked so that loop_polls.cpp can tell it from the
  // volatile stores of globals.
  void guarded_access(llvm::Instruction* access) {
    if (auto* load = llvm::dyn_cast<llvm::LoadInst>(access)) load->setVolatile(true);
    if (auto* store = llvm::dyn_cast<llvm::StoreInst>(access)) store->setVolatile(true);
    access->setMetadata(kGuardedAccessMetadata, llvm::MDNode::get(ctx_, {}));
  }

  llvm::BasicBlock* jump_source(uint32_t from, int32_t off, llvm::BasicBlock* target) {
    if (off > 0) return target;
    // A back-edge polls, as the interpreter's JUMP does.
    llvm::BasicBlock* edge = llvm::BasicBlock::Create(ctx_, "backedge", f_);
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    b_.SetInsertPoint(edge);
    poll();
    b_.CreateBr(target);
    (void)from;
    return edge;
  }
  template <typename BlockAt>
  void branch_if(llvm::Value* cond, const Insn& in, uint32_t off_word, uint32_t next_pc,
                 BlockAt& block_at) {
    const int32_t off = static_cast<int32_t>(off_word);
    llvm::BasicBlock* target = block_at(in.pc + off);
    llvm::BasicBlock* next = block_at(next_pc);
    b_.CreateCondBr(cond, jump_source(in.pc, off, target), next);
  }

  // Integer division and remainder with the spec's traps.
  llvm::Value* divrem(Op op, llvm::Value* a, llvm::Value* bv, llvm::Type* t) {
    llvm::Value* zero = llvm::ConstantInt::get(t, 0);
    trap_if(b_.CreateICmpEQ(bv, zero), TrapKind::IntegerDivideByZero);
    llvm::Value* minus1 = llvm::ConstantInt::getSigned(t, -1);
    const bool wide = t == i64_;
    llvm::Value* int_min = wide ? b_.getInt64(uint64_t{1} << 63) : b_.getInt32(1u << 31);
    switch (op) {
      case Op::i32_div_s:
      case Op::i64_div_s:
        trap_if(b_.CreateAnd(b_.CreateICmpEQ(a, int_min), b_.CreateICmpEQ(bv, minus1)),
                TrapKind::IntegerOverflow);
        return b_.CreateSDiv(a, bv);
      case Op::i32_div_u:
      case Op::i64_div_u:
        return b_.CreateUDiv(a, bv);
      case Op::i32_rem_s:
      case Op::i64_rem_s: {
        // x rem -1 is 0; srem would overflow on INT_MIN.
        llvm::Value* safe =
            b_.CreateSelect(b_.CreateICmpEQ(bv, minus1), llvm::ConstantInt::get(t, 1), bv);
        return b_.CreateSRem(a, safe);
      }
      default:
        return b_.CreateURem(a, bv);
    }
  }

  // A trapping float → int truncation: NaN, then the range (lo, hi) open
  // or [lo, hi) per the spec's exact bounds.
  llvm::Value* trunc_checked(llvm::Value* x, llvm::Type* to, bool sign, double lo, bool lo_closed,
                             double hi) {
    llvm::Type* ft = x->getType();
    trap_if(b_.CreateFCmpUNO(x, x), TrapKind::InvalidConversion);
    llvm::Value* lo_ok = lo_closed ? b_.CreateFCmpOGE(x, llvm::ConstantFP::get(ft, lo))
                                   : b_.CreateFCmpOGT(x, llvm::ConstantFP::get(ft, lo));
    llvm::Value* hi_ok = b_.CreateFCmpOLT(x, llvm::ConstantFP::get(ft, hi));
    trap_if(b_.CreateNot(b_.CreateAnd(lo_ok, hi_ok)), TrapKind::IntegerOverflow);
    return sign ? b_.CreateFPToSI(x, to) : b_.CreateFPToUI(x, to);
  }

  void call_buffer_from(uint32_t base, size_t n, llvm::Value* buf) {
    for (size_t i = 0; i < n; ++i)
      b_.CreateStore(get64(base + static_cast<uint32_t>(i)),
                     b_.CreateConstInBoundsGEP1_64(i64_, buf, i));
  }
  void results_from(llvm::Value* buf, uint32_t base, size_t n) {
    for (size_t i = 0; i < n; ++i)
      set64(base + static_cast<uint32_t>(i),
            b_.CreateLoad(i64_, b_.CreateConstInBoundsGEP1_64(i64_, buf, i)));
  }
  llvm::Value* call_buffer(size_t n) {
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    b_.SetInsertPoint(&f_->getEntryBlock(), f_->getEntryBlock().begin());
    return b_.CreateAlloca(llvm::ArrayType::get(i64_, std::max<size_t>(n, 1)));
  }

  template <typename BlockAt>
  void emit(const Insn& in, const uint32_t* p, uint32_t next_pc, BlockAt& block_at,
            const FuncType& type) {
    switch (in.op) {
      case Op::unreachable:
        b_.CreateBr(trap_block(TrapKind::Unreachable));
        return;
      case Op::br: {
        const int32_t off = static_cast<int32_t>(p[1]);
        b_.CreateBr(jump_source(in.pc, off, block_at(in.pc + off)));
        return;
      }
      case Op::br_if:
        branch_if(b_.CreateICmpNE(get32(p[1]), b_.getInt32(0)), in, p[2], next_pc, block_at);
        return;
      case Op::br_unless:
        branch_if(b_.CreateICmpEQ(get32(p[1]), b_.getInt32(0)), in, p[2], next_pc, block_at);
        return;
      case Op::br_table: {
        const uint32_t n = p[2];
        auto dest = [&](uint32_t i) {
          const int32_t off = static_cast<int32_t>(p[3 + i]);
          return jump_source(in.pc, off, block_at(in.pc + off));
        };
        llvm::SwitchInst* sw = b_.CreateSwitch(get32(p[1]), dest(n), n);
        for (uint32_t i = 0; i < n; ++i) sw->addCase(b_.getInt32(i), dest(i));
        return;
      }
      case Op::ret:
        // The caller writes its own frames_left again after the call.
        emit_return(type);
        return;
      case Op::call: {
        const uint32_t callee = p[1], base = p[2];
        const FuncType& ct = *mod_.interned_types[mod_.decl.func_types[callee]];
        // Inside a try, through the helper that catches what native code
        // under it raises.
        const bool catching = in_try(in.pc);
        llvm::Function* direct = callee >= mod_.decl.funcs_imported && !catching
                                     ? bodies_[callee - mod_.decl.funcs_imported]
                                     : nullptr;
        if (direct != nullptr) {
          std::vector<llvm::Value*> args{ctx_arg_, frames_self_};
          for (uint32_t i = 0; i < ct.params.size(); ++i)
            args.push_back(
                to_register(b_, get64(base + i), direct->getFunctionType()->getParamType(2 + i)));
          llvm::CallInst* call = b_.CreateCall(direct, args);
          call->setCallingConv(direct->getCallingConv());
          // Never a tail call: runaway recursion must exhaust the stack
          // (the spec's assert_exhaustion), not become a loop.
          call->setTailCallKind(llvm::CallInst::TCK_NoTail);
          store_field(frames_self_, offsetof(NativeContext, frames_left));
          reload_memory();
          if (ct.results.size() == 1) {
            set64(base, to_slot(b_, call));
          } else {
            for (uint32_t i = 0; i < ct.results.size(); ++i)
              set64(base + i, to_slot(b_, b_.CreateExtractValue(call, {i})));
          }
          return;
        }
        const size_t n = std::max(ct.params.size(), ct.results.size());
        llvm::Value* buf = call_buffer(n);
        call_buffer_from(base, ct.params.size(), buf);
        llvm::Value* status =
            b_.CreateCall(helper(catching ? "weft_native_call_catching" : "weft_native_call", i32_,
                                 {ptr_, i32_, ptr_}),
                          {ctx_arg_, b_.getInt32(callee), buf});
        after_call(status, in.pc, type, block_at);
        reload_memory();
        results_from(buf, base, ct.results.size());
        return;
      }
      case Op::call_indirect: {
        const uint32_t type_index = p[1], table = p[2], elem = p[3], base = p[4];
        const FuncType& ct = mod_.decl.types[type_index];
        const size_t n = std::max(ct.params.size(), ct.results.size());
        llvm::Value* buf = call_buffer(n);
        llvm::Value* element = get32(elem);
        call_buffer_from(base, ct.params.size(), buf);
        llvm::Value* status =
            b_.CreateCall(helper(in_try(in.pc) ? "weft_native_call_indirect_catching"
                                               : "weft_native_call_indirect",
                                 i32_, {ptr_, i32_, i32_, i32_, ptr_}),
                          {ctx_arg_, b_.getInt32(type_index), b_.getInt32(table), element, buf});
        after_call(status, in.pc, type, block_at);
        reload_memory();
        results_from(buf, base, ct.results.size());
        return;
      }
      case Op::copy:
        set64(p[1], get64(p[2]));
        return;
      case Op::const32:
        set64(p[1], b_.getInt64(p[2]));
        return;
      case Op::const64:
        set64(p[1], b_.getInt64(uint64_t{p[2]} | (uint64_t{p[3]} << 32)));
        return;
      case Op::select:
        set64(p[1], b_.CreateSelect(b_.CreateICmpNE(get32(p[4]), b_.getInt32(0)), get64(p[2]),
                                    get64(p[3])));
        return;
      case Op::global_get:
      case Op::global_set: {
        const uint32_t idx = in.op == Op::global_get ? p[2] : p[1];
        llvm::Value* g = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, globals_, idx));
        llvm::Value* bits = b_.CreateConstInBoundsGEP1_64(i8_, g, global_bits_offset());
        if (in.op == Op::global_get) {
          set64(p[1], b_.CreateLoad(i64_, bits));
        } else {
          // Guarded: kept in order with the memory accesses that may fault,
          // so that a trap never sees a later global.set done.
          llvm::StoreInst* st = b_.CreateStore(get64(p[2]), bits);
          if (guarded_) st->setVolatile(true);
        }
        return;
      }
      case Op::ref_is_null:
        set_bool(p[1], b_.CreateICmpEQ(get64(p[2]), b_.getInt64(0)));
        return;
      // Tables and function references go through the runtime's helpers
      // (runtime.cpp), which do what the interpreter does and trap through
      // weft_native_trap: these are rare next to calls and memory accesses,
      // and call_indirect reads the tables in its helper too, so nothing of
      // a table is kept in registers that these could make stale.
      case Op::ref_func:
        set64(p[1], b_.CreateCall(helper("weft_native_ref_func", i64_, {ptr_, i32_}),
                                  {ctx_arg_, b_.getInt32(p[2])}));
        return;
      case Op::table_get:
        set64(p[1], b_.CreateCall(helper("weft_native_table_get", i64_, {ptr_, i32_, i32_}),
                                  {ctx_arg_, b_.getInt32(p[2]), get32(p[3])}));
        return;
      case Op::table_set:
        b_.CreateCall(helper("weft_native_table_set", b_.getVoidTy(), {ptr_, i32_, i32_, i64_}),
                      {ctx_arg_, b_.getInt32(p[1]), get32(p[2]), get64(p[3])});
        return;
      case Op::table_size:
        set32(p[1], b_.CreateCall(helper("weft_native_table_size", i32_, {ptr_, i32_}),
                                  {ctx_arg_, b_.getInt32(p[2])}));
        return;
      case Op::table_grow:
        set32(p[1], b_.CreateCall(helper("weft_native_table_grow", i32_, {ptr_, i32_, i64_, i32_}),
                                  {ctx_arg_, b_.getInt32(p[2]), get64(p[3]), get32(p[4])}));
        return;
      case Op::table_fill:
        b_.CreateCall(
            helper("weft_native_table_fill", b_.getVoidTy(), {ptr_, i32_, i32_, i64_, i32_}),
            {ctx_arg_, b_.getInt32(p[1]), get32(p[2]), get64(p[3]), get32(p[4])});
        return;
      case Op::table_copy:
      case Op::table_init:
        // (dst_table, src_table | seg, d, s, n): the same shape.
        b_.CreateCall(
            helper(in.op == Op::table_copy ? "weft_native_table_copy" : "weft_native_table_init",
                   b_.getVoidTy(), {ptr_, i32_, i32_, i32_, i32_, i32_}),
            {ctx_arg_, b_.getInt32(p[1]), b_.getInt32(p[2]), get32(p[3]), get32(p[4]),
             get32(p[5])});
        return;
      case Op::elem_drop:
        b_.CreateCall(helper("weft_native_elem_drop", b_.getVoidTy(), {ptr_, i32_}),
                      {ctx_arg_, b_.getInt32(p[1])});
        return;
      // A throw makes the exception (in the store, as the interpreter
      // does) and leaves through the entry's jump like a trap, as an
      // uncaught exception that carries it: the interpreted frame that
      // catches it (functions with handlers stay interpreted) goes on
      // unwinding from its call, as it does for a host function's.
      case Op::throw_tag: {
        const uint32_t tag = p[1], base = p[2];
        const size_t n = mod_.decl.types[mod_.decl.tag_types[tag]].params.size();
        llvm::Value* buf = call_buffer(n);
        call_buffer_from(base, n, buf);
        if (in_try(in.pc)) {  // caught here, maybe
          b_.CreateCall(helper("weft_native_set_exception", b_.getVoidTy(), {ptr_, i32_, ptr_}),
                        {ctx_arg_, b_.getInt32(tag), buf});
          dispatch_catch(in.pc, type, [&](uint32_t t) { return block_at(t); });
          return;
        }
        b_.CreateCall(helper("weft_native_throw", b_.getVoidTy(), {ptr_, i32_, ptr_}),
                      {ctx_arg_, b_.getInt32(tag), buf})
            ->setDoesNotReturn();
        b_.CreateUnreachable();
        return;
      }
      case Op::throw_ref:
        if (in_try(in.pc)) {
          b_.CreateCall(helper("weft_native_set_exception_ref", b_.getVoidTy(), {ptr_, i64_}),
                        {ctx_arg_, get64(p[1])});
          dispatch_catch(in.pc, type, [&](uint32_t t) { return block_at(t); });
          return;
        }
        b_.CreateCall(helper("weft_native_throw_ref", b_.getVoidTy(), {ptr_, i64_}),
                      {ctx_arg_, get64(p[1])})
            ->setDoesNotReturn();
        b_.CreateUnreachable();
        return;
      case Op::memory_m: {
        // The interpreter's own code, through a helper: the slot operands
        // go through a buffer, and the instruction's words, renumbered to
        // index it, sit in a constant. Memory 0's base and size are read
        // again after it: another index may name the same memory (one
        // memory imported twice), so a grow through it grows memory 0.
        const MemoryMShape shape = *memory_m_shape(p[1]);  // decode() checked it
        std::vector<uint32_t> words(p, p + shape.words);
        llvm::Value* buf = call_buffer(shape.count);
        for (uint32_t j = 0; j < shape.count; ++j) {
          b_.CreateStore(get64(p[shape.slots[j]]), b_.CreateConstInBoundsGEP1_64(i64_, buf, j));
          words[shape.slots[j]] = j;
        }
        llvm::Constant* init = llvm::ConstantDataArray::get(ctx_, words);
        auto* global = new llvm::GlobalVariable(m_, init->getType(), /*isConstant=*/true,
                                                llvm::GlobalValue::PrivateLinkage, init);
        b_.CreateCall(helper("weft_native_memory_m", b_.getVoidTy(), {ptr_, ptr_, ptr_}),
                      {ctx_arg_, global, buf});
        for (uint32_t j = 0; j < shape.outs; ++j)
          set64(p[shape.slots[j]],
                b_.CreateLoad(i64_, b_.CreateConstInBoundsGEP1_64(i64_, buf, j)));
        reload_memory();
        return;
      }
      case Op::memory_size:
        set64(p[1], b_.CreateLShr(b_.CreateLoad(i64_, mem_size_), 16));
        return;
      case Op::memory_grow:
        set32(p[1], b_.CreateCall(helper("weft_native_memory_grow", i32_, {ptr_, i32_}),
                                  {ctx_arg_, get32(p[2])}));
        reload_memory();
        return;
      case Op::memory_fill:
      case Op::memory_copy:
        b_.CreateCall(
            helper(in.op == Op::memory_fill ? "weft_native_memory_fill" : "weft_native_memory_copy",
                   b_.getVoidTy(), {ptr_, i32_, i32_, i32_}),
            {ctx_arg_, get32(p[1]), get32(p[2]), get32(p[3])});
        return;
      case Op::memory_init:
        b_.CreateCall(
            helper("weft_native_memory_init", b_.getVoidTy(), {ptr_, i32_, i32_, i32_, i32_}),
            {ctx_arg_, b_.getInt32(p[1]), get32(p[2]), get32(p[3]), get32(p[4])});
        return;
      case Op::data_drop:
        b_.CreateCall(helper("weft_native_data_drop", b_.getVoidTy(), {ptr_, i32_}),
                      {ctx_arg_, b_.getInt32(p[1])});
        return;
      case Op::i32_load:
        return load(p, i32_, 4, false, false);
      case Op::i64_load:
        return load(p, i64_, 8, false, true);
      case Op::i32_load8_s:
        return load(p, i8_, 1, true, false);
      case Op::i32_load8_u:
        return load(p, i8_, 1, false, false);
      case Op::i32_load16_s:
        return load(p, b_.getInt16Ty(), 2, true, false);
      case Op::i32_load16_u:
        return load(p, b_.getInt16Ty(), 2, false, false);
      case Op::i64_load8_s:
        return load(p, i8_, 1, true, true);
      case Op::i64_load8_u:
        return load(p, i8_, 1, false, true);
      case Op::i64_load16_s:
        return load(p, b_.getInt16Ty(), 2, true, true);
      case Op::i64_load16_u:
        return load(p, b_.getInt16Ty(), 2, false, true);
      case Op::i64_load32_s:
        return load(p, i32_, 4, true, true);
      case Op::i64_load32_u:
        return load(p, i32_, 4, false, true);
      case Op::i32_store:
        return store(p, i32_, 4);
      case Op::i64_store:
        return store(p, i64_, 8);
      case Op::i32_store8:
      case Op::i64_store8:
        return store(p, i8_, 1);
      case Op::i32_store16:
      case Op::i64_store16:
        return store(p, b_.getInt16Ty(), 2);
      case Op::i64_store32:
        return store(p, i32_, 4);
      default:
        break;
    }
    if (is_cmp_branch(in.op)) return emit_cmp_branch(in, p, next_pc, block_at);
    emit_numeric(in.op, p);
  }

  template <typename BlockAt>
  void emit_cmp_branch(const Insn& in, const uint32_t* p, uint32_t next_pc, BlockAt& block_at) {
    const auto v = static_cast<uint16_t>(in.op);
    const auto i32_first = static_cast<uint16_t>(Op::br_i32_eq);
    const auto i64_first = static_cast<uint16_t>(Op::br_i64_eq);
    const auto imm_first = static_cast<uint16_t>(Op::br_i32_eq_imm);
    llvm::Value *a, *bv;
    unsigned which;
    if (v >= imm_first) {
      which = v - imm_first;
      a = get32(p[1]);
      bv = b_.getInt32(p[2]);
    } else if (v >= i64_first) {
      which = v - i64_first;
      a = get64(p[1]);
      bv = get64(p[2]);
    } else {
      which = v - i32_first;
      a = get32(p[1]);
      bv = get32(p[2]);
    }
    static constexpr llvm::CmpInst::Predicate kPreds[] = {
        llvm::CmpInst::ICMP_EQ,  llvm::CmpInst::ICMP_NE,  llvm::CmpInst::ICMP_SLT,
        llvm::CmpInst::ICMP_ULT, llvm::CmpInst::ICMP_SGT, llvm::CmpInst::ICMP_UGT,
        llvm::CmpInst::ICMP_SLE, llvm::CmpInst::ICMP_ULE, llvm::CmpInst::ICMP_SGE,
        llvm::CmpInst::ICMP_UGE};
    branch_if(b_.CreateICmp(kPreds[which], a, bv), in, p[3], next_pc, block_at);
  }

  void emit_numeric(Op op, const uint32_t* p) {
    // Immediate forms: the right operand is p[3] (sign-extended for i64).
    bool imm = false;
    Op base = op;
#define WEFT_IMM_BASE(name)   \
  if (op == Op::name##_imm) { \
    imm = true;               \
    base = Op::name;          \
  }
    WEFT_INTERP_I32_IMM_OPS(WEFT_IMM_BASE)
    WEFT_INTERP_I64_IMM_OPS(WEFT_IMM_BASE)
#undef WEFT_IMM_BASE
    const uint32_t d = p[1];
    auto a32 = [&] { return get32(p[2]); };
    auto a64 = [&] { return get64(p[2]); };
    auto b32 = [&] { return imm ? b_.getInt32(p[3]) : get32(p[3]); };
    auto b64 = [&] {
      return imm ? b_.getInt64(
                       static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(p[3]))))
                 : get64(p[3]);
    };
    auto fa = [&] { return getf32(p[2]); };
    auto fb = [&] { return getf32(p[3]); };
    auto da = [&] { return getf64(p[2]); };
    auto db = [&] { return getf64(p[3]); };
    using I = llvm::Intrinsic::ID;
    namespace In = llvm::Intrinsic;
    auto un32 = [&](I id) { set32(d, intrinsic(id, i32_, {a32(), b_.getFalse()})); };
    auto un64 = [&](I id) { set64(d, intrinsic(id, i64_, {a64(), b_.getFalse()})); };
    auto mask32 = [&](llvm::Value* n) { return b_.CreateAnd(n, b_.getInt32(31)); };
    auto mask64 = [&](llvm::Value* n) { return b_.CreateAnd(n, b_.getInt64(63)); };
    switch (base) {
      case Op::i32_eqz:
        return set_bool(d, b_.CreateICmpEQ(a32(), b_.getInt32(0)));
      case Op::i64_eqz:
        return set_bool(d, b_.CreateICmpEQ(a64(), b_.getInt64(0)));
      case Op::i32_eq:
        return set_bool(d, b_.CreateICmpEQ(a32(), b32()));
      case Op::i32_ne:
        return set_bool(d, b_.CreateICmpNE(a32(), b32()));
      case Op::i32_lt_s:
        return set_bool(d, b_.CreateICmpSLT(a32(), b32()));
      case Op::i32_lt_u:
        return set_bool(d, b_.CreateICmpULT(a32(), b32()));
      case Op::i32_gt_s:
        return set_bool(d, b_.CreateICmpSGT(a32(), b32()));
      case Op::i32_gt_u:
        return set_bool(d, b_.CreateICmpUGT(a32(), b32()));
      case Op::i32_le_s:
        return set_bool(d, b_.CreateICmpSLE(a32(), b32()));
      case Op::i32_le_u:
        return set_bool(d, b_.CreateICmpULE(a32(), b32()));
      case Op::i32_ge_s:
        return set_bool(d, b_.CreateICmpSGE(a32(), b32()));
      case Op::i32_ge_u:
        return set_bool(d, b_.CreateICmpUGE(a32(), b32()));
      case Op::i64_eq:
        return set_bool(d, b_.CreateICmpEQ(a64(), b64()));
      case Op::i64_ne:
        return set_bool(d, b_.CreateICmpNE(a64(), b64()));
      case Op::i64_lt_s:
        return set_bool(d, b_.CreateICmpSLT(a64(), b64()));
      case Op::i64_lt_u:
        return set_bool(d, b_.CreateICmpULT(a64(), b64()));
      case Op::i64_gt_s:
        return set_bool(d, b_.CreateICmpSGT(a64(), b64()));
      case Op::i64_gt_u:
        return set_bool(d, b_.CreateICmpUGT(a64(), b64()));
      case Op::i64_le_s:
        return set_bool(d, b_.CreateICmpSLE(a64(), b64()));
      case Op::i64_le_u:
        return set_bool(d, b_.CreateICmpULE(a64(), b64()));
      case Op::i64_ge_s:
        return set_bool(d, b_.CreateICmpSGE(a64(), b64()));
      case Op::i64_ge_u:
        return set_bool(d, b_.CreateICmpUGE(a64(), b64()));
      case Op::f32_eq:
        return set_bool(d, b_.CreateFCmpOEQ(fa(), fb()));
      case Op::f32_ne:
        return set_bool(d, b_.CreateFCmpUNE(fa(), fb()));
      case Op::f32_lt:
        return set_bool(d, b_.CreateFCmpOLT(fa(), fb()));
      case Op::f32_gt:
        return set_bool(d, b_.CreateFCmpOGT(fa(), fb()));
      case Op::f32_le:
        return set_bool(d, b_.CreateFCmpOLE(fa(), fb()));
      case Op::f32_ge:
        return set_bool(d, b_.CreateFCmpOGE(fa(), fb()));
      case Op::f64_eq:
        return set_bool(d, b_.CreateFCmpOEQ(da(), db()));
      case Op::f64_ne:
        return set_bool(d, b_.CreateFCmpUNE(da(), db()));
      case Op::f64_lt:
        return set_bool(d, b_.CreateFCmpOLT(da(), db()));
      case Op::f64_gt:
        return set_bool(d, b_.CreateFCmpOGT(da(), db()));
      case Op::f64_le:
        return set_bool(d, b_.CreateFCmpOLE(da(), db()));
      case Op::f64_ge:
        return set_bool(d, b_.CreateFCmpOGE(da(), db()));
      case Op::i32_clz:
        return un32(In::ctlz);
      case Op::i32_ctz:
        return un32(In::cttz);
      case Op::i32_popcnt:
        return set32(d, intrinsic(In::ctpop, i32_, {a32()}));
      case Op::i32_add:
        return set32(d, b_.CreateAdd(a32(), b32()));
      case Op::i32_sub:
        return set32(d, b_.CreateSub(a32(), b32()));
      case Op::i32_mul:
        return set32(d, b_.CreateMul(a32(), b32()));
      case Op::i32_div_s:
      case Op::i32_div_u:
      case Op::i32_rem_s:
      case Op::i32_rem_u: {
        llvm::Value* a = a32();
        llvm::Value* bv = b32();
        return set32(d, divrem(base, a, bv, i32_));
      }
      case Op::i32_and:
        return set32(d, b_.CreateAnd(a32(), b32()));
      case Op::i32_or:
        return set32(d, b_.CreateOr(a32(), b32()));
      case Op::i32_xor:
        return set32(d, b_.CreateXor(a32(), b32()));
      case Op::i32_shl:
        return set32(d, b_.CreateShl(a32(), mask32(b32())));
      case Op::i32_shr_s:
        return set32(d, b_.CreateAShr(a32(), mask32(b32())));
      case Op::i32_shr_u:
        return set32(d, b_.CreateLShr(a32(), mask32(b32())));
      case Op::i32_rotl: {
        llvm::Value* a = a32();
        return set32(d, intrinsic(In::fshl, i32_, {a, a, b32()}));
      }
      case Op::i32_rotr: {
        llvm::Value* a = a32();
        return set32(d, intrinsic(In::fshr, i32_, {a, a, b32()}));
      }
      case Op::i64_clz:
        return un64(In::ctlz);
      case Op::i64_ctz:
        return un64(In::cttz);
      case Op::i64_popcnt:
        return set64(d, intrinsic(In::ctpop, i64_, {a64()}));
      case Op::i64_add:
        return set64(d, b_.CreateAdd(a64(), b64()));
      case Op::i64_sub:
        return set64(d, b_.CreateSub(a64(), b64()));
      case Op::i64_mul:
        return set64(d, b_.CreateMul(a64(), b64()));
      case Op::i64_div_s:
      case Op::i64_div_u:
      case Op::i64_rem_s:
      case Op::i64_rem_u: {
        llvm::Value* a = a64();
        llvm::Value* bv = b64();
        return set64(d, divrem(base, a, bv, i64_));
      }
      case Op::i64_and:
        return set64(d, b_.CreateAnd(a64(), b64()));
      case Op::i64_or:
        return set64(d, b_.CreateOr(a64(), b64()));
      case Op::i64_xor:
        return set64(d, b_.CreateXor(a64(), b64()));
      case Op::i64_shl:
        return set64(d, b_.CreateShl(a64(), mask64(b64())));
      case Op::i64_shr_s:
        return set64(d, b_.CreateAShr(a64(), mask64(b64())));
      case Op::i64_shr_u:
        return set64(d, b_.CreateLShr(a64(), mask64(b64())));
      case Op::i64_rotl: {
        llvm::Value* a = a64();
        return set64(d, intrinsic(In::fshl, i64_, {a, a, b64()}));
      }
      case Op::i64_rotr: {
        llvm::Value* a = a64();
        return set64(d, intrinsic(In::fshr, i64_, {a, a, b64()}));
      }
      case Op::f32_abs:
        return setf32(d, intrinsic(In::fabs, f32_, {fa()}));
      case Op::f32_neg:
        return setf32(d, b_.CreateFNeg(fa()));
      case Op::f32_ceil:
        return setq32(d, intrinsic(In::ceil, f32_, {fa()}));
      case Op::f32_floor:
        return setq32(d, intrinsic(In::floor, f32_, {fa()}));
      case Op::f32_trunc:
        return setq32(d, intrinsic(In::trunc, f32_, {fa()}));
      case Op::f32_nearest:
        return setq32(d, intrinsic(In::roundeven, f32_, {fa()}));
      case Op::f32_sqrt:
        return setq32(d, intrinsic(In::sqrt, f32_, {fa()}));
      case Op::f32_add:
        return setq32(d, b_.CreateFAdd(fa(), fb()));
      case Op::f32_sub:
        return setq32(d, b_.CreateFSub(fa(), fb()));
      case Op::f32_mul:
        return setq32(d, b_.CreateFMul(fa(), fb()));
      case Op::f32_div:
        return setq32(d, b_.CreateFDiv(fa(), fb()));
      case Op::f32_min:
        return setq32(d, intrinsic(In::minimum, f32_, {fa(), fb()}));
      case Op::f32_max:
        return setq32(d, intrinsic(In::maximum, f32_, {fa(), fb()}));
      case Op::f32_copysign:
        return setf32(d, intrinsic(In::copysign, f32_, {fa(), fb()}));
      case Op::f64_abs:
        return setf64(d, intrinsic(In::fabs, f64_, {da()}));
      case Op::f64_neg:
        return setf64(d, b_.CreateFNeg(da()));
      case Op::f64_ceil:
        return setq64(d, intrinsic(In::ceil, f64_, {da()}));
      case Op::f64_floor:
        return setq64(d, intrinsic(In::floor, f64_, {da()}));
      case Op::f64_trunc:
        return setq64(d, intrinsic(In::trunc, f64_, {da()}));
      case Op::f64_nearest:
        return setq64(d, intrinsic(In::roundeven, f64_, {da()}));
      case Op::f64_sqrt:
        return setq64(d, intrinsic(In::sqrt, f64_, {da()}));
      case Op::f64_add:
        return setq64(d, b_.CreateFAdd(da(), db()));
      case Op::f64_sub:
        return setq64(d, b_.CreateFSub(da(), db()));
      case Op::f64_mul:
        return setq64(d, b_.CreateFMul(da(), db()));
      case Op::f64_div:
        return setq64(d, b_.CreateFDiv(da(), db()));
      case Op::f64_min:
        return setq64(d, intrinsic(In::minimum, f64_, {da(), db()}));
      case Op::f64_max:
        return setq64(d, intrinsic(In::maximum, f64_, {da(), db()}));
      case Op::f64_copysign:
        return setf64(d, intrinsic(In::copysign, f64_, {da(), db()}));
      case Op::i32_wrap_i64:
        return set32(d, a32());
      case Op::i32_trunc_f32_s:
        return set32(d, trunc_checked(fa(), i32_, true, -2147483648.0, true, 2147483648.0));
      case Op::i32_trunc_f32_u:
        return set32(d, trunc_checked(fa(), i32_, false, -1.0, false, 4294967296.0));
      case Op::i32_trunc_f64_s:
        return set32(d, trunc_checked(da(), i32_, true, -2147483649.0, false, 2147483648.0));
      case Op::i32_trunc_f64_u:
        return set32(d, trunc_checked(da(), i32_, false, -1.0, false, 4294967296.0));
      case Op::i64_extend_i32_s:
        return set64(d, b_.CreateSExt(a32(), i64_));
      case Op::i64_trunc_f32_s:
        return set64(d, trunc_checked(fa(), i64_, true, -9223372036854775808.0, true,
                                      9223372036854775808.0));
      case Op::i64_trunc_f32_u:
        return set64(d, trunc_checked(fa(), i64_, false, -1.0, false, 18446744073709551616.0));
      case Op::i64_trunc_f64_s:
        return set64(d, trunc_checked(da(), i64_, true, -9223372036854775808.0, true,
                                      9223372036854775808.0));
      case Op::i64_trunc_f64_u:
        return set64(d, trunc_checked(da(), i64_, false, -1.0, false, 18446744073709551616.0));
      case Op::f32_convert_i32_s:
        return setf32(d, b_.CreateSIToFP(a32(), f32_));
      case Op::f32_convert_i32_u:
        return setf32(d, b_.CreateUIToFP(a32(), f32_));
      case Op::f32_convert_i64_s:
        return setf32(d, b_.CreateSIToFP(a64(), f32_));
      case Op::f32_convert_i64_u:
        return setf32(d, b_.CreateUIToFP(a64(), f32_));
      case Op::f32_demote_f64:
        return setq32(d, b_.CreateFPTrunc(da(), f32_));
      case Op::f64_convert_i32_s:
        return setf64(d, b_.CreateSIToFP(a32(), f64_));
      case Op::f64_convert_i32_u:
        return setf64(d, b_.CreateUIToFP(a32(), f64_));
      case Op::f64_convert_i64_s:
        return setf64(d, b_.CreateSIToFP(a64(), f64_));
      case Op::f64_convert_i64_u:
        return setf64(d, b_.CreateUIToFP(a64(), f64_));
      case Op::f64_promote_f32:
        return setq64(d, b_.CreateFPExt(fa(), f64_));
      case Op::i32_extend8_s:
        return set32(d, b_.CreateSExt(b_.CreateTrunc(a32(), i8_), i32_));
      case Op::i32_extend16_s:
        return set32(d, b_.CreateSExt(b_.CreateTrunc(a32(), b_.getInt16Ty()), i32_));
      case Op::i64_extend8_s:
        return set64(d, b_.CreateSExt(b_.CreateTrunc(a64(), i8_), i64_));
      case Op::i64_extend16_s:
        return set64(d, b_.CreateSExt(b_.CreateTrunc(a64(), b_.getInt16Ty()), i64_));
      case Op::i64_extend32_s:
        return set64(d, b_.CreateSExt(a32(), i64_));
      case Op::i32_trunc_sat_f32_s:
        return set32(d, intrinsic2(In::fptosi_sat, i32_, fa()));
      case Op::i32_trunc_sat_f32_u:
        return set32(d, intrinsic2(In::fptoui_sat, i32_, fa()));
      case Op::i32_trunc_sat_f64_s:
        return set32(d, intrinsic2(In::fptosi_sat, i32_, da()));
      case Op::i32_trunc_sat_f64_u:
        return set32(d, intrinsic2(In::fptoui_sat, i32_, da()));
      case Op::i64_trunc_sat_f32_s:
        return set64(d, intrinsic2(In::fptosi_sat, i64_, fa()));
      case Op::i64_trunc_sat_f32_u:
        return set64(d, intrinsic2(In::fptoui_sat, i64_, fa()));
      case Op::i64_trunc_sat_f64_s:
        return set64(d, intrinsic2(In::fptosi_sat, i64_, da()));
      case Op::i64_trunc_sat_f64_u:
        return set64(d, intrinsic2(In::fptoui_sat, i64_, da()));
      default:
        // can_translate() admitted only the ops above.
        b_.CreateBr(trap_block(TrapKind::Unreachable));
        return;
    }
  }
  llvm::Value* intrinsic2(llvm::Intrinsic::ID id, llvm::Type* to, llvm::Value* x) {
    return b_.CreateIntrinsic(id, {to, x->getType()}, {x});
  }

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  const detail::ModuleImpl& mod_;
  const std::vector<llvm::Function*>& bodies_;
  uint32_t index_;
  const detail::CompiledFunc& code_;
  const std::vector<Insn>& insns_;
  const bool guarded_;
  llvm::Function* f_ = nullptr;
  llvm::Value* ctx_arg_ = nullptr;
  std::vector<llvm::AllocaInst*> slots_;
  llvm::AllocaInst* mem_base_ = nullptr;
  llvm::AllocaInst* mem_size_ = nullptr;
  llvm::Value* globals_ = nullptr;
  llvm::Value* poll_flag_ = nullptr;
  // This function's frames_left: the caller's less the frame it takes.
  llvm::Value* frames_self_ = nullptr;
  std::map<TrapKind, llvm::BasicBlock*> traps_;
  llvm::Type *i8_, *i32_, *i64_, *f32_, *f64_, *ptr_;
};

}  // namespace

// Register-code words (about 3 per wasm instruction) above which a
// function is not translated. LLVM's time grows faster than a function's
// size, but the batch time cap (compiler.cpp) now bounds what that costs,
// and real programs keep hot code in large functions: at 5000 words the
// regex and serde_json cores of bench/rust's logscan stayed interpreted and
// it ran 9.7x native; at 50000 words, 2.1x (its compile: 8.6 s -> 17.7 s
// on two threads).
constexpr size_t kMaxTranslatedWords = 50000;
// Frame slots (params, locals, operand stack) above which a function is not
// translated: each is an alloca that SROA and mem2reg must place.
constexpr uint32_t kMaxTranslatedSlots = 2000;

namespace {

// Whether the machine's result of `v` is already quiet when it is a NaN:
// the IEEE arithmetic operations (on x86 SSE and on AArch64 alike), not
// min/max (x86's minsd returns an operand as it is), loads or selects, and
// not conversions: the code generator folds demote(promote(x)) to x.
bool quiets_nans(const llvm::Value* v) {
  const auto* inst = llvm::dyn_cast<llvm::Instruction>(v);
  if (inst == nullptr) return false;
  switch (inst->getOpcode()) {
    case llvm::Instruction::FAdd:
    case llvm::Instruction::FSub:
    case llvm::Instruction::FMul:
    case llvm::Instruction::FDiv:
      return true;
    default:
      break;
  }
  if (const auto* call = llvm::dyn_cast<llvm::IntrinsicInst>(inst)) {
    switch (call->getIntrinsicID()) {
      case llvm::Intrinsic::sqrt:
      case llvm::Intrinsic::ceil:
      case llvm::Intrinsic::floor:
      case llvm::Intrinsic::trunc:
      case llvm::Intrinsic::roundeven:
        return true;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

void lower_canonicalize(llvm::Module& m) {
  std::vector<llvm::IntrinsicInst*> calls;
  for (llvm::Function& f : m)
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& inst : bb)
        if (auto* call = llvm::dyn_cast<llvm::IntrinsicInst>(&inst))
          if (call->getIntrinsicID() == llvm::Intrinsic::canonicalize) calls.push_back(call);
  for (llvm::IntrinsicInst* call : calls) {
    llvm::Value* x = call->getArgOperand(0);
    llvm::Value* quieted = x;
    if (!quiets_nans(x)) {
      // x | quiet bit when x is a NaN (scalars and the vectors LLVM may
      // have made of them alike).
      llvm::IRBuilder<> b(call);
      llvm::Type* t = x->getType();
      llvm::Type* scalar = t->getScalarType();
      const bool wide = scalar->isDoubleTy();
      llvm::Type* int_scalar = wide ? b.getInt64Ty() : b.getInt32Ty();
      llvm::Type* it = t->isVectorTy()
                           ? static_cast<llvm::Type*>(llvm::VectorType::get(
                                 int_scalar, llvm::cast<llvm::VectorType>(t)->getElementCount()))
                           : int_scalar;
      llvm::Value* bits = b.CreateBitCast(x, it);
      llvm::Value* q = b.CreateOr(
          bits, llvm::ConstantInt::get(it, wide ? uint64_t{1} << 51 : uint64_t{1} << 22));
      quieted = b.CreateBitCast(b.CreateSelect(b.CreateFCmpUNO(x, x), q, bits), t);
    }
    call->replaceAllUsesWith(quieted);
    call->eraseFromParent();
  }
}

bool over_size_cut_off(const detail::ModuleImpl& mod, uint32_t defined_index) {
  const detail::CompiledFunc* code = mod.code[defined_index].get();
  return code->code.size() > kMaxTranslatedWords || code->frame_size > kMaxTranslatedSlots;
}

const std::vector<uint32_t>& kept_interpreted() {
  static const std::vector<uint32_t> funcs = [] {
    std::vector<uint32_t> out;
    const char* env = std::getenv("WEFT_TIER_INTERPRET");
    if (env == nullptr) return out;
    std::string_view rest(env);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      uint32_t index = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
      if (ec == std::errc() && end == item.data() + item.size()) {
        out.push_back(index);
      } else {
        std::fprintf(stderr, "weft: warning: WEFT_TIER_INTERPRET: '%.*s' is no function index\n",
                     static_cast<int>(item.size()), item.data());
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }();
  return funcs;
}

std::vector<uint32_t> translatable_functions(const detail::ModuleImpl& mod,
                                             std::vector<uint32_t>* too_big) {
  std::vector<uint32_t> out;
  if (op_table().ambiguous()) return out;
  const uint32_t defined = mod.decl.defined_func_count();
  const std::vector<uint32_t>& kept = kept_interpreted();
  for (uint32_t i = 0; i < defined; ++i) {
    const detail::CompiledFunc* code = mod.code[i].get();
    if (code == nullptr) continue;
    if (std::binary_search(kept.begin(), kept.end(), mod.decl.funcs_imported + i)) continue;
    // A huge function (an interpreter loop, generated tables, a module
    // built to be slow to compile) would hold up the whole module's
    // compile: it stays interpreted.
    if (over_size_cut_off(mod, i)) {
      if (too_big != nullptr) too_big->push_back(i);
      continue;
    }
    std::optional<std::vector<Insn>> decoded = decode(*code);
    if (decoded) out.push_back(i);
  }
  return out;
}

std::string native_symbol(uint32_t defined_index) {
  return "weft_f" + std::to_string(defined_index);
}

namespace {

// A function's body: (ctx, the caller's frames_left, its arguments) -> its
// results. A 32-bit value (i32, f32 as its bits) is an i32, anything else
// an i64 in slot encoding; several results come back as a struct (which the
// code generator returns in memory when they do not fit in registers).
llvm::FunctionType* body_type(llvm::LLVMContext& c, const FuncType& type) {
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  std::vector<llvm::Type*> params{llvm::PointerType::get(c, 0), i64};
  for (ValType t : type.params) params.push_back(register_type(c, t));
  std::vector<llvm::Type*> results;
  for (ValType t : type.results) results.push_back(register_type(c, t));
  llvm::Type* ret = results.empty()       ? llvm::Type::getVoidTy(c)
                    : results.size() == 1 ? results[0]
                                          : llvm::StructType::get(c, results);
  return llvm::FunctionType::get(ret, params, false);
}

// The entry from C++ (NativeEntry): arguments from the slots, the body,
// results to the slots; frames_left as it was.
void emit_entry(llvm::Module& m, llvm::Function* body, const FuncType& type,
                const std::string& name) {
  llvm::LLVMContext& c = m.getContext();
  llvm::Type* ptr = llvm::PointerType::get(c, 0);
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  auto* f =
      llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(c), {ptr, ptr}, false),
                             llvm::Function::ExternalLinkage, name, m);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", f));
  llvm::Value* ctx = f->getArg(0);
  llvm::Value* slots = f->getArg(1);
  llvm::Value* frames_field =
      b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), ctx, offsetof(NativeContext, frames_left));
  llvm::Value* frames = b.CreateLoad(i64, frames_field);
  std::vector<llvm::Value*> args{ctx, frames};
  for (uint32_t i = 0; i < type.params.size(); ++i)
    args.push_back(to_register(b, b.CreateLoad(i64, b.CreateConstInBoundsGEP1_64(i64, slots, i)),
                               body->getFunctionType()->getParamType(2 + i)));
  llvm::CallInst* call = b.CreateCall(body, args);
  call->setCallingConv(body->getCallingConv());
  b.CreateStore(frames, frames_field);
  for (uint32_t i = 0; i < type.results.size(); ++i)
    b.CreateStore(to_slot(b, type.results.size() == 1 ? call : b.CreateExtractValue(call, {i})),
                  b.CreateConstInBoundsGEP1_64(i64, slots, i));
  b.CreateRetVoid();
}

}  // namespace

void translate_functions(llvm::Module& m, const detail::ModuleImpl& mod,
                         std::span<const uint32_t> funcs, bool guarded) {
  const uint32_t defined = mod.decl.defined_func_count();
  std::vector<std::optional<std::vector<Insn>>> decoded(defined);
  std::vector<llvm::Function*> bodies(defined, nullptr);
  llvm::LLVMContext& ctx = m.getContext();
  auto type_of = [&](uint32_t i) -> const FuncType& {
    return *mod.interned_types[mod.decl.func_types[mod.decl.funcs_imported + i]];
  };
  // Declared first: calls between the functions given are direct, to the
  // body, with arguments and results in registers; calls to any other
  // function go through weft_native_call. Only the entries are symbols.
  for (uint32_t i : funcs) {
    decoded[i] = decode(*mod.code[i]);
    bodies[i] = llvm::Function::Create(body_type(ctx, type_of(i)), llvm::Function::InternalLinkage,
                                       native_symbol(i) + ".body", m);
    bodies[i]->setCallingConv(llvm::CallingConv::Fast);
    bodies[i]->addFnAttr(llvm::Attribute::NoUnwind);
    // The context is always there: its constant fields may be loaded again
    // anywhere (rematerialized) rather than kept in registers.
    bodies[i]->addDereferenceableParamAttr(0, sizeof(NativeContext));
    bodies[i]->addParamAttr(0, llvm::Attribute::NonNull);
  }
  for (uint32_t i : funcs) {
    FunctionTranslator t(m, mod, bodies, mod.decl.funcs_imported + i, *mod.code[i], *decoded[i],
                         guarded);
    t.run(bodies[i]);
    emit_entry(m, bodies[i], type_of(i), native_symbol(i));
  }
}

}  // namespace weft::native
