// The dispatch loop: threaded code (GCC computed goto) over the register-style
// internal code of code.h.
//
// Wasm→wasm calls do not recurse on the C++ stack: activations live in an
// explicit frame array and value stack owned by the store (State below).
// Host→wasm re-entry recurses through invoke(), bounded by
// StoreImpl::host_call_depth.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "wasm/interp/code.h"

namespace weft::interp {
namespace {

using detail::CatchClause;
using detail::CompiledFunc;
using detail::ExnInst;
using detail::FuncInst;
using detail::GlobalInst;
using detail::InstanceImpl;
using detail::MemoryInst;
using detail::StoreImpl;
using detail::TableInst;
using detail::TagInst;
using detail::TryHandler;

constexpr size_t kStackSlots = size_t{1} << 20;  // 8 MiB of value stack per store
constexpr uint32_t kMaxFrames = 1u << 20;
constexpr uint32_t kMaxHostDepth = 200;  // nested wasm → host → wasm re-entries

struct Frame {
  const uint32_t* ret_pc;  // where the caller resumes; nullptr = back to C++
  uint64_t* fp;            // this activation's slots
  FuncInst* func;          // the running function
};

struct State {
  std::unique_ptr<uint64_t[]> stack;
  uint64_t* stack_end = nullptr;
  std::unique_ptr<Frame[]> frames;
  Frame* frames_end = nullptr;
  // First free slot/frame: where a nested invoke (host → wasm) starts.
  uint64_t* stack_top = nullptr;
  Frame* frame_top = nullptr;
};

State& state_of(StoreImpl& store) {
  if (store.interp_state == nullptr) {
    auto* st = new State;
    // Uninitialised on purpose: large allocations are mapped lazily, so a
    // store only pays for the stack it touches.
    st->stack.reset(new uint64_t[kStackSlots]);
    st->stack_end = st->stack.get() + kStackSlots;
    uint32_t nframes =
        std::min<uint32_t>(std::max<uint32_t>(store.limits.max_call_depth, 1), kMaxFrames);
    st->frames.reset(new Frame[nframes]);
    st->frames_end = st->frames.get() + nframes;
    st->stack_top = st->stack.get();
    st->frame_top = st->frames.get();
    store.interp_state = st;
    store.interp_state_free = [](void* p) { delete static_cast<State*>(p); };
  }
  return *static_cast<State*>(store.interp_state);
}

inline float f32(uint64_t s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
inline double f64(uint64_t s) { return std::bit_cast<double>(s); }
inline uint64_t b32(float f) { return std::bit_cast<uint32_t>(f); }
inline uint64_t b64(double d) { return std::bit_cast<uint64_t>(d); }

template <class F>
inline F wasm_min(F a, F b) {
  if (a != a || b != b) return a + b;  // a quiet NaN
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <class F>
inline F wasm_max(F a, F b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// Rounding functions may pass a signalling NaN through; wasm wants it quiet.
template <class F, class Fn>
inline F round_op(F x, Fn fn) {
  if (x != x) return x + x;
  return fn(x);
}

template <class I, class F>
inline I sat_signed(F x) {
  constexpr F lo = -static_cast<F>(uint64_t{1} << (sizeof(I) * 8 - 1));
  constexpr F hi = static_cast<F>(uint64_t{1} << (sizeof(I) * 8 - 1));
  if (x != x) return 0;
  if (x < lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}
template <class U, class F>
inline U sat_unsigned(F x) {
  constexpr F hi =
      sizeof(U) == 8 ? static_cast<F>(18446744073709551616.0) : static_cast<F>(4294967296.0);
  if (x != x || x <= 0) return 0;
  if (x >= hi) return std::numeric_limits<U>::max();
  return static_cast<U>(x);
}

std::string func_name(const FuncInst* f) {
  if (f->instance == nullptr || f->instance->mod == nullptr) return {};
  const auto& names = f->instance->mod->decl.names.function_names;
  auto it = names.find(f->func_index);
  return it == names.end() ? std::string() : it->second;
}

void append_backtrace(Trap& trap, const Frame* innermost, const Frame* outermost) {
  for (const Frame* f = innermost; f >= outermost; --f) {
    FrameInfo info;
    info.func_index = f->func->func_index;
    info.func_name = func_name(f->func);
    if (f->func->instance && f->func->instance->mod) {
      info.module_name = f->func->instance->mod->decl.names.module_name;
    }
    trap.backtrace.push_back(std::move(info));
  }
}

// Calls a host function with arguments/results in slot encoding at `slots`.
Result<void> call_host(StoreImpl& store, FuncInst* func, InstanceImpl* caller_instance,
                       uint64_t* slots) {
  const FuncType& type = *func->type;
  const size_t np = type.params.size(), nr = type.results.size();
  Value small_args[8], small_results[8];
  std::vector<Value> big_args, big_results;
  Value* args = small_args;
  Value* results = small_results;
  if (np > 8) {
    big_args.resize(np);
    args = big_args.data();
  }
  if (nr > 8) {
    big_results.resize(nr);
    results = big_results.data();
  }
  for (size_t i = 0; i < np; ++i) args[i] = Value{type.params[i], slots[i]};
  for (size_t i = 0; i < nr; ++i) results[i] = Value{type.results[i], 0};
  if (store.owner == nullptr)
    return Error::make_trap(TrapKind::HostError, "host call without a store");
  ++store.host_calls;
  Caller caller(*store.owner, caller_instance);
  Result<void> r =
      (*func->host)(caller, std::span<const Value>(args, np), std::span<Value>(results, nr));
  if (!r) {
    Error e = std::move(r).error();
    if (e.is_trap()) return e;
    return Error::make_trap(TrapKind::HostError, e.message.empty() ? "host error" : e.message);
  }
  for (size_t i = 0; i < nr; ++i) slots[i] = results[i].bits;
  return {};
}

// Exception handling, out of line so that the dispatch loop pays nothing for
// it until something throws.
// Exceptions live as long as their store (an exnref may be kept anywhere),
// so each counts against the store's memory cap: a guest throwing in a loop
// meets the cap (null: the trap) instead of growing the host without bound.
}  // namespace

__attribute__((noinline)) ExnInst* new_exception(StoreImpl& store, TagInst* tag,
                                                 const uint64_t* values) {
  const uint64_t bytes = sizeof(ExnInst) + tag->type->params.size() * sizeof(uint64_t);
  const uint64_t cap = store.limits.max_memory_bytes;
  if (store.memory_bytes_in_use > cap || bytes > cap - store.memory_bytes_in_use) return nullptr;
  store.memory_bytes_in_use += bytes;
  ExnInst& e = store.exceptions.emplace_back();
  e.tag = tag;
  e.store = &store;
  e.values.assign(values, values + tag->type->params.size());
  return &e;
}

namespace {

// The innermost catch clause that takes `exn` thrown at code word `at` of
// frame `fr`, searching outwards through the callers down to `entry` (the
// frame this execute() started with). On a hit, `fr` becomes the frame that
// catches.
__attribute__((noinline)) const CatchClause* find_handler(Frame*& fr, const Frame* entry,
                                                          const uint32_t* at, const ExnInst* exn) {
  for (Frame* f = fr;;) {
    const CompiledFunc* code = f->func->code;
    const size_t pos = static_cast<size_t>(at - code->code.data());
    const size_t nh = code->handlers.size();
    for (size_t i = 0; i < nh;) {
      const TryHandler& h = code->handlers[i];
      if (pos < h.begin || pos >= h.end) {
        ++i;
        continue;
      }
      size_t next = i + 1;
      for (uint32_t k = 0; k < h.count; ++k) {
        const CatchClause& c = code->catches[h.first + k];
        if (c.kind == CatchClause::kDelegate) {
          next = c.target == CatchClause::kReturn ? nh : c.target;
          break;
        }
        if (c.kind == CatchClause::kCatchAll || c.kind == CatchClause::kCatchAllRef ||
            f->func->instance->tags[c.tag] == exn->tag) {
          fr = f;
          return &c;
        }
      }
      i = next;
    }
    if (f == entry || f->ret_pc == nullptr) return nullptr;
    at = f->ret_pc - 1;  // inside the caller's call instruction
    --f;
  }
}

// Memories other than memory 0 (multi-memory): the one memory_m handler in
// execute() calls this, out of line, so that the dispatch loop and memory 0's
// handlers (the hot path, with memory 0's base and size in locals) compile
// as they would without multi-memory. Every access is checked against the
// size of the memory it names, a copy against both. Returns the
// instruction's length in words, 0 for an out-of-bounds trap.
}  // namespace

__attribute__((noinline)) uint32_t run_memory_m(const InstanceImpl* inst, const uint32_t* pc,
                                                uint64_t* fp) {
  const Op sub = static_cast<Op>(pc[1]);
  MemoryInst* m = inst->memories[pc[2]];
  const uint32_t* o = pc + 2;  // o[1..] are sub's operands, as pc[1..] would be
  auto slot = [&](uint32_t i) -> uint64_t& { return fp[o[i]]; };
  auto load = [&]<class T>(T, auto convert) -> uint32_t {
    const uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(slot(2) + o[3])) + o[4];
    if (ea + sizeof(T) > m->size_bytes) return 0;
    T v;
    std::memcpy(&v, m->base + ea, sizeof(T));
    slot(1) = convert(v);
    return 7;
  };
  auto store = [&]<class T>(T) -> uint32_t {
    const uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(slot(1) + o[3])) + o[4];
    if (ea + sizeof(T) > m->size_bytes) return 0;
    const T v = static_cast<T>(slot(2));
    std::memcpy(m->base + ea, &v, sizeof(T));
    return 7;
  };
  auto u32 = [](auto v) -> uint64_t { return static_cast<uint32_t>(static_cast<int32_t>(v)); };
  auto u64 = [](auto v) -> uint64_t { return static_cast<uint64_t>(static_cast<int64_t>(v)); };
  auto same = [](auto v) -> uint64_t { return v; };
  switch (sub) {
    case Op::i32_load:
      return load(uint32_t{}, same);
    case Op::i64_load:
      return load(uint64_t{}, same);
    case Op::i32_load8_s:
      return load(int8_t{}, u32);
    case Op::i32_load8_u:
      return load(uint8_t{}, same);
    case Op::i32_load16_s:
      return load(int16_t{}, u32);
    case Op::i32_load16_u:
      return load(uint16_t{}, same);
    case Op::i64_load8_s:
      return load(int8_t{}, u64);
    case Op::i64_load8_u:
      return load(uint8_t{}, same);
    case Op::i64_load16_s:
      return load(int16_t{}, u64);
    case Op::i64_load16_u:
      return load(uint16_t{}, same);
    case Op::i64_load32_s:
      return load(int32_t{}, u64);
    case Op::i64_load32_u:
      return load(uint32_t{}, same);
    case Op::i32_store:
      return store(uint32_t{});
    case Op::i64_store:
      return store(uint64_t{});
    case Op::i32_store8:
      return store(uint8_t{});
    case Op::i32_store16:
      return store(uint16_t{});
    case Op::i64_store8:
      return store(uint8_t{});
    case Op::i64_store16:
      return store(uint16_t{});
    case Op::i64_store32:
      return store(uint32_t{});
    case Op::memory_size:
      slot(1) = m->size_bytes >> 16;
      return 4;
    case Op::memory_grow: {
      const uint64_t r = m->grow(static_cast<uint32_t>(slot(2)));
      slot(1) = r == std::numeric_limits<uint64_t>::max() ? 0xFFFFFFFFu : static_cast<uint32_t>(r);
      return 5;
    }
    case Op::memory_init: {
      const uint32_t seg = o[1];
      const uint64_t d = static_cast<uint32_t>(slot(2));
      const uint64_t s = static_cast<uint32_t>(slot(3));
      const uint64_t n = static_cast<uint32_t>(slot(4));
      const auto& datas = inst->mod->decl.datas;
      const bool dropped =
          seg >= datas.size() || (seg < inst->data_dropped.size() && inst->data_dropped[seg]);
      const uint64_t seg_size = dropped ? 0 : datas[seg].init.size();
      if (s + n > seg_size || d + n > m->size_bytes) return 0;
      if (n) std::memcpy(m->base + d, inst->mod->decl.bytes.data() + datas[seg].init.begin + s, n);
      return 7;
    }
    case Op::memory_copy: {
      MemoryInst* src = inst->memories[pc[3]];
      o = pc + 3;
      const uint64_t d = static_cast<uint32_t>(slot(1));
      const uint64_t s = static_cast<uint32_t>(slot(2));
      const uint64_t n = static_cast<uint32_t>(slot(3));
      if (d + n > m->size_bytes || s + n > src->size_bytes) return 0;
      // memmove: the two indices may name one memory.
      if (n) std::memmove(m->base + d, src->base + s, n);
      return 7;
    }
    case Op::memory_fill: {
      const uint64_t d = static_cast<uint32_t>(slot(1));
      const uint8_t v = static_cast<uint8_t>(slot(2));
      const uint64_t n = static_cast<uint32_t>(slot(3));
      if (d + n > m->size_bytes) return 0;
      if (n) std::memset(m->base + d, v, n);
      return 6;
    }
    default:
      return 0;  // the compiler emits no other sub
  }
}

namespace {

// Runs `entry` (a wasm function) with its arguments at `entry_fp`; results
// land at entry_fp[0..]. With store == nullptr, only reports the handler
// table through `table_out`.
__attribute__((noinline)) Result<void> execute(StoreImpl* store, State* st, FuncInst* entry,
                                               uint64_t* entry_fp, const int32_t** table_out) {
#define WEFT_HANDLER_OFFSET(name)                                  \
  static_cast<int32_t>(reinterpret_cast<const char*>(&&L_##name) - \
                       reinterpret_cast<const char*>(&&L_unreachable)),
#define WEFT_HANDLER_OFFSET_IMM(name)                                    \
  static_cast<int32_t>(reinterpret_cast<const char*>(&&L_##name##_imm) - \
                       reinterpret_cast<const char*>(&&L_unreachable)),
#define WEFT_HANDLER_OFFSET_NUM(code, name, form, in, out) WEFT_HANDLER_OFFSET(name)
  static const int32_t kOffsets[] = {WEFT_INTERP_CONTROL_OPS(WEFT_HANDLER_OFFSET)
                                         WEFT_INTERP_I32_IMM_OPS(WEFT_HANDLER_OFFSET_IMM)
                                             WEFT_INTERP_I64_IMM_OPS(WEFT_HANDLER_OFFSET_IMM)
                                                 WEFT_NUMERIC_OPS(WEFT_HANDLER_OFFSET_NUM)};
#undef WEFT_HANDLER_OFFSET
#undef WEFT_HANDLER_OFFSET_IMM
#undef WEFT_HANDLER_OFFSET_NUM
  static_assert(sizeof(kOffsets) / sizeof(kOffsets[0]) == static_cast<size_t>(Op::kCount));
  if (store == nullptr) {
    *table_out = kOffsets;
    return {};
  }

  const char* const dispatch_base = reinterpret_cast<const char*>(&&L_unreachable);
  const std::atomic<bool>* const interrupt = store->interrupt.get();
  const bool fuel_on = store->fuel_enabled;

  Frame* const entry_frame = st->frame_top;
  Frame* fr = entry_frame;
  uint64_t* fp = entry_fp;
  const uint32_t* pc = nullptr;
  FuncInst* callee = nullptr;
  uint64_t* new_fp = nullptr;
  InstanceImpl* inst = nullptr;
  GlobalInst* const* globals = nullptr;
  FuncInst* const* funcs = nullptr;
  MemoryInst* mem = nullptr;
  uint8_t* mem_base = nullptr;
  uint64_t mem_size = 0;
  TrapKind trap_kind = TrapKind::Unreachable;
  const char* trap_msg = nullptr;
  Error host_error;
  ExnInst* exn = nullptr;              // being thrown
  const uint32_t* throw_pc = nullptr;  // where, in frame fr

#define NEXT() goto* static_cast<const void*>(dispatch_base + static_cast<int32_t>(*pc))
#define S(i) fp[pc[i]]
#define TRAP(kind)              \
  do {                          \
    trap_kind = TrapKind::kind; \
    trap_msg = nullptr;         \
    goto trap;                  \
  } while (0)
#define TRAP_MSG(kind, msg)     \
  do {                          \
    trap_kind = TrapKind::kind; \
    trap_msg = msg;             \
    goto trap;                  \
  } while (0)
#define POLL()                                                                              \
  do {                                                                                      \
    if (__builtin_expect(interrupt->load(std::memory_order_relaxed), 0)) TRAP(Interrupted); \
    if (__builtin_expect(fuel_on, 0)) {                                                     \
      if (store->fuel == 0) TRAP(OutOfFuel);                                                \
      --store->fuel;                                                                        \
    }                                                                                       \
  } while (0)
#define JUMP(word)                                   \
  do {                                               \
    const int32_t off_ = static_cast<int32_t>(word); \
    pc += off_;                                      \
    if (off_ <= 0) {                                 \
      POLL();                                        \
      warm(*fr->func->code);                         \
    }                                                \
    NEXT();                                          \
  } while (0)
#define LOAD_INSTANCE()                                         \
  do {                                                          \
    globals = inst->globals.data();                             \
    funcs = inst->funcs.data();                                 \
    mem = inst->memories.empty() ? nullptr : inst->memories[0]; \
    mem_base = mem ? mem->base : nullptr;                       \
    mem_size = mem ? mem->size_bytes : 0;                       \
  } while (0)
#define RELOAD_MEM()                     \
  do {                                   \
    if (mem) mem_size = mem->size_bytes; \
  } while (0)

  // ---- entry ----
  // No frame of this invocation exists yet (fr is one past the end when a
  // host function called back with every frame used): trap without one.
  if (fr >= st->frames_end) return Error::make_trap(TrapKind::StackExhausted);
  callee = entry;
  new_fp = entry_fp;
  pc = nullptr;  // the entry frame returns to C++
  goto enter_wasm;

L_unreachable:
  TRAP(Unreachable);

L_br:
  JUMP(pc[1]);
L_br_if:
  if (static_cast<uint32_t>(S(1)) != 0) JUMP(pc[2]);
  pc += 3;
  NEXT();
L_br_unless:
  if (static_cast<uint32_t>(S(1)) == 0) JUMP(pc[2]);
  pc += 3;
  NEXT();
L_br_table : {
  uint32_t i = static_cast<uint32_t>(S(1));
  const uint32_t n = pc[2];
  if (i > n) i = n;
  JUMP(pc[3 + i]);
}
L_ret : {
  const uint32_t* rp = fr->ret_pc;
  if (rp == nullptr) goto done;
  --fr;
  fp = fr->fp;
  pc = rp;
  if (fr->func->instance != inst) {
    inst = fr->func->instance;
    LOAD_INSTANCE();
  } else {
    RELOAD_MEM();
  }
  NEXT();
}
L_call:
  callee = funcs[pc[1]];
  new_fp = fp + pc[2];
  pc += 3;
  goto do_call;
L_call_indirect : {
  TableInst* table = inst->tables[pc[2]];
  const uint32_t i = static_cast<uint32_t>(S(3));
  if (i >= table->elements.size()) TRAP_MSG(UninitializedElement, "undefined element");
  const uint64_t ref = table->elements[i];
  if (ref == 0) TRAP(UninitializedElement);
  callee = reinterpret_cast<FuncInst*>(ref);
  if (callee->type_id != inst->mod->type_ids[pc[1]]) TRAP(IndirectCallTypeMismatch);
  new_fp = fp + pc[4];
  pc += 5;
  goto do_call;
}
do_call:
  if (callee->is_host()) {
    const FuncType& type = *callee->type;
    st->stack_top = new_fp + std::max(type.params.size(), type.results.size());
    st->frame_top = fr + 1;
    {  // scoped: clang forbids an indirect goto past a live Result's destructor
      Result<void> r = call_host(*store, callee, inst, new_fp);
      if (!r) {
        host_error = std::move(r).error();
        goto call_failed;
      }
    }
    RELOAD_MEM();
    NEXT();
  }
enter_wasm : {
  const CompiledFunc* code = callee->code;
  const detail::NativeFunc* native = code->native.load(std::memory_order_acquire);
  // Code without bounds checks needs a guard region the instance's memory
  // may lack (its reservation failed): then the function runs here.
  if (native != nullptr && native->needs_guarded_memory &&
      !callee->instance->memories[0]->guarded())
    native = nullptr;
  if (native != nullptr) {
    // Machine code from the optimizing tier: called as a host function is,
    // its slots above this frame's. It takes a frame as interpreted code
    // does, so that both tiers exhaust the stack at the same depth.
    const FuncType& type = *callee->type;
    const bool first_entry = fr == entry_frame && pc == nullptr;
    Frame* next = first_entry ? fr : fr + 1;
    if (next >= st->frames_end) {
      if (first_entry) return Error::make_trap(TrapKind::StackExhausted);
      TRAP(StackExhausted);
    }
    st->stack_top = new_fp + std::max(type.params.size(), type.results.size());
    st->frame_top = next + 1;
    const size_t frames_left = static_cast<size_t>(st->frames_end - next - 1);
    bool failed = false;
    {  // scoped: clang forbids an indirect goto past a live Result's destructor
      Result<void> r = native->invoke(*native, *store, callee, new_fp, frames_left);
      if (first_entry) return r;
      if (!r) {
        failed = true;
        host_error = std::move(r).error();
      }
    }
    if (failed) goto call_failed;
    RELOAD_MEM();
    NEXT();
  }
  const bool first_entry = fr == entry_frame && pc == nullptr;
  Frame* next = first_entry ? fr : fr + 1;
  if (next >= st->frames_end || static_cast<size_t>(st->stack_end - new_fp) < code->frame_size) {
    // This invocation has no frame yet (a host function called back into
    // wasm with the frames full): the slot at fr is past the end or an
    // earlier call's, so the trap reports no frames of its own.
    if (first_entry) return Error::make_trap(TrapKind::StackExhausted);
    TRAP(StackExhausted);
  }
  warm(*code);
  next->ret_pc = pc;
  next->fp = new_fp;
  next->func = callee;
  fr = next;
  fp = new_fp;
  for (uint32_t i = 0, n = code->num_locals; i < n; ++i) fp[code->num_params + i] = 0;
  if (callee->instance != inst) {
    inst = callee->instance;
    LOAD_INSTANCE();
  }
  POLL();
  pc = code->code.data();
  NEXT();
}

L_throw_tag:
  exn = new_exception(*store, inst->tags[pc[1]], fp + pc[2]);
  if (exn == nullptr) TRAP(MemoryLimit);
  throw_pc = pc;
  goto do_throw;
L_throw_ref:
  exn = reinterpret_cast<ExnInst*>(S(1));
  if (exn == nullptr) TRAP(NullReference);
  throw_pc = pc;
  goto do_throw;
do_throw : {
  Frame* f = fr;
  const CatchClause* c = find_handler(f, entry_frame, throw_pc, exn);
  if (c == nullptr) {
    Error err = Error::make_trap(TrapKind::UncaughtException);
    err.trap->exception = reinterpret_cast<uint64_t>(exn);
    append_backtrace(*err.trap, fr, entry_frame);
    return err;
  }
  fr = f;
  fp = f->fp;
  inst = f->func->instance;
  LOAD_INSTANCE();
  if (c->kind == CatchClause::kCatch || c->kind == CatchClause::kCatchRef) {
    std::copy(exn->values.begin(), exn->values.end(), fp + c->dest);
  }
  if (c->exn_dest != CatchClause::kNoSlot) fp[c->exn_dest] = reinterpret_cast<uint64_t>(exn);
  if (c->target == CatchClause::kReturn) goto L_ret;
  pc = f->func->code->code.data() + c->target;
  NEXT();
}

L_copy:
  S(1) = S(2);
  pc += 3;
  NEXT();
L_const32:
  S(1) = pc[2];
  pc += 3;
  NEXT();
L_const64:
  S(1) = pc[2] | (static_cast<uint64_t>(pc[3]) << 32);
  pc += 4;
  NEXT();
L_select:
  S(1) = static_cast<uint32_t>(S(4)) ? S(2) : S(3);
  pc += 5;
  NEXT();
L_global_get:
  S(1) = globals[pc[2]]->bits;
  pc += 3;
  NEXT();
L_global_set:
  globals[pc[1]]->bits = S(2);
  pc += 3;
  NEXT();
L_ref_is_null:
  S(1) = S(2) == 0 ? 1 : 0;
  pc += 3;
  NEXT();
L_ref_func:
  S(1) = reinterpret_cast<uint64_t>(funcs[pc[2]]);
  pc += 3;
  NEXT();

  // ---- tables ----
L_table_get : {
  TableInst* t = inst->tables[pc[2]];
  const uint32_t i = static_cast<uint32_t>(S(3));
  if (i >= t->elements.size()) TRAP(TableOutOfBounds);
  S(1) = t->elements[i];
  pc += 4;
  NEXT();
}
L_table_set : {
  TableInst* t = inst->tables[pc[1]];
  const uint32_t i = static_cast<uint32_t>(S(2));
  if (i >= t->elements.size()) TRAP(TableOutOfBounds);
  t->elements[i] = S(3);
  pc += 4;
  NEXT();
}
L_table_size:
  S(1) = static_cast<uint32_t>(inst->tables[pc[2]]->elements.size());
  pc += 3;
  NEXT();
L_table_grow : {
  TableInst* t = inst->tables[pc[2]];
  const uint64_t init = S(3);
  const uint32_t n = static_cast<uint32_t>(S(4));
  S(1) = t->grow(n, init);
  pc += 5;
  NEXT();
}
L_table_fill : {
  TableInst* t = inst->tables[pc[1]];
  const uint64_t i = static_cast<uint32_t>(S(2));
  const uint64_t v = S(3);
  const uint64_t n = static_cast<uint32_t>(S(4));
  if (i + n > t->elements.size()) TRAP(TableOutOfBounds);
  std::fill_n(t->elements.begin() + i, n, v);
  pc += 5;
  NEXT();
}
L_table_copy : {
  TableInst* dt = inst->tables[pc[1]];
  TableInst* srct = inst->tables[pc[2]];
  const uint64_t d = static_cast<uint32_t>(S(3));
  const uint64_t s = static_cast<uint32_t>(S(4));
  const uint64_t n = static_cast<uint32_t>(S(5));
  if (d + n > dt->elements.size() || s + n > srct->elements.size()) TRAP(TableOutOfBounds);
  if (n) std::memmove(dt->elements.data() + d, srct->elements.data() + s, n * sizeof(uint64_t));
  pc += 6;
  NEXT();
}
L_table_init : {
  TableInst* t = inst->tables[pc[1]];
  const uint32_t seg = pc[2];
  const uint64_t d = static_cast<uint32_t>(S(3));
  const uint64_t s = static_cast<uint32_t>(S(4));
  const uint64_t n = static_cast<uint32_t>(S(5));
  const size_t seg_size = seg < inst->elem_values.size() ? inst->elem_values[seg].size() : 0;
  if (s + n > seg_size || d + n > t->elements.size()) TRAP(TableOutOfBounds);
  if (n)
    std::memcpy(t->elements.data() + d, inst->elem_values[seg].data() + s, n * sizeof(uint64_t));
  pc += 6;
  NEXT();
}
L_elem_drop : {
  const uint32_t seg = pc[1];
  if (seg < inst->elem_values.size()) {
    inst->elem_values[seg].clear();
    inst->elem_values[seg].shrink_to_fit();
  }
  if (seg < inst->elem_dropped.size()) inst->elem_dropped[seg] = 1;
  pc += 2;
  NEXT();
}

  // ---- memory ----
L_memory_size:
  S(1) = mem_size >> 16;
  pc += 2;
  NEXT();
L_memory_grow : {
  const uint64_t r = mem->grow(static_cast<uint32_t>(S(2)));
  S(1) = r == std::numeric_limits<uint64_t>::max() ? 0xFFFFFFFFu : static_cast<uint32_t>(r);
  mem_base = mem->base;
  mem_size = mem->size_bytes;
  pc += 3;
  NEXT();
}
L_memory_init : {
  const uint32_t seg = pc[1];
  const uint64_t d = static_cast<uint32_t>(S(2));
  const uint64_t s = static_cast<uint32_t>(S(3));
  const uint64_t n = static_cast<uint32_t>(S(4));
  const auto& datas = inst->mod->decl.datas;
  const bool dropped =
      seg >= datas.size() || (seg < inst->data_dropped.size() && inst->data_dropped[seg]);
  const uint64_t seg_size = dropped ? 0 : datas[seg].init.size();
  if (s + n > seg_size || d + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memcpy(mem_base + d, inst->mod->decl.bytes.data() + datas[seg].init.begin + s, n);
  pc += 5;
  NEXT();
}
L_data_drop : {
  const uint32_t seg = pc[1];
  if (seg < inst->data_dropped.size()) inst->data_dropped[seg] = 1;
  pc += 2;
  NEXT();
}
L_memory_copy : {
  const uint64_t d = static_cast<uint32_t>(S(1));
  const uint64_t s = static_cast<uint32_t>(S(2));
  const uint64_t n = static_cast<uint32_t>(S(3));
  if (d + n > mem_size || s + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memmove(mem_base + d, mem_base + s, n);
  pc += 4;
  NEXT();
}
L_memory_fill : {
  const uint64_t d = static_cast<uint32_t>(S(1));
  const uint8_t v = static_cast<uint8_t>(S(2));
  const uint64_t n = static_cast<uint32_t>(S(3));
  if (d + n > mem_size) TRAP(MemoryOutOfBounds);
  if (n) std::memset(mem_base + d, v, n);
  pc += 4;
  NEXT();
}

#define WEFT_LOAD(name, T, expr)                                                            \
  L_##name : {                                                                              \
    const uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(S(2) + pc[3])) + pc[4]; \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(MemoryOutOfBounds);            \
    T v;                                                                                    \
    std::memcpy(&v, mem_base + ea, sizeof(T));                                              \
    S(1) = (expr);                                                                          \
    pc += 5;                                                                                \
    NEXT();                                                                                 \
  }
  WEFT_LOAD(i32_load, uint32_t, v)
  WEFT_LOAD(i64_load, uint64_t, v)
  WEFT_LOAD(i32_load8_s, int8_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  WEFT_LOAD(i32_load8_u, uint8_t, v)
  WEFT_LOAD(i32_load16_s, int16_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  WEFT_LOAD(i32_load16_u, uint16_t, v)
  WEFT_LOAD(i64_load8_s, int8_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  WEFT_LOAD(i64_load8_u, uint8_t, v)
  WEFT_LOAD(i64_load16_s, int16_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  WEFT_LOAD(i64_load16_u, uint16_t, v)
  WEFT_LOAD(i64_load32_s, int32_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  WEFT_LOAD(i64_load32_u, uint32_t, v)
#undef WEFT_LOAD

#define WEFT_STORE(name, T)                                                                 \
  L_##name : {                                                                              \
    const uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(S(1) + pc[3])) + pc[4]; \
    if (__builtin_expect(ea + sizeof(T) > mem_size, 0)) TRAP(MemoryOutOfBounds);            \
    const T v = static_cast<T>(S(2));                                                       \
    std::memcpy(mem_base + ea, &v, sizeof(T));                                              \
    pc += 5;                                                                                \
    NEXT();                                                                                 \
  }
  WEFT_STORE(i32_store, uint32_t)
  WEFT_STORE(i64_store, uint64_t)
  WEFT_STORE(i32_store8, uint8_t)
  WEFT_STORE(i32_store16, uint16_t)
  WEFT_STORE(i64_store8, uint8_t)
  WEFT_STORE(i64_store16, uint16_t)
  WEFT_STORE(i64_store32, uint32_t)
#undef WEFT_STORE

  // ---- fused compare + branch ----
#define WEFT_BR_CMP(name, T, op)                                               \
  L_br_##name : if (static_cast<T>(S(1)) op static_cast<T>(S(2))) JUMP(pc[3]); \
  pc += 4;                                                                     \
  NEXT();
#define WEFT_BR_CMP_IMM(name, T, op)                                                  \
  L_br_##name##_imm : if (static_cast<T>(S(1)) op static_cast<T>(pc[2])) JUMP(pc[3]); \
  pc += 4;                                                                            \
  NEXT();
#define WEFT_BR_CMP_BOTH(name, T, op) WEFT_BR_CMP(name, T, op) WEFT_BR_CMP_IMM(name, T, op)
  WEFT_BR_CMP_BOTH(i32_eq, uint32_t, ==)
  WEFT_BR_CMP_BOTH(i32_ne, uint32_t, !=)
  WEFT_BR_CMP_BOTH(i32_lt_s, int32_t, <)
  WEFT_BR_CMP_BOTH(i32_lt_u, uint32_t, <)
  WEFT_BR_CMP_BOTH(i32_gt_s, int32_t, >)
  WEFT_BR_CMP_BOTH(i32_gt_u, uint32_t, >)
  WEFT_BR_CMP_BOTH(i32_le_s, int32_t, <=)
  WEFT_BR_CMP_BOTH(i32_le_u, uint32_t, <=)
  WEFT_BR_CMP_BOTH(i32_ge_s, int32_t, >=)
  WEFT_BR_CMP_BOTH(i32_ge_u, uint32_t, >=)
  WEFT_BR_CMP(i64_eq, uint64_t, ==)
  WEFT_BR_CMP(i64_ne, uint64_t, !=)
  WEFT_BR_CMP(i64_lt_s, int64_t, <)
  WEFT_BR_CMP(i64_lt_u, uint64_t, <)
  WEFT_BR_CMP(i64_gt_s, int64_t, >)
  WEFT_BR_CMP(i64_gt_u, uint64_t, >)
  WEFT_BR_CMP(i64_le_s, int64_t, <=)
  WEFT_BR_CMP(i64_le_u, uint64_t, <=)
  WEFT_BR_CMP(i64_ge_s, int64_t, >=)
  WEFT_BR_CMP(i64_ge_u, uint64_t, >=)
#undef WEFT_BR_CMP_BOTH
#undef WEFT_BR_CMP_IMM
#undef WEFT_BR_CMP

  // ---- numeric ----
  // i32 binary ops read a/b as uint32_t; results are stored zero-extended.
#define WEFT_I32_BIN(name, expr)                    \
  L_##name : {                                      \
    const uint32_t a = static_cast<uint32_t>(S(2)); \
    const uint32_t b = static_cast<uint32_t>(S(3)); \
    S(1) = static_cast<uint32_t>(expr);             \
    pc += 4;                                        \
    NEXT();                                         \
  }
#define WEFT_I32_BIN_IMM(name, expr)                \
  WEFT_I32_BIN(name, expr)                          \
  L_##name##_imm : {                                \
    const uint32_t a = static_cast<uint32_t>(S(2)); \
    const uint32_t b = pc[3];                       \
    S(1) = static_cast<uint32_t>(expr);             \
    pc += 4;                                        \
    NEXT();                                         \
  }
#define SA static_cast<int32_t>(a)
#define SB static_cast<int32_t>(b)
  WEFT_I32_BIN_IMM(i32_add, a + b)
  WEFT_I32_BIN_IMM(i32_sub, a - b)
  WEFT_I32_BIN_IMM(i32_mul, a * b)
  WEFT_I32_BIN_IMM(i32_and, a & b)
  WEFT_I32_BIN_IMM(i32_or, a | b)
  WEFT_I32_BIN_IMM(i32_xor, a ^ b)
  WEFT_I32_BIN_IMM(i32_shl, a << (b & 31))
  WEFT_I32_BIN_IMM(i32_shr_s, SA >> (b & 31))
  WEFT_I32_BIN_IMM(i32_shr_u, a >> (b & 31))
  WEFT_I32_BIN_IMM(i32_eq, a == b)
  WEFT_I32_BIN_IMM(i32_ne, a != b)
  WEFT_I32_BIN_IMM(i32_lt_s, SA < SB)
  WEFT_I32_BIN_IMM(i32_lt_u, a < b)
  WEFT_I32_BIN_IMM(i32_gt_s, SA > SB)
  WEFT_I32_BIN_IMM(i32_gt_u, a > b)
  WEFT_I32_BIN_IMM(i32_le_s, SA <= SB)
  WEFT_I32_BIN_IMM(i32_le_u, a <= b)
  WEFT_I32_BIN_IMM(i32_ge_s, SA >= SB)
  WEFT_I32_BIN_IMM(i32_ge_u, a >= b)
  WEFT_I32_BIN_IMM(i32_rotl, std::rotl(a, static_cast<int>(b & 31)))
  WEFT_I32_BIN_IMM(i32_rotr, std::rotr(a, static_cast<int>(b & 31)))
L_i32_div_s : {
  const int32_t a = static_cast<int32_t>(S(2)), b = static_cast<int32_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  if (a == std::numeric_limits<int32_t>::min() && b == -1) TRAP(IntegerOverflow);
  S(1) = static_cast<uint32_t>(a / b);
  pc += 4;
  NEXT();
}
L_i32_div_u : {
  const uint32_t a = static_cast<uint32_t>(S(2)), b = static_cast<uint32_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = a / b;
  pc += 4;
  NEXT();
}
L_i32_rem_s : {
  const int32_t a = static_cast<int32_t>(S(2)), b = static_cast<int32_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = b == -1 ? 0 : static_cast<uint32_t>(a % b);
  pc += 4;
  NEXT();
}
L_i32_rem_u : {
  const uint32_t a = static_cast<uint32_t>(S(2)), b = static_cast<uint32_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = a % b;
  pc += 4;
  NEXT();
}
#undef SA
#undef SB

#define WEFT_UN(name, T, expr)        \
  L_##name : {                        \
    const T a = static_cast<T>(S(2)); \
    S(1) = (expr);                    \
    pc += 3;                          \
    NEXT();                           \
  }
  WEFT_UN(i32_eqz, uint32_t, a == 0 ? 1u : 0u)
  WEFT_UN(i32_clz, uint32_t, static_cast<uint32_t>(std::countl_zero(a)))
  WEFT_UN(i32_ctz, uint32_t, static_cast<uint32_t>(std::countr_zero(a)))
  WEFT_UN(i32_popcnt, uint32_t, static_cast<uint32_t>(std::popcount(a)))
  WEFT_UN(i64_eqz, uint64_t, a == 0 ? 1u : 0u)
  WEFT_UN(i64_clz, uint64_t, static_cast<uint64_t>(std::countl_zero(a)))
  WEFT_UN(i64_ctz, uint64_t, static_cast<uint64_t>(std::countr_zero(a)))
  WEFT_UN(i64_popcnt, uint64_t, static_cast<uint64_t>(std::popcount(a)))
  WEFT_UN(i32_wrap_i64, uint64_t, static_cast<uint32_t>(a))
  WEFT_UN(i64_extend_i32_s, uint64_t,
          static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a))))
  WEFT_UN(i32_extend8_s, uint64_t,
          static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(a))))
  WEFT_UN(i32_extend16_s, uint64_t,
          static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(a))))
  WEFT_UN(i64_extend8_s, uint64_t,
          static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(a))))
  WEFT_UN(i64_extend16_s, uint64_t,
          static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(a))))
  WEFT_UN(i64_extend32_s, uint64_t,
          static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a))))
  WEFT_UN(f32_abs, uint64_t, a & 0x7FFFFFFFu)
  WEFT_UN(f32_neg, uint64_t, (a ^ 0x80000000u) & 0xFFFFFFFFu)
  WEFT_UN(f64_abs, uint64_t, a & 0x7FFFFFFFFFFFFFFFull)
  WEFT_UN(f64_neg, uint64_t, a ^ 0x8000000000000000ull)
  WEFT_UN(f32_ceil, uint64_t, b32(round_op(f32(a), [](float x) { return std::ceil(x); })))
  WEFT_UN(f32_floor, uint64_t, b32(round_op(f32(a), [](float x) { return std::floor(x); })))
  WEFT_UN(f32_trunc, uint64_t, b32(round_op(f32(a), [](float x) { return std::trunc(x); })))
  // nearest: nearbyint rounds half to even in the default rounding mode,
  // which weft never changes (and it builds under clang 14, unlike roundeven).
  WEFT_UN(f32_nearest, uint64_t, b32(round_op(f32(a), [](float x) { return std::nearbyint(x); })))
  WEFT_UN(f32_sqrt, uint64_t, b32(std::sqrt(f32(a))))
  WEFT_UN(f64_ceil, uint64_t, b64(round_op(f64(a), [](double x) { return std::ceil(x); })))
  WEFT_UN(f64_floor, uint64_t, b64(round_op(f64(a), [](double x) { return std::floor(x); })))
  WEFT_UN(f64_trunc, uint64_t, b64(round_op(f64(a), [](double x) { return std::trunc(x); })))
  WEFT_UN(f64_nearest, uint64_t, b64(round_op(f64(a), [](double x) { return std::nearbyint(x); })))
  WEFT_UN(f64_sqrt, uint64_t, b64(std::sqrt(f64(a))))
  WEFT_UN(f32_convert_i32_s, uint64_t, b32(static_cast<float>(static_cast<int32_t>(a))))
  WEFT_UN(f32_convert_i32_u, uint64_t, b32(static_cast<float>(static_cast<uint32_t>(a))))
  WEFT_UN(f32_convert_i64_s, uint64_t, b32(static_cast<float>(static_cast<int64_t>(a))))
  WEFT_UN(f32_convert_i64_u, uint64_t, b32(static_cast<float>(a)))
  WEFT_UN(f32_demote_f64, uint64_t, b32(static_cast<float>(f64(a))))
  WEFT_UN(f64_convert_i32_s, uint64_t, b64(static_cast<double>(static_cast<int32_t>(a))))
  WEFT_UN(f64_convert_i32_u, uint64_t, b64(static_cast<double>(static_cast<uint32_t>(a))))
  WEFT_UN(f64_convert_i64_s, uint64_t, b64(static_cast<double>(static_cast<int64_t>(a))))
  WEFT_UN(f64_convert_i64_u, uint64_t, b64(static_cast<double>(a)))
  WEFT_UN(f64_promote_f32, uint64_t, b64(static_cast<double>(f32(a))))
  WEFT_UN(i32_trunc_sat_f32_s, uint64_t, static_cast<uint32_t>(sat_signed<int32_t>(f32(a))))
  WEFT_UN(i32_trunc_sat_f32_u, uint64_t, sat_unsigned<uint32_t>(f32(a)))
  WEFT_UN(i32_trunc_sat_f64_s, uint64_t, static_cast<uint32_t>(sat_signed<int32_t>(f64(a))))
  WEFT_UN(i32_trunc_sat_f64_u, uint64_t, sat_unsigned<uint32_t>(f64(a)))
  WEFT_UN(i64_trunc_sat_f32_s, uint64_t, static_cast<uint64_t>(sat_signed<int64_t>(f32(a))))
  WEFT_UN(i64_trunc_sat_f32_u, uint64_t, sat_unsigned<uint64_t>(f32(a)))
  WEFT_UN(i64_trunc_sat_f64_s, uint64_t, static_cast<uint64_t>(sat_signed<int64_t>(f64(a))))
  WEFT_UN(i64_trunc_sat_f64_u, uint64_t, sat_unsigned<uint64_t>(f64(a)))
#undef WEFT_UN

  // Trapping float → int: NaN is an invalid conversion; out of range
  // (after truncation) is an overflow. Bounds are exact in each float type.
#define WEFT_TRUNC(name, get, lo_ok, hi_ok, I, U) \
  L_##name : {                                    \
    const auto x = get(S(2));                     \
    if (x != x) TRAP(InvalidConversion);          \
    if (!(lo_ok && hi_ok)) TRAP(IntegerOverflow); \
    S(1) = static_cast<U>(static_cast<I>(x));     \
    pc += 3;                                      \
    NEXT();                                       \
  }
  WEFT_TRUNC(i32_trunc_f32_s, f32, x >= -2147483648.0f, x < 2147483648.0f, int32_t, uint32_t)
  WEFT_TRUNC(i32_trunc_f32_u, f32, x > -1.0f, x < 4294967296.0f, uint32_t, uint32_t)
  WEFT_TRUNC(i32_trunc_f64_s, f64, x > -2147483649.0, x < 2147483648.0, int32_t, uint32_t)
  WEFT_TRUNC(i32_trunc_f64_u, f64, x > -1.0, x < 4294967296.0, uint32_t, uint32_t)
  WEFT_TRUNC(i64_trunc_f32_s, f32, x >= -9223372036854775808.0f, x < 9223372036854775808.0f,
             int64_t, uint64_t)
  WEFT_TRUNC(i64_trunc_f32_u, f32, x > -1.0f, x < 18446744073709551616.0f, uint64_t, uint64_t)
  WEFT_TRUNC(i64_trunc_f64_s, f64, x >= -9223372036854775808.0, x < 9223372036854775808.0, int64_t,
             uint64_t)
  WEFT_TRUNC(i64_trunc_f64_u, f64, x > -1.0, x < 18446744073709551616.0, uint64_t, uint64_t)
#undef WEFT_TRUNC

#define WEFT_I64_BIN(name, expr)        \
  L_##name : {                          \
    const uint64_t a = S(2);            \
    const uint64_t b = S(3);            \
    S(1) = static_cast<uint64_t>(expr); \
    pc += 4;                            \
    NEXT();                             \
  }
#define WEFT_I64_BIN_IMM(name, expr)                                                             \
  WEFT_I64_BIN(name, expr)                                                                       \
  L_##name##_imm : {                                                                             \
    const uint64_t a = S(2);                                                                     \
    const uint64_t b = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(pc[3]))); \
    S(1) = static_cast<uint64_t>(expr);                                                          \
    pc += 4;                                                                                     \
    NEXT();                                                                                      \
  }
#define SA static_cast<int64_t>(a)
#define SB static_cast<int64_t>(b)
  WEFT_I64_BIN_IMM(i64_add, a + b)
  WEFT_I64_BIN_IMM(i64_sub, a - b)
  WEFT_I64_BIN_IMM(i64_mul, a * b)
  WEFT_I64_BIN_IMM(i64_and, a & b)
  WEFT_I64_BIN_IMM(i64_or, a | b)
  WEFT_I64_BIN_IMM(i64_xor, a ^ b)
  WEFT_I64_BIN_IMM(i64_shl, a << (b & 63))
  WEFT_I64_BIN_IMM(i64_shr_s, SA >> (b & 63))
  WEFT_I64_BIN_IMM(i64_shr_u, a >> (b & 63))
  WEFT_I64_BIN_IMM(i64_rotl, std::rotl(a, static_cast<int>(b & 63)))
  WEFT_I64_BIN_IMM(i64_rotr, std::rotr(a, static_cast<int>(b & 63)))
  WEFT_I64_BIN_IMM(i64_eq, a == b)
  WEFT_I64_BIN_IMM(i64_ne, a != b)
  WEFT_I64_BIN_IMM(i64_lt_s, SA < SB)
  WEFT_I64_BIN_IMM(i64_lt_u, a < b)
  WEFT_I64_BIN_IMM(i64_gt_s, SA > SB)
  WEFT_I64_BIN_IMM(i64_gt_u, a > b)
  WEFT_I64_BIN_IMM(i64_le_s, SA <= SB)
  WEFT_I64_BIN_IMM(i64_le_u, a <= b)
  WEFT_I64_BIN_IMM(i64_ge_s, SA >= SB)
  WEFT_I64_BIN_IMM(i64_ge_u, a >= b)
L_i64_div_s : {
  const int64_t a = static_cast<int64_t>(S(2)), b = static_cast<int64_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  if (a == std::numeric_limits<int64_t>::min() && b == -1) TRAP(IntegerOverflow);
  S(1) = static_cast<uint64_t>(a / b);
  pc += 4;
  NEXT();
}
L_i64_div_u : {
  const uint64_t a = S(2), b = S(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = a / b;
  pc += 4;
  NEXT();
}
L_i64_rem_s : {
  const int64_t a = static_cast<int64_t>(S(2)), b = static_cast<int64_t>(S(3));
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = b == -1 ? 0 : static_cast<uint64_t>(a % b);
  pc += 4;
  NEXT();
}
L_i64_rem_u : {
  const uint64_t a = S(2), b = S(3);
  if (b == 0) TRAP(IntegerDivideByZero);
  S(1) = a % b;
  pc += 4;
  NEXT();
}
#undef SA
#undef SB
#undef WEFT_I64_BIN_IMM
#undef WEFT_I64_BIN

#define WEFT_F_BIN(name, get, put, expr) \
  L_##name : {                           \
    const auto a = get(S(2));            \
    const auto b = get(S(3));            \
    S(1) = put(expr);                    \
    pc += 4;                             \
    NEXT();                              \
  }
#define BOOL(x) static_cast<uint64_t>((x) ? 1 : 0)
  WEFT_F_BIN(f32_eq, f32, BOOL, a == b)
  WEFT_F_BIN(f32_ne, f32, BOOL, a != b)
  WEFT_F_BIN(f32_lt, f32, BOOL, a < b)
  WEFT_F_BIN(f32_gt, f32, BOOL, a > b)
  WEFT_F_BIN(f32_le, f32, BOOL, a <= b)
  WEFT_F_BIN(f32_ge, f32, BOOL, a >= b)
  WEFT_F_BIN(f64_eq, f64, BOOL, a == b)
  WEFT_F_BIN(f64_ne, f64, BOOL, a != b)
  WEFT_F_BIN(f64_lt, f64, BOOL, a < b)
  WEFT_F_BIN(f64_gt, f64, BOOL, a > b)
  WEFT_F_BIN(f64_le, f64, BOOL, a <= b)
  WEFT_F_BIN(f64_ge, f64, BOOL, a >= b)
#undef BOOL
  WEFT_F_BIN(f32_add, f32, b32, a + b)
  WEFT_F_BIN(f32_sub, f32, b32, a - b)
  WEFT_F_BIN(f32_mul, f32, b32, a * b)
  WEFT_F_BIN(f32_div, f32, b32, a / b)
  WEFT_F_BIN(f32_min, f32, b32, wasm_min(a, b))
  WEFT_F_BIN(f32_max, f32, b32, wasm_max(a, b))
  WEFT_F_BIN(f64_add, f64, b64, a + b)
  WEFT_F_BIN(f64_sub, f64, b64, a - b)
  WEFT_F_BIN(f64_mul, f64, b64, a * b)
  WEFT_F_BIN(f64_div, f64, b64, a / b)
  WEFT_F_BIN(f64_min, f64, b64, wasm_min(a, b))
  WEFT_F_BIN(f64_max, f64, b64, wasm_max(a, b))
#undef WEFT_F_BIN
L_f32_copysign:
  S(1) = (S(2) & 0x7FFFFFFFu) | (S(3) & 0x80000000u);
  pc += 4;
  NEXT();
L_f64_copysign:
  S(1) = (S(2) & 0x7FFFFFFFFFFFFFFFull) | (S(3) & 0x8000000000000000ull);
  pc += 4;
  NEXT();

  // Memory index ≠ 0: all in run_memory_m. The reload covers a grow of a
  // memory that is also memory 0 (the same memory imported twice).
L_memory_m : {
  const uint32_t len = run_memory_m(inst, pc, fp);
  if (len == 0) TRAP(MemoryOutOfBounds);
  if (mem) {
    mem_base = mem->base;
    mem_size = mem->size_bytes;
  }
  pc += len;
  NEXT();
}

trap : {
  Error err = Error::make_trap(trap_kind, trap_msg ? std::string(trap_msg) : std::string());
  append_backtrace(*err.trap, fr, entry_frame);
  return err;
}
// A host function or native code called from here failed with host_error.
// An exception thrown by wasm code under it (of this store) goes on
// unwinding here; anything else ends the invocation.
call_failed:
  if (host_error.trap && host_error.trap->kind == TrapKind::UncaughtException &&
      host_error.trap->exception != 0) {
    ExnInst* e = reinterpret_cast<ExnInst*>(host_error.trap->exception);
    if (e->store == store) {
      exn = e;
      throw_pc = pc - 1;
      goto do_throw;
    }
  }
  goto trap_error;
trap_error : {
  if (host_error.trap) append_backtrace(*host_error.trap, fr, entry_frame);
  return host_error;
}
done:
  return {};

#undef NEXT
#undef S
#undef TRAP
#undef TRAP_MSG
#undef POLL
#undef JUMP
#undef LOAD_INSTANCE
#undef RELOAD_MEM
}

}  // namespace

const int32_t* handler_offsets() {
  static const int32_t* const table = [] {
    const int32_t* out = nullptr;
    (void)execute(nullptr, nullptr, nullptr, nullptr, &out);
    return out;
  }();
  return table;
}

Result<void> invoke(detail::StoreImpl& store, detail::FuncInst* func, uint64_t* slots) {
  if (func->is_host()) return call_host(store, func, func->instance, slots);
  if (func->code == nullptr) return Error::usage("function has no code");
  if (store.host_call_depth >= kMaxHostDepth) return Error::make_trap(TrapKind::StackExhausted);
  State& st = state_of(store);
  const FuncType& type = *func->type;
  const size_t np = type.params.size(), nr = type.results.size();
  uint64_t* fp = st.stack_top;
  if (static_cast<size_t>(st.stack_end - fp) < std::max(np, nr))
    return Error::make_trap(TrapKind::StackExhausted);
  std::copy_n(slots, np, fp);
  uint64_t* saved_top = st.stack_top;
  Frame* saved_frame = st.frame_top;
  ++store.host_call_depth;
  Result<void> r = execute(&store, &st, func, fp, nullptr);
  --store.host_call_depth;
  st.stack_top = saved_top;
  st.frame_top = saved_frame;
  if (r) std::copy_n(fp, nr, slots);
  return r;
}

Result<void> invoke_from_native(detail::StoreImpl& store, detail::InstanceImpl* caller,
                                detail::FuncInst* func, uint64_t* slots, size_t frames_left) {
  State& st = state_of(store);
  if (func->is_host()) {
    // Wasm the host calls back into gets only the frames the native
    // callers left.
    Frame* saved_frame = st.frame_top;
    const size_t free_frames = static_cast<size_t>(st.frames_end - st.frame_top);
    if (frames_left < free_frames) st.frame_top = st.frames_end - frames_left;
    Result<void> r = call_host(store, func, caller, slots);
    st.frame_top = saved_frame;
    return r;
  }
  if (func->code == nullptr) return Error::usage("function has no code");
  if (frames_left == 0 || st.frame_top >= st.frames_end)
    return Error::make_trap(TrapKind::StackExhausted);
  const FuncType& type = *func->type;
  const size_t np = type.params.size(), nr = type.results.size();
  uint64_t* fp = st.stack_top;
  if (static_cast<size_t>(st.stack_end - fp) < std::max(np, nr))
    return Error::make_trap(TrapKind::StackExhausted);
  std::copy_n(slots, np, fp);
  uint64_t* saved_top = st.stack_top;
  Frame* saved_frame = st.frame_top;
  // The frames below frames_end - frames_left are the native callers'.
  const size_t free_frames = static_cast<size_t>(st.frames_end - st.frame_top);
  if (frames_left < free_frames) st.frame_top = st.frames_end - frames_left;
  Result<void> r = execute(&store, &st, func, fp, nullptr);
  st.stack_top = saved_top;
  st.frame_top = saved_frame;
  if (r) std::copy_n(fp, nr, slots);
  return r;
}

}  // namespace weft::interp
