// The C++ side of native code: entering it from the interpreter (setjmp for
// traps, the stack limit), and the helpers generated code calls for what it
// does not do inline (calls into other tiers, memory.grow, bulk memory,
// fuel). No LLVM here.
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "wasm/interp/code.h"
#include "wasm/native/context.h"
#include "wasm/native/native.h"
#include "wasm/runtime/objects.h"

namespace weft::native {
namespace {

using detail::FuncInst;
using detail::InstanceImpl;
using detail::MemoryInst;
using detail::StoreImpl;

// Native frames live on the machine stack. Below this address they trap
// (StackExhausted), leaving the rest of the thread's stack to the C++ that
// a trap or a host call still runs.
constexpr uintptr_t kStackReserve = 256 * 1024;

uintptr_t thread_stack_limit() {
  thread_local uintptr_t limit = [] {
    pthread_attr_t attr;
    void* low = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &low, &size);
      pthread_attr_destroy(&attr);
    }
    if (low == nullptr || size == 0) {
      // Unknown: allow 1 MiB below here.
      char here;
      return reinterpret_cast<uintptr_t>(&here) - (1u << 20);
    }
    // A small stack keeps a quarter of itself for the C++ below.
    return reinterpret_cast<uintptr_t>(low) + std::min<size_t>(kStackReserve, size / 4);
  }();
  return limit;
}

// The function indices of this thread's native frames (context.h): one
// buffer for the deepest possible stack of them, so that the pointers
// contexts keep never move; pages are touched only as deep as calls go.
constexpr size_t kTraceEntries = (1u << 20) + 16;  // the interpreter's frame cap, and some
struct Trace {
  std::unique_ptr<uint32_t[]> entries{new uint32_t[kTraceEntries]};
  size_t base = 0;  // where the next C++ entry's frames start
};
Trace& thread_trace() {
  thread_local Trace trace;
  return trace;
}

std::string func_name(const InstanceImpl* inst, uint32_t index) {
  if (inst == nullptr || inst->mod == nullptr) return {};
  const auto& names = inst->mod->decl.names.function_names;
  auto it = names.find(index);
  return it == names.end() ? std::string() : it->second;
}

// Appends the native frames of `ctx`, innermost first, to a trap's backtrace.
void append_native_frames(const NativeContext& ctx, Error& error) {
  if (!error.trap) return;
  const size_t depth = static_cast<size_t>(ctx.trace_end - ctx.trace) - ctx.frames_left;
  for (size_t i = depth; i > 0; --i) {
    FrameInfo info;
    info.func_index = ctx.trace[i - 1];
    info.func_name = func_name(ctx.inst, info.func_index);
    if (ctx.inst->mod) info.module_name = ctx.inst->mod->decl.names.module_name;
    error.trap->backtrace.push_back(std::move(info));
  }
}

void fill_context(NativeContext& ctx, StoreImpl& store, InstanceImpl* inst) {
  ctx.store = &store;
  ctx.inst = inst;
  ctx.mem = inst->memories.empty() ? nullptr : inst->memories[0];
  ctx.mem_base = ctx.mem ? ctx.mem->base : nullptr;
  ctx.mem_size = ctx.mem ? ctx.mem->size_bytes : 0;
  ctx.globals = inst->globals.data();
  static constexpr uint8_t kAlwaysPoll = 1;
  ctx.poll_flag =
      store.fuel_enabled ? &kAlwaysPoll : reinterpret_cast<const uint8_t*>(store.interrupt.get());
  ctx.stack_limit = thread_stack_limit();
}

// The context of the native code this thread runs, if it runs native code
// now; null while a helper runs other code for it (call_any). The fault
// handler reads it: only a fault of native code becomes a trap.
thread_local NativeContext* running_native = nullptr;

// The only frame between the setjmp and native code: nothing with a
// destructor lives here, so a trap's longjmp skips nothing.
__attribute__((noinline)) bool run_guarded(NativeEntry entry, NativeContext* ctx, uint64_t* slots) {
  std::jmp_buf jump;
  ctx->trap_jump = &jump;
  NativeContext* const outer = running_native;
  if (setjmp(jump) != 0) {
    running_native = outer;
    return false;
  }
  running_native = ctx;
  entry(ctx, slots);
  running_native = outer;
  return true;
}

struct sigaction previous_segv;
struct sigaction previous_bus;

// A fault in a guarded memory's reservation, by this thread's native code:
// the access was out of bounds (every byte past the memory's size is
// PROT_NONE). The handler returns into weft_native_trap(ctx,
// MemoryOutOfBounds) as if the faulting instruction had called it; the
// trap's longjmp then leaves from an ordinary frame, and sigreturn has
// restored the signal mask. Any other fault goes to the handler before us.
void on_fault(int sig, siginfo_t* info, void* ucontext) {
  NativeContext* ctx = running_native;
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  // si_code > 0: raised by the kernel for this access, not sent by kill().
  if (ctx != nullptr && info->si_code > 0 && ctx->mem != nullptr && ctx->mem->guarded()) {
    const auto base = reinterpret_cast<uintptr_t>(ctx->mem->base);
    if (addr >= base && addr - base < ctx->mem->reserved_bytes) {
#if defined(__x86_64__)
      auto* uc = static_cast<ucontext_t*>(ucontext);
      greg_t* regs = uc->uc_mcontext.gregs;
      // Below the faulting frame's red zone, aligned as at a call.
      const auto sp = static_cast<uintptr_t>(regs[REG_RSP]);
      regs[REG_RSP] = static_cast<greg_t>(((sp - 128) & ~uintptr_t{15}) - 8);
      regs[REG_RDI] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(ctx));
      regs[REG_RSI] = static_cast<greg_t>(TrapKind::MemoryOutOfBounds);
      regs[REG_RIP] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(&weft_native_trap));
      running_native = nullptr;
      return;
#endif
    }
  }
  const struct sigaction& prev = sig == SIGBUS ? previous_bus : previous_segv;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, ucontext);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  } else if (prev.sa_handler == SIG_IGN && info->si_code <= 0) {
    // A sent signal the process ignored before this handler: still ignored.
  } else {
    // The default action: a fault comes again when its instruction runs
    // again on return; a signal sent by kill() or pthread_kill() (si_code
    // <= 0) would not, so it is raised again (blocked in this handler,
    // delivered on return). Before, such a SIGSEGV was swallowed
    // (tests/wasm/native/fault_handler_test.cpp).
    signal(sig, SIG_DFL);
    if (info->si_code <= 0) raise(sig);
  }
}

Result<void> invoke_native(const detail::NativeFunc& self, StoreImpl& store, FuncInst* func,
                           uint64_t* slots, size_t frames_left) {
  NativeContext ctx;
  fill_context(ctx, store, func->instance);
  // The interpreter counted this function's own frame; its entry takes one.
  ctx.frames_left = frames_left + 1;
  Trace& trace = thread_trace();
  if (trace.base + ctx.frames_left > kTraceEntries)
    return Error::make_trap(TrapKind::StackExhausted);
  ctx.trace = trace.entries.get() + trace.base;
  ctx.trace_end = ctx.trace + ctx.frames_left;
  Error error;
  ctx.error = &error;
  if (!run_guarded(reinterpret_cast<NativeEntry>(const_cast<void*>(self.entry)), &ctx, slots)) {
    append_native_frames(ctx, error);
    return error;
  }
  return {};
}

void refresh_memory(NativeContext* ctx) {
  if (ctx->mem) {
    ctx->mem_base = ctx->mem->base;
    ctx->mem_size = ctx->mem->size_bytes;
  }
}

// Calls `func` (any kind, any tier) with its slots, as the interpreter's
// call instruction would; 0, or 1 with the error in ctx.
uint32_t call_any(NativeContext* ctx, FuncInst* func, uint64_t* slots) {
  if (!func->is_host() && func->instance == ctx->inst && func->code != nullptr) {
    // Native code of the same instance shares this context: no setjmp.
    if (const detail::NativeFunc* native = func->code->native.load(std::memory_order_acquire)) {
      reinterpret_cast<NativeEntry>(const_cast<void*>(native->entry))(ctx, slots);
      return 0;
    }
  }
  // Interpreted code under native frames runs on this thread's stack too.
  // (A host callee takes no frame: invoke_from_native checks frames for
  // wasm callees only.)
  char here;
  if (reinterpret_cast<uintptr_t>(&here) < ctx->stack_limit) {
    *ctx->error = Error::make_trap(TrapKind::StackExhausted);
    return 1;
  }
  bool failed = false;
  {
    // Native code under this call writes its frames past this context's.
    Trace& trace = thread_trace();
    const size_t saved_base = trace.base;
    trace.base = static_cast<size_t>(ctx->trace_end - trace.entries.get()) - ctx->frames_left;
    // JIT frames have no unwind tables: a C++ exception from a host
    // function must stop here, as a trap, not run into them.
    // What runs here is not this context's native code: its faults are
    // not traps (run_guarded sets it again for native code further in).
    running_native = nullptr;
    try {
      Result<void> r =
          interp::invoke_from_native(*ctx->store, ctx->inst, func, slots, ctx->frames_left);
      if (!r) {
        *ctx->error = std::move(r).error();
        failed = true;
      }
    } catch (const std::exception& e) {
      *ctx->error = Error::make_trap(TrapKind::HostError, e.what());
      failed = true;
    }
    trace.base = saved_base;
    running_native = ctx;
  }
  refresh_memory(ctx);
  return failed ? 1 : 0;
}

}  // namespace

size_t global_bits_offset() {
  static const size_t offset = [] {
    detail::GlobalInst g;
    return static_cast<size_t>(reinterpret_cast<const char*>(&g.bits) -
                               reinterpret_cast<const char*>(&g));
  }();
  return offset;
}

detail::NativeFunc make_native_func(const void* entry, bool guarded) {
  detail::NativeFunc f;
  f.invoke = &invoke_native;
  f.entry = entry;
  f.needs_guarded_memory = guarded;
  return f;
}

bool install_fault_handler() {
#if defined(__x86_64__)
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_sigaction = &on_fault;
    // SA_ONSTACK: a thread with an alternate signal stack (the sanitizers
    // give each one) takes the fault there.
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGSEGV, &action, &previous_segv) == 0 &&
           sigaction(SIGBUS, &action, &previous_bus) == 0;
  }();
  return installed;
#else
  return false;
#endif
}

}  // namespace weft::native

using weft::native::NativeContext;

extern "C" {

void weft_native_trap(NativeContext* ctx, uint32_t kind) {
  *ctx->error = weft::Error::make_trap(static_cast<weft::TrapKind>(kind));
  std::longjmp(*ctx->trap_jump, 1);
}

void weft_native_raise(NativeContext* ctx) { std::longjmp(*ctx->trap_jump, 1); }

uint32_t weft_native_call(NativeContext* ctx, uint32_t func_index, uint64_t* slots) {
  return weft::native::call_any(ctx, ctx->inst->funcs[func_index], slots);
}

uint32_t weft_native_call_indirect(NativeContext* ctx, uint32_t type_index, uint32_t table_index,
                                   uint32_t element, uint64_t* slots) {
  weft::detail::TableInst* table = ctx->inst->tables[table_index];
  weft::TrapKind kind;
  if (element >= table->elements.size()) {
    kind = weft::TrapKind::UninitializedElement;
    *ctx->error = weft::Error::make_trap(kind, "undefined element");
    return 1;
  }
  const uint64_t ref = table->elements[element];
  if (ref == 0) {
    kind = weft::TrapKind::UninitializedElement;
  } else {
    auto* callee = reinterpret_cast<weft::detail::FuncInst*>(ref);
    if (callee->type_id == ctx->inst->mod->type_ids[type_index]) {
      return weft::native::call_any(ctx, callee, slots);
    }
    kind = weft::TrapKind::IndirectCallTypeMismatch;
  }
  *ctx->error = weft::Error::make_trap(kind);
  return 1;
}

}  // extern "C"

namespace {

// The interpreter's new_exception, trapping on the store's cap, and on an
// allocation failure too: no C++ exception may unwind into generated code.
weft::detail::ExnInst* make_exception(NativeContext* ctx, uint32_t tag, const uint64_t* values) {
  weft::detail::ExnInst* exn = nullptr;
  try {
    exn = weft::interp::new_exception(*ctx->store, ctx->inst->tags[tag], values);
  } catch (const std::bad_alloc&) {
    exn = nullptr;
  }
  if (exn == nullptr) weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::MemoryLimit));
  return exn;
}

// Runs `call` under a jump of its own: a trap or an exception that native
// code under it raises (sharing this context, so it would leave for the C++
// entry) comes back as status 1 with the error in the context, so that the
// calling function can catch it. frames_left is left as the innermost frame
// wrote it, for the backtrace if nothing catches.
template <class Call>
__attribute__((noinline)) uint32_t under_own_jump(NativeContext* ctx, Call&& call) {
  std::jmp_buf jump;
  std::jmp_buf* const outer = ctx->trap_jump;
  // The fault handler clears running_native on its way to the trap; native
  // code goes on here, so it is set again, as run_guarded does.
  NativeContext* const running = weft::native::running_native;
  ctx->trap_jump = &jump;
  if (setjmp(jump) != 0) {
    ctx->trap_jump = outer;
    weft::native::running_native = running;
    return 1;
  }
  const uint32_t status = call();
  ctx->trap_jump = outer;
  return status;
}

}  // namespace

extern "C" {

uint32_t weft_native_call_catching(NativeContext* ctx, uint32_t func_index, uint64_t* slots) {
  return under_own_jump(ctx, [&] { return weft_native_call(ctx, func_index, slots); });
}

uint32_t weft_native_call_indirect_catching(NativeContext* ctx, uint32_t type_index,
                                            uint32_t table_index, uint32_t element,
                                            uint64_t* slots) {
  return under_own_jump(
      ctx, [&] { return weft_native_call_indirect(ctx, type_index, table_index, element, slots); });
}

int32_t weft_native_catch(NativeContext* ctx, uint32_t defined_index, uint32_t pc, uint64_t* out) {
  const weft::Error& err = *ctx->error;
  if (!err.trap || err.trap->kind != weft::TrapKind::UncaughtException || err.trap->exception == 0)
    return -1;
  auto* exn = reinterpret_cast<weft::detail::ExnInst*>(err.trap->exception);
  if (exn->store != ctx->store) return -1;  // another store's: not this code's to catch
  const weft::detail::CompiledFunc& code = *ctx->inst->mod->code[defined_index];
  // The interpreter's search (find_handler), within this one frame.
  const size_t nh = code.handlers.size();
  for (size_t i = 0; i < nh;) {
    const weft::detail::TryHandler& h = code.handlers[i];
    if (pc < h.begin || pc >= h.end) {
      ++i;
      continue;
    }
    size_t next = i + 1;
    for (uint32_t k = 0; k < h.count; ++k) {
      const weft::detail::CatchClause& c = code.catches[h.first + k];
      if (c.kind == weft::detail::CatchClause::kDelegate) {
        next = c.target == weft::detail::CatchClause::kReturn ? nh : c.target;
        break;
      }
      if (c.kind == weft::detail::CatchClause::kCatchAll ||
          c.kind == weft::detail::CatchClause::kCatchAllRef || ctx->inst->tags[c.tag] == exn->tag) {
        out[0] = reinterpret_cast<uint64_t>(exn);
        // Values only for a clause of this tag: out has room for the
        // candidates' values, not for those of any tag a catch_all takes.
        if (c.kind == weft::detail::CatchClause::kCatch ||
            c.kind == weft::detail::CatchClause::kCatchRef)
          std::copy(exn->values.begin(), exn->values.end(), out + 1);
        *ctx->error = weft::Error();
        return static_cast<int32_t>(h.first + k);
      }
    }
    i = next;
  }
  return -1;
}

void weft_native_set_exception(NativeContext* ctx, uint32_t tag, const uint64_t* values) {
  weft::detail::ExnInst* exn = make_exception(ctx, tag, values);
  *ctx->error = weft::Error::make_trap(weft::TrapKind::UncaughtException);
  ctx->error->trap->exception = reinterpret_cast<uint64_t>(exn);
}

void weft_native_set_exception_ref(NativeContext* ctx, uint64_t exnref) {
  if (exnref == 0) weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::NullReference));
  *ctx->error = weft::Error::make_trap(weft::TrapKind::UncaughtException);
  ctx->error->trap->exception = exnref;
}

// A poll whose flag was set: the interrupt, then fuel, in the
// interpreter's order.
void weft_native_poll(NativeContext* ctx) {
  weft::detail::StoreImpl& store = *ctx->store;
  if (store.interrupt->load(std::memory_order_relaxed))
    weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::Interrupted));
  if (store.fuel_enabled) {
    if (store.fuel == 0) weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::OutOfFuel));
    --store.fuel;
  }
}

uint32_t weft_native_memory_grow(NativeContext* ctx, uint32_t delta_pages) {
  const uint64_t r = ctx->mem->grow(delta_pages);
  weft::native::refresh_memory(ctx);
  return r == UINT64_MAX ? 0xFFFFFFFFu : static_cast<uint32_t>(r);
}

void weft_native_memory_fill(NativeContext* ctx, uint32_t d, uint32_t value, uint32_t n) {
  if (uint64_t{d} + n > ctx->mem_size)
    weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::MemoryOutOfBounds));
  if (n) std::memset(ctx->mem_base + d, static_cast<uint8_t>(value), n);
}

void weft_native_memory_copy(NativeContext* ctx, uint32_t d, uint32_t s, uint32_t n) {
  if (uint64_t{d} + n > ctx->mem_size || uint64_t{s} + n > ctx->mem_size)
    weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::MemoryOutOfBounds));
  if (n) std::memmove(ctx->mem_base + d, ctx->mem_base + s, n);
}

void weft_native_memory_init(NativeContext* ctx, uint32_t segment, uint32_t d, uint32_t s,
                             uint32_t n) {
  weft::detail::InstanceImpl* inst = ctx->inst;
  const auto& datas = inst->mod->decl.datas;
  const bool dropped = segment >= datas.size() ||
                       (segment < inst->data_dropped.size() && inst->data_dropped[segment]);
  const uint64_t seg_size = dropped ? 0 : datas[segment].init.size();
  if (uint64_t{s} + n > seg_size || uint64_t{d} + n > ctx->mem_size)
    weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::MemoryOutOfBounds));
  if (n)
    std::memcpy(ctx->mem_base + d, inst->mod->decl.bytes.data() + datas[segment].init.begin + s, n);
}

void weft_native_data_drop(NativeContext* ctx, uint32_t segment) {
  if (segment < ctx->inst->data_dropped.size()) ctx->inst->data_dropped[segment] = 1;
}

}  // extern "C"

namespace {

[[noreturn]] void table_out_of_bounds(NativeContext* ctx) {
  weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::TableOutOfBounds));
}

[[noreturn]] void raise_exception(NativeContext* ctx, weft::detail::ExnInst* exn) {
  *ctx->error = weft::Error::make_trap(weft::TrapKind::UncaughtException);
  ctx->error->trap->exception = reinterpret_cast<uint64_t>(exn);
  std::longjmp(*ctx->trap_jump, 1);
}

}  // namespace

extern "C" {

uint64_t weft_native_ref_func(NativeContext* ctx, uint32_t func_index) {
  return reinterpret_cast<uint64_t>(ctx->inst->funcs[func_index]);
}

uint64_t weft_native_table_get(NativeContext* ctx, uint32_t table, uint32_t i) {
  const weft::detail::TableInst* t = ctx->inst->tables[table];
  if (i >= t->elements.size()) table_out_of_bounds(ctx);
  return t->elements[i];
}

void weft_native_table_set(NativeContext* ctx, uint32_t table, uint32_t i, uint64_t value) {
  weft::detail::TableInst* t = ctx->inst->tables[table];
  if (i >= t->elements.size()) table_out_of_bounds(ctx);
  t->elements[i] = value;
}

uint32_t weft_native_table_size(NativeContext* ctx, uint32_t table) {
  return static_cast<uint32_t>(ctx->inst->tables[table]->elements.size());
}

uint32_t weft_native_table_grow(NativeContext* ctx, uint32_t table, uint64_t init, uint32_t n) {
  // No C++ exception may unwind into generated code (it has no unwind
  // tables): a table the allocator cannot grow fails to grow, as the spec
  // lets table.grow fail.
  try {
    return ctx->inst->tables[table]->grow(n, init);
  } catch (const std::bad_alloc&) {
    return 0xFFFFFFFFu;
  }
}

void weft_native_table_fill(NativeContext* ctx, uint32_t table, uint32_t i, uint64_t value,
                            uint32_t n) {
  weft::detail::TableInst* t = ctx->inst->tables[table];
  if (uint64_t{i} + n > t->elements.size()) table_out_of_bounds(ctx);
  std::fill_n(t->elements.begin() + i, n, value);
}

void weft_native_table_copy(NativeContext* ctx, uint32_t dst_table, uint32_t src_table, uint32_t d,
                            uint32_t s, uint32_t n) {
  weft::detail::TableInst* dt = ctx->inst->tables[dst_table];
  const weft::detail::TableInst* st = ctx->inst->tables[src_table];
  if (uint64_t{d} + n > dt->elements.size() || uint64_t{s} + n > st->elements.size())
    table_out_of_bounds(ctx);
  if (n) std::memmove(dt->elements.data() + d, st->elements.data() + s, n * sizeof(uint64_t));
}

void weft_native_table_init(NativeContext* ctx, uint32_t table, uint32_t segment, uint32_t d,
                            uint32_t s, uint32_t n) {
  weft::detail::InstanceImpl* inst = ctx->inst;
  weft::detail::TableInst* t = inst->tables[table];
  const size_t seg_size =
      segment < inst->elem_values.size() ? inst->elem_values[segment].size() : 0;
  if (uint64_t{s} + n > seg_size || uint64_t{d} + n > t->elements.size()) table_out_of_bounds(ctx);
  if (n)
    std::memcpy(t->elements.data() + d, inst->elem_values[segment].data() + s,
                n * sizeof(uint64_t));
}

void weft_native_throw(NativeContext* ctx, uint32_t tag, const uint64_t* values) {
  weft::detail::ExnInst* exn = make_exception(ctx, tag, values);
  raise_exception(ctx, exn);
}

void weft_native_throw_ref(NativeContext* ctx, uint64_t exnref) {
  if (exnref == 0) weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::NullReference));
  raise_exception(ctx, reinterpret_cast<weft::detail::ExnInst*>(exnref));
}

void weft_native_memory_m(NativeContext* ctx, const uint32_t* words, uint64_t* slots) {
  if (weft::interp::run_memory_m(ctx->inst, words, slots) == 0)
    weft_native_trap(ctx, static_cast<uint32_t>(weft::TrapKind::MemoryOutOfBounds));
  // Another index may name memory 0 itself (one memory imported twice): a
  // grow through it changes memory 0's size, as the interpreter's reload
  // after run_memory_m allows for.
  weft::native::refresh_memory(ctx);
}

void weft_native_elem_drop(NativeContext* ctx, uint32_t segment) {
  weft::detail::InstanceImpl* inst = ctx->inst;
  if (segment < inst->elem_values.size()) {
    inst->elem_values[segment].clear();
    inst->elem_values[segment].shrink_to_fit();
  }
  if (segment < inst->elem_dropped.size()) inst->elem_dropped[segment] = 1;
}

}  // extern "C"
