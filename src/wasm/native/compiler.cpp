// The optimizing tier's compiler. Functions are compiled in batches: each
// batch is one LLVM module (O2, then an object file), linked by ORC's LLJIT
// into the wasm module's own JITDylib, which goes when the module goes.
// Optimized compiles up front, batches on several threads, for a budget
// (the rest goes to the background, as with Auto); Auto queues the module for background threads
// that compile the hottest functions first, a batch at a time. Batches are stored in and loaded
// from the code cache (cache.h), and a .cwasm carries them precompiled.
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#include "wasm/binary/reader.h"
#include "wasm/interp/code.h"
#include "wasm/native/cache.h"
#include "wasm/native/context.h"
#include "wasm/native/loop_polls.h"
#include "wasm/native/native.h"
#include "wasm/native/translate.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"

namespace weft::native {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string to_string(llvm::Error e) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << e;
  return out;
}

// WEFT_TIER_LOG=1: a line on stderr for each batch compiled or loaded.
bool tier_log() {
  static const bool on = [] {
    const char* env = std::getenv("WEFT_TIER_LOG");
    return env != nullptr && *env != 0 && std::strcmp(env, "0") != 0;
  }();
  return on;
}

// The process's JIT, made on first use, with the helpers generated code
// calls defined as absolute symbols in its main JITDylib.
class Jit {
 public:
  static Result<Jit*> get() {
    static std::once_flag once;
    static Jit* jit = nullptr;
    static std::string failure;
    std::call_once(once, [] {
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
      auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
      if (!jtmb) {
        failure = to_string(jtmb.takeError());
        return;
      }
      auto made = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
      if (!made) {
        failure = to_string(made.takeError());
        return;
      }
      auto* j = new Jit;
      j->lljit = std::move(*made);
      if (llvm::Error e = j->define_helpers()) {
        failure = to_string(std::move(e));
        delete j;
        return;
      }
      jit = j;
    });
    if (jit == nullptr) return Error::limit("the LLVM JIT is unavailable: " + failure);
    return jit;
  }

  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::mutex mutex;  // around linking objects, looking symbols up, removing JITDylibs
  std::atomic<uint64_t> next_module{0};

 private:
  llvm::Error define_helpers() {
    llvm::orc::JITDylib& jd = lljit->getMainJITDylib();
    llvm::orc::SymbolMap symbols;
    auto add = [&](const char* name, auto* fn) {
      symbols[lljit->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                               llvm::JITSymbolFlags::Exported};
    };
    add("weft_native_trap", &weft_native_trap);
    add("weft_native_raise", &weft_native_raise);
    add("weft_native_call", &weft_native_call);
    add("weft_native_call_indirect", &weft_native_call_indirect);
    add("weft_native_poll", &weft_native_poll);
    add("weft_native_memory_grow", &weft_native_memory_grow);
    add("weft_native_memory_fill", &weft_native_memory_fill);
    add("weft_native_memory_copy", &weft_native_memory_copy);
    add("weft_native_memory_init", &weft_native_memory_init);
    add("weft_native_data_drop", &weft_native_data_drop);
    add("weft_native_ref_func", &weft_native_ref_func);
    add("weft_native_table_get", &weft_native_table_get);
    add("weft_native_table_set", &weft_native_table_set);
    add("weft_native_table_size", &weft_native_table_size);
    add("weft_native_table_grow", &weft_native_table_grow);
    add("weft_native_table_fill", &weft_native_table_fill);
    add("weft_native_table_copy", &weft_native_table_copy);
    add("weft_native_table_init", &weft_native_table_init);
    add("weft_native_elem_drop", &weft_native_elem_drop);
    add("weft_native_memory_m", &weft_native_memory_m);
    add("weft_native_throw", &weft_native_throw);
    add("weft_native_throw_ref", &weft_native_throw_ref);
    add("weft_native_call_catching", &weft_native_call_catching);
    add("weft_native_call_indirect_catching", &weft_native_call_indirect_catching);
    add("weft_native_catch", &weft_native_catch);
    add("weft_native_set_exception", &weft_native_set_exception);
    add("weft_native_set_exception_ref", &weft_native_set_exception_ref);
    return jd.define(llvm::orc::absoluteSymbols(std::move(symbols)));
  }
};

// When a batch stops: past its own time cap (batch_time_cap), past the
// caller's deadline (the up-front compile's budget), or abandoned (the
// program is stopping). Checked between optimization passes, so a batch
// runs at most one pass past any of them.
struct GiveUp {
  enum class Why { No, Cap, Deadline, Abandoned };
  Clock::time_point cap = Clock::time_point::max();
  Clock::time_point deadline = Clock::time_point::max();
  // The program is stopping: its exit does not wait for LLVM.
  std::function<bool()> abandoned;
  Why why() const {
    const Clock::time_point now = Clock::now();
    if (now >= cap) return Why::Cap;
    if (now >= deadline) return Why::Deadline;
    if (abandoned && abandoned()) return Why::Abandoned;
    return Why::No;
  }
};

// O2. Returns false when `give_up` said so before the last pass (the rest
// were skipped: the module is not worth emitting).
bool optimize(llvm::Module& m, llvm::TargetMachine* tm, const GiveUp& give_up) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassInstrumentationCallbacks callbacks;
  bool gave_up = false;
  callbacks.registerShouldRunOptionalPassCallback([&](llvm::StringRef, llvm::Any) {
    gave_up = gave_up || give_up.why() != GiveUp::Why::No;
    return !gave_up;
  });
  llvm::PassBuilder pb(tm, llvm::PipelineTuningOptions(), std::nullopt, &callbacks);
  add_short_loop_versioning(pb);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
  return !gave_up;
}

// One batch on its way to an object file. Translating reads the wasm
// module; optimizing and emitting do not, so a module may go while its
// batch is being optimized. Touches no shared LLVM state (its own context
// and TargetMachine): batches compile on several threads at once.
struct BatchIr {
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> m;
};

// Whether `mod`'s code goes without bounds checks: the process reserves
// guarded memories (enable()) and the module has a memory to access.
bool guarded_code(const detail::ModuleImpl& mod) {
  return detail::guarded_memories() && !mod.decl.memories.empty();
}

Result<BatchIr> translate_batch(const detail::ModuleImpl& mod, std::span<const uint32_t> funcs) {
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return Error::limit("LLVM: " + to_string(jtmb.takeError()));
  auto tm = jtmb->createTargetMachine();
  if (!tm) return Error::limit("LLVM: " + to_string(tm.takeError()));
  BatchIr ir;
  ir.tm = std::move(*tm);
  ir.context = std::make_unique<llvm::LLVMContext>();
  ir.m = std::make_unique<llvm::Module>("wasm", *ir.context);
  // The layout first: IRBuilder takes alignments from it.
  ir.m->setDataLayout(ir.tm->createDataLayout());
  ir.m->setTargetTriple(ir.tm->getTargetTriple().str());
  translate_functions(*ir.m, mod, funcs, guarded_code(mod));
  return ir;
}

// An object file, or none when the batch gave up (GiveUp) while it was
// being optimized. Once the code generator has run, its object is kept
// whatever the time: the work is done.
struct Emitted {
  std::optional<std::string> object;
  GiveUp::Why gave_up = GiveUp::Why::No;  // why there is no object
  double optimize_ms = 0;
  double codegen_ms = 0;
};

Result<Emitted> emit_object(BatchIr& ir, const GiveUp& give_up) {
  std::string broken;
  llvm::raw_string_ostream os(broken);
  if (llvm::verifyModule(*ir.m, &os))
    return Error::limit("invalid IR from the translator: " + broken);
  Emitted out;
  const Clock::time_point t0 = Clock::now();
  const bool optimized = optimize(*ir.m, ir.tm.get(), give_up);
  out.optimize_ms = ms_since(t0);
  if (!optimized) {
    out.gave_up = give_up.why();
    return out;
  }
  lower_canonicalize(*ir.m);
  // For whoever works on the translator: the optimized IR of each batch,
  // appended to the file WEFT_NATIVE_DUMP_IR names.
  if (const char* dump = std::getenv("WEFT_NATIVE_DUMP_IR")) {
    static std::mutex dump_mutex;
    std::lock_guard lock(dump_mutex);
    std::error_code ec;
    llvm::raw_fd_ostream file(dump, ec, llvm::sys::fs::OF_Append);
    if (!ec) ir.m->print(file, nullptr);
  }
  const Clock::time_point t1 = Clock::now();
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream stream(object);
  llvm::legacy::PassManager codegen;
  if (ir.tm->addPassesToEmitFile(codegen, stream, nullptr, llvm::CodeGenFileType::ObjectFile))
    return Error::limit("LLVM cannot emit an object file for this machine");
  // The code generator cannot be interrupted; its time is about the
  // optimizer's, and the per-function cut-off bounds both.
  codegen.run(*ir.m);
  out.codegen_ms = ms_since(t1);
  out.object = std::string(object.begin(), object.end());
  return out;
}

Result<Emitted> compile_object(const detail::ModuleImpl& mod, std::span<const uint32_t> funcs,
                               const GiveUp& give_up) {
  WEFT_TRY(BatchIr ir, translate_batch(mod, funcs));
  return emit_object(ir, give_up);
}

size_t code_words(const detail::ModuleImpl& mod, std::span<const uint32_t> funcs) {
  size_t words = 0;
  for (uint32_t f : funcs) words += mod.code[f]->code.size();
  return words;
}

// With WEFT_NATIVE_PERF_MAP set: /tmp/perf-PID.map lines for `perf report`
// to name native functions. ORC reports no sizes here, so each function is
// taken to reach the next one's start (within the batch).
void write_perf_map(const std::string& module_name, std::span<const uint32_t> funcs,
                    const std::vector<const void*>& entries) {
  std::vector<std::pair<uintptr_t, uint32_t>> sorted;
  for (size_t i = 0; i < funcs.size(); ++i)
    sorted.emplace_back(reinterpret_cast<uintptr_t>(entries[i]), funcs[i]);
  std::sort(sorted.begin(), sorted.end());
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  if (FILE* out = std::fopen(path.c_str(), "a")) {
    for (size_t i = 0; i < sorted.size(); ++i) {
      const uintptr_t size = i + 1 < sorted.size() ? sorted[i + 1].first - sorted[i].first : 4096;
      std::fprintf(out, "%lx %lx %s_%s\n", static_cast<unsigned long>(sorted[i].first),
                   static_cast<unsigned long>(size), module_name.c_str(),
                   native_symbol(sorted[i].second).c_str());
    }
    std::fclose(out);
  }
}

// ---- caps on compiling ----------------------------------------------------
// A module built to be slow to compile must not hold anything up (issue 11,
// "Bad input"). Three caps:
// - per function: the cut-off in translate.cpp (50,000 register words,
//   2000 slots); bigger functions stay interpreted;
// - memory: a batch has at most kMaxBatchWords words. LLVM's memory grows
//   with the batch: the 5.5 MB spidermonkey-embedding-splicer module as one
//   batch (2.07 M words) peaked at 978 MB, about 470 bytes a word, so a
//   batch stays near 30 MB;
// - time: a batch stops at the first pass boundary past its cap
//   (batch_time_cap), and is split in two and tried again; a single
//   function over its cap stays interpreted.
constexpr size_t kMaxBatchWords = 60000;

// Milliseconds from the environment variable `name`, or `fallback`.
long env_ms(const char* name, long fallback) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != 0 ? std::atol(env) : fallback;
}

// 2 s plus 1 ms a word: ten times what measured batches take (json's
// 11,488 words: 0.05 ms a word; a 300-deep loop nest, the worst found:
// 0.11 ms a word). WEFT_NATIVE_BATCH_CAP_MS sets it outright (tests).
std::chrono::milliseconds batch_time_cap(size_t words) {
  static const long fixed = env_ms("WEFT_NATIVE_BATCH_CAP_MS", -1);
  if (fixed >= 0) return std::chrono::milliseconds(fixed);
  return std::chrono::milliseconds(2000 + static_cast<long>(words));
}

// How long `--tier optimized` compiles before the module runs: what is not
// compiled by then starts interpreted and tiers up in the background, as
// with `auto`. WEFT_TIER_BUDGET_MS sets it.
std::chrono::milliseconds up_front_budget() {
  static const long ms = env_ms("WEFT_TIER_BUDGET_MS", 5000);
  return std::chrono::milliseconds(std::max(0L, ms));
}

// `funcs` in function-index order, cut into batches of at most `max_words`.
std::vector<std::vector<uint32_t>> split_batches(const detail::ModuleImpl& mod,
                                                 std::span<const uint32_t> funcs,
                                                 size_t max_words) {
  std::vector<std::vector<uint32_t>> out;
  size_t words = 0;
  for (uint32_t f : funcs) {
    const size_t w = mod.code[f]->code.size();
    if (out.empty() || (words > 0 && words + w > max_words)) {
      out.emplace_back();
      words = 0;
    }
    out.back().push_back(f);
    words += w;
  }
  return out;
}

// A batch over its time cap: halves to try next, or (one function) none.
bool split_in_two(std::vector<uint32_t>& batch, std::deque<std::vector<uint32_t>>& front) {
  if (batch.size() < 2) return false;
  std::vector<uint32_t> second(batch.begin() + static_cast<ptrdiff_t>(batch.size() / 2),
                               batch.end());
  batch.resize(batch.size() / 2);
  front.push_front(std::move(second));
  front.push_front(std::move(batch));
  return true;
}

// `func` is the function's index in the module (imports counted).
void warn_over_cap(const std::string& module_name, uint32_t func, size_t words) {
  std::fprintf(stderr,
               "weft: warning: optimizing tier: %s: function %u (%zu words) took longer than its "
               "compile cap (%lld ms); it stays interpreted\n",
               module_name.c_str(), func, words,
               static_cast<long long>(batch_time_cap(words).count()));
}

// The up-front compile of `--tier optimized` and `weft compile`: batches
// on up to four threads until `deadline`. Batches not started by then, or
// stopped by it, are handed back in `left`; a function over its cap is
// warned about and left out of both (it stays interpreted).
struct UpFront {
  std::vector<Batch> compiled;
  std::vector<uint32_t> left;
  std::optional<Error> error;  // the first LLVM or translator failure
};

UpFront compile_up_front(const detail::ModuleImpl& mod, std::span<const uint32_t> funcs,
                         Clock::time_point deadline, const std::string& module_name) {
  std::deque<std::vector<uint32_t>> queue;
  for (auto& b : split_batches(mod, funcs, kMaxBatchWords)) queue.push_back(std::move(b));
  UpFront out;
  std::mutex mutex;
  auto work = [&] {
    for (;;) {
      std::vector<uint32_t> batch;
      {
        std::lock_guard lock(mutex);
        if (queue.empty() || out.error || Clock::now() >= deadline) return;
        batch = std::move(queue.front());
        queue.pop_front();
      }
      const size_t words = code_words(mod, batch);
      GiveUp give_up;
      give_up.cap = Clock::now() + batch_time_cap(words);
      give_up.deadline = deadline;
      Result<Emitted> emitted = compile_object(mod, batch, give_up);
      std::lock_guard lock(mutex);
      if (!emitted) {
        if (!out.error) out.error = emitted.error();
      } else if (emitted->object) {
        if (tier_log()) {
          std::fprintf(stderr,
                       "weft: tier: %s: batch of %zu functions (%zu words): optimized in %.1f ms, "
                       "code generated in %.1f ms\n",
                       module_name.c_str(), batch.size(), words, emitted->optimize_ms,
                       emitted->codegen_ms);
        }
        out.compiled.push_back(Batch{std::move(batch), std::move(*emitted->object), {}});
      } else if (emitted->gave_up == GiveUp::Why::Deadline) {
        queue.push_front(std::move(batch));
      } else if (!split_in_two(batch, queue)) {
        warn_over_cap(module_name, batch.front() + mod.decl.funcs_imported, words);
      }
    }
  };
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t helpers = std::min<size_t>({cores, 4, queue.size()}) - 1;
  std::vector<std::jthread> threads;  // joined however this returns
  try {
    for (size_t i = 0; i < helpers; ++i) threads.emplace_back(work);
  } catch (const std::system_error&) {
    // No more threads to be had: the ones made (and this one) do the work.
  }
  work();
  threads.clear();
  for (const auto& b : queue) out.left.insert(out.left.end(), b.begin(), b.end());
  std::sort(out.left.begin(), out.left.end());
  // In function order whichever thread finished first (a .cwasm of the
  // same module is the same unless a batch went over its cap).
  std::sort(out.compiled.begin(), out.compiled.end(),
            [](const Batch& a, const Batch& b) { return a.funcs.front() < b.funcs.front(); });
  return out;
}

struct TierUpJob;

// What a wasm module owns of the tier: its JITDylib, the NativeFunc records
// its CompiledFuncs point at, and its background job, if any.
struct NativeCode {
  Jit* jit = nullptr;
  llvm::orc::JITDylib* jd = nullptr;
  std::string name;                      // the JITDylib's, for logs and perf maps
  std::deque<detail::NativeFunc> funcs;  // never moves an element
  std::shared_ptr<TierUpJob> job;

  // Links `object` and points each of `funcs`' CompiledFuncs at its code.
  // On failure nothing of it stays linked.
  Result<void> load(detail::ModuleImpl& mod, std::span<const uint32_t> batch_funcs,
                    const std::string& object) {
    std::lock_guard lock(jit->mutex);
    llvm::orc::ResourceTrackerSP tracker = jd->createResourceTracker();
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, name);
    if (llvm::Error e = jit->lljit->addObjectFile(tracker, std::move(buffer)))
      return Error::limit("LLVM: " + to_string(std::move(e)));
    std::vector<const void*> entries;
    for (uint32_t f : batch_funcs) {
      auto addr = jit->lljit->lookup(*jd, native_symbol(f));
      if (!addr) {
        std::string why = to_string(addr.takeError());
        llvm::consumeError(tracker->remove());
        return Error::limit("LLVM: " + why);
      }
      entries.push_back(addr->toPtr<void*>());
    }
    if (std::getenv("WEFT_NATIVE_PERF_MAP") != nullptr) write_perf_map(name, batch_funcs, entries);
    for (size_t i = 0; i < batch_funcs.size(); ++i) {
      funcs.push_back(make_native_func(entries[i], guarded_code(mod)));
      mod.code[batch_funcs[i]]->native.store(&funcs.back(), std::memory_order_release);
    }
    return {};
  }

  ~NativeCode();
};

// A module's background compile. The worker holds `running` while it
// reads the module (translating a batch, linking one); the module's
// NativeCode sets `cancelled` and waits for `running` to clear before the
// module goes, so the worker never sees a dead module. Optimizing a batch
// happens outside: a module does not wait for LLVM to go.
struct TierUpJob {
  detail::ModuleImpl* mod = nullptr;
  NativeCode* code = nullptr;
  std::optional<ModuleCache> cache;
  std::vector<uint32_t> pending;  // translatable, not yet native; the worker's only
  // Halves of a batch that went over its time cap, compiled before the
  // rest (the worker's only).
  std::deque<std::vector<uint32_t>> splits;
  Clock::time_point started = Clock::now();
  size_t batches = 0;
  size_t compiled = 0;

  std::mutex mutex;
  std::condition_variable idle;
  bool cancelled = false;
  bool running = false;
};

NativeCode::~NativeCode() {
  if (job) {
    std::unique_lock lock(job->mutex);
    job->cancelled = true;
    job->idle.wait(lock, [&] { return !job->running; });
  }
  if (jd != nullptr) {
    std::lock_guard lock(jit->mutex);
    llvm::consumeError(jit->lljit->getExecutionSession().removeJITDylib(*jd));
  }
}

// Register-code words per batch: a first batch of hot functions small, so
// that they are ready soon; later ones larger, so that fewer objects are
// linked (calls between batches take the helper's path).
constexpr size_t kHotBatchWords = 4000;
constexpr size_t kColdBatchWords = 20000;
// How long a module's first batch waits for a function to be called, so
// that it compiles what the module runs rather than whatever comes first.
constexpr auto kFirstHeatWait = std::chrono::milliseconds(3);

std::vector<uint32_t> take_batch(TierUpJob& job) {
  const detail::ModuleImpl& mod = *job.mod;
  // A snapshot of the counters: running guests bump them during the sort,
  // and a comparator whose answers change is undefined behaviour.
  struct Heat {
    uint32_t heat;
    uint32_t func;
  };
  std::vector<Heat> by_heat;
  by_heat.reserve(job.pending.size());
  for (uint32_t f : job.pending)
    by_heat.push_back({mod.code[f]->heat.load(std::memory_order_relaxed), f});
  std::stable_sort(by_heat.begin(), by_heat.end(),
                   [](const Heat& a, const Heat& b) { return a.heat > b.heat; });
  const bool hot = by_heat.front().heat > 0;
  const size_t budget = hot ? kHotBatchWords : kColdBatchWords;
  size_t n = 0;
  size_t words = 0;
  while (n < by_heat.size() && (n == 0 || words < budget) && (!hot || by_heat[n].heat > 0)) {
    words += mod.code[by_heat[n].func]->code.size();
    ++n;
  }
  std::vector<uint32_t> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) batch.push_back(by_heat[i].func);
  job.pending.clear();
  for (size_t i = n; i < by_heat.size(); ++i) job.pending.push_back(by_heat[i].func);
  std::sort(batch.begin(), batch.end());
  return batch;
}

// Background threads: half the cores (at least one, at most four), so that
// a tier-up never takes all of a machine that is serving.
class TierUpQueue {
 public:
  static TierUpQueue& get() {
    static TierUpQueue queue;
    return queue;
  }

  void push(std::shared_ptr<TierUpJob> job) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;  // the module runs on interpreted
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  // Lets the batches being compiled finish and joins the threads; queued
  // work is dropped. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      jobs_.clear();
    }
    wake_.notify_all();
    std::lock_guard lock(join_mutex_);
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

  ~TierUpQueue() { stop(); }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

 private:
  TierUpQueue() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned n = std::clamp(cores / 2, 1u, 4u);
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }

  void work() {
    for (;;) {
      std::shared_ptr<TierUpJob> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      {
        std::lock_guard lock(job->mutex);
        if (job->cancelled) continue;
        job->running = true;
      }
      run_batch(*job);
      bool again = false;
      {
        std::lock_guard lock(job->mutex);
        again = !job->cancelled && (!job->pending.empty() || !job->splits.empty());
      }
      // To the back: modules take turns, so one huge module does not
      // hold up the others.
      if (again) push(std::move(job));
    }
  }

  // Called with job.running held; returns with it released.
  static void run_batch(TierUpJob& job) {
    auto release = [&] {
      {
        std::lock_guard lock(job.mutex);
        job.running = false;
      }
      job.idle.notify_all();
    };
    if (job.batches == 0) {
      auto any_hot = [&] {
        for (uint32_t f : job.pending)
          if (job.mod->code[f]->heat.load(std::memory_order_relaxed) > 0) return true;
        return false;
      };
      while (!any_hot() && Clock::now() - job.started < kFirstHeatWait)
        std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    std::vector<uint32_t> batch;
    if (!job.splits.empty()) {
      batch = std::move(job.splits.front());
      job.splits.pop_front();
    } else {
      batch = take_batch(job);
    }
    ++job.batches;
    uint32_t hottest = 0;
    for (uint32_t f : batch)
      hottest = std::max(hottest, job.mod->code[f]->heat.load(std::memory_order_relaxed));
    const size_t words = code_words(*job.mod, batch);
    const std::string name = job.code->name;
    // For the warning after release(), when the module may be gone.
    const uint32_t first_index = batch.front() + job.mod->decl.funcs_imported;
    const Clock::time_point t0 = Clock::now();
    Result<BatchIr> ir = translate_batch(*job.mod, batch);
    release();
    {
      // Optimizing takes the longest: a module that went, or a program
      // that is stopping, does not wait for it.
      std::lock_guard lock(job.mutex);
      if (job.cancelled) return;
    }
    if (TierUpQueue::get().stopping()) return;
    GiveUp give_up;
    give_up.cap = Clock::now() + batch_time_cap(words);
    give_up.abandoned = [] { return TierUpQueue::get().stopping(); };
    Result<Emitted> emitted = ir ? emit_object(ir.value(), give_up) : Result<Emitted>(ir.error());
    if (emitted && !emitted->object) {
      if (emitted->gave_up != GiveUp::Why::Cap) return;  // stopping
      // Over its cap: its halves go next, or the one function stays
      // interpreted. `splits` is the worker's: no lock.
      if (!split_in_two(batch, job.splits)) warn_over_cap(name, first_index, words);
      return;
    }
    Result<std::string> object = emitted ? Result<std::string>(std::move(*emitted->object))
                                         : Result<std::string>(emitted.error());
    if (object && job.cache) job.cache->store(Batch{batch, object.value(), {}});
    {
      std::lock_guard lock(job.mutex);
      if (job.cancelled) return;  // the module is gone; the cache has the batch
      job.running = true;
    }
    Result<void> loaded =
        object ? job.code->load(*job.mod, batch, object.value()) : Result<void>(object.error());
    if (!loaded) {
      // Those functions stay interpreted; the rest go on.
      std::fprintf(stderr, "weft: warning: optimizing tier: %s: %zu functions stay interpreted\n",
                   loaded.error().to_string().c_str(), batch.size());
    } else {
      job.compiled += batch.size();
      if (tier_log()) {
        std::fprintf(stderr,
                     "weft: tier: %s: batch %zu: %zu functions (%zu words, heat %u) in %.1f ms\n",
                     name.c_str(), job.batches, batch.size(), words, hottest, ms_since(t0));
        if (job.pending.empty() && job.splits.empty()) {
          std::fprintf(stderr, "weft: tier: %s: all %zu functions native %.1f ms after start\n",
                       name.c_str(), job.compiled, ms_since(job.started));
        }
      }
    }
    release();
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<TierUpJob>> jobs_;
  bool stopping_ = false;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
};

std::atomic<bool> queue_made{false};
TierUpQueue& tier_up_queue() {
  queue_made.store(true);
  return TierUpQueue::get();
}

Result<std::shared_ptr<NativeCode>> new_native_code(Jit* jit) {
  auto code = std::make_shared<NativeCode>();
  code->jit = jit;
  code->name = "weft_m" + std::to_string(jit->next_module.fetch_add(1));
  std::lock_guard lock(jit->mutex);
  auto jd = jit->lljit->createJITDylib(code->name);
  if (!jd) return Error::limit("LLVM: " + to_string(jd.takeError()));
  code->jd = &*jd;
  // The helpers are in the main JITDylib.
  code->jd->addToLinkOrder(jit->lljit->getMainJITDylib());
  return code;
}

class LlvmCompiler final : public OptimizingCompiler {
 public:
  Result<PrecompiledParts> open_precompiled(std::span<const uint8_t> bytes) const override {
    WEFT_TRY(Precompiled parts, read_precompiled(bytes));
    return PrecompiledParts{parts.wasm, parts.native};
  }
  Result<void> compile(detail::ModuleImpl& mod, std::span<const uint8_t> wasm, Tier tier,
                       const CompileOptions& options) const override {
    WEFT_TRY(Jit * jit, Jit::get());
    const uint32_t defined = mod.decl.defined_func_count();
    if (!options.precompiled.empty()) {
      WEFT_TRY(std::vector<Batch> batches, parse_batches(options.precompiled, defined));
      WEFT_TRY(std::shared_ptr<NativeCode> code, new_native_code(jit));
      // The module owns the code before any function points into it, so
      // that a failure after some batches are linked leaves no function
      // pointing at freed code.
      mod.native_code = code;
      size_t linked = 0;
      for (const Batch& b : batches) {
        WEFT_CHECK(code->load(mod, b.funcs, b.object));
        linked += b.funcs.size();
      }
      if (tier_log())
        std::fprintf(stderr, "weft: tier: %s: %zu functions precompiled\n", code->name.c_str(),
                     linked);
      return {};
    }
    std::vector<uint32_t> too_big;
    std::vector<uint32_t> pending = translatable_functions(mod, &too_big);
    if (tier_log()) {
      for (uint32_t f : too_big) {
        std::fprintf(stderr,
                     "weft: tier: function %u (%zu words, %u slots) stays interpreted: over the "
                     "size cut-off\n",
                     f + mod.decl.funcs_imported, mod.code[f]->code.size(),
                     mod.code[f]->frame_size);
      }
    }
    if (pending.empty()) return {};
    WEFT_TRY(std::shared_ptr<NativeCode> code, new_native_code(jit));
    mod.native_code = code;  // as above
    std::optional<ModuleCache> cache = ModuleCache::open(wasm);
    if (cache) {
      std::vector<bool> done(defined, false);
      size_t from_cache = 0;
      for (const Batch& b : cache->load(defined)) {
        // An entry for functions this build would not translate cannot
        // come from this build: its key would differ. Still, load only
        // what the translator covers.
        bool usable = true;
        for (uint32_t f : b.funcs)
          usable = usable && std::binary_search(pending.begin(), pending.end(), f);
        if (!usable) {
          cache->discard(b);
          continue;
        }
        if (Result<void> linked = code->load(mod, b.funcs, b.object); !linked) {
          if (tier_log()) {
            std::fprintf(stderr, "weft: tier: %s: cache entry for %zu functions not linked (%s)\n",
                         code->name.c_str(), b.funcs.size(), linked.error().to_string().c_str());
          }
          cache->discard(b);
          continue;
        }
        for (uint32_t f : b.funcs) done[f] = true;
        from_cache += b.funcs.size();
      }
      std::erase_if(pending, [&](uint32_t f) { return done[f]; });
      if (tier_log() && from_cache > 0) {
        std::fprintf(stderr, "weft: tier: %s: %zu functions from the cache, %zu to compile\n",
                     code->name.c_str(), from_cache, pending.size());
      }
    }
    if (!pending.empty() && tier == Tier::Optimized) {
      // Up front, in batches of at most kMaxBatchWords (a small module is
      // one batch, so every call between its functions is direct), until
      // the budget is spent; the rest tiers up in the background.
      const Clock::time_point t0 = Clock::now();
      UpFront done = compile_up_front(mod, pending, t0 + up_front_budget(), code->name);
      if (done.error) return *done.error;
      size_t compiled = 0;
      size_t words = 0;
      for (Batch& b : done.compiled) {
        WEFT_CHECK(code->load(mod, b.funcs, b.object));
        compiled += b.funcs.size();
        words += code_words(mod, b.funcs);
        if (cache) cache->store(std::move(b));
      }
      if (tier_log()) {
        std::fprintf(stderr, "weft: tier: %s: %zu functions (%zu words) compiled in %.1f ms\n",
                     code->name.c_str(), compiled, words, ms_since(t0));
      }
      if (!done.left.empty()) {
        std::fprintf(stderr,
                     "weft: warning: optimizing tier: %s: %zu of %zu functions not compiled within "
                     "%lld ms (WEFT_TIER_BUDGET_MS); they start interpreted and tier up in the "
                     "background\n",
                     code->name.c_str(), done.left.size(), pending.size(),
                     static_cast<long long>(up_front_budget().count()));
      }
      pending = std::move(done.left);
    }
    if (!pending.empty()) {
      auto job = std::make_shared<TierUpJob>();
      job->mod = &mod;
      job->code = code.get();
      job->cache = std::move(cache);
      job->pending = std::move(pending);
      code->job = job;
      tier_up_queue().push(std::move(job));
    }
    return {};
  }
};

using detail::kPrecompiledMagic;

}  // namespace

const OptimizingCompiler& llvm_compiler() {
  static const LlvmCompiler compiler;
  return compiler;
}

void enable(Tier tier) {
  set_optimizing_compiler(&llvm_compiler());
  set_default_tier(tier);
  // Memories with guard regions, so that native code has no bounds checks,
  // unless WEFT_NATIVE_BOUNDS=checks asks for them (tests, benchmarks) or
  // the process cannot have them: no fault handler for this CPU, or an
  // address-space limit (ulimit -v) below one guarded reservation.
  static const bool guarded = [] {
    const char* why = nullptr;
    const char* bounds = std::getenv("WEFT_NATIVE_BOUNDS");
    if (bounds != nullptr && std::string_view(bounds) == "checks") {
      why = "WEFT_NATIVE_BOUNDS=checks";
    } else if (void* probe = mmap(nullptr, detail::kGuardedReservationBytes, PROT_NONE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
               probe == MAP_FAILED) {
      why = "no address space for a guard region";
    } else {
      munmap(probe, detail::kGuardedReservationBytes);
      if (!install_fault_handler()) why = "no fault handler for this CPU";
    }
    if (tier_log()) {
      std::fprintf(stderr, "weft: tier: memory accesses %s%s%s\n",
                   why ? "bounds-checked (" : "guarded (no bounds checks)", why ? why : "",
                   why ? ")" : "");
    }
    return why == nullptr;
  }();
  detail::set_guarded_memories(guarded);
}

void stop_background_compiles() {
  if (queue_made.load()) TierUpQueue::get().stop();
}

bool is_precompiled(std::span<const uint8_t> bytes) { return is_precompiled_module(bytes); }

// magic | u32 key length | key | SHA-256 of the rest | u64 wasm length |
// wasm | batches (serialize_batches)
Result<std::string> compile_precompiled(std::span<const uint8_t> wasm) {
  if (code_key().empty())
    return Error::limit(
        "this weft binary has no build id, so its code cannot be told from "
        "another build's: precompiling is off");
  WEFT_TRY(Jit * jit, Jit::get());
  (void)jit;
  CompileOptions interp;
  interp.tier = Tier::Interpreter;
  WEFT_TRY(std::shared_ptr<const Module> module, Module::compile(wasm, interp));
  const detail::ModuleImpl& mod = module->impl();
  std::vector<Batch> batches;
  std::vector<uint32_t> funcs = translatable_functions(mod);
  if (!funcs.empty()) {
    UpFront done = compile_up_front(mod, funcs, Clock::time_point::max(), "weft compile");
    if (done.error) return *done.error;
    batches = std::move(done.compiled);
  }
  std::string rest;
  for (int i = 0; i < 8; ++i) rest += static_cast<char>(uint64_t{wasm.size()} >> (8 * i));
  rest.append(reinterpret_cast<const char*>(wasm.data()), wasm.size());
  rest += serialize_batches(batches);
  std::string out(kPrecompiledMagic, sizeof kPrecompiledMagic);
  const std::string& key = code_key();
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>(static_cast<uint32_t>(key.size()) >> (8 * i));
  out += key;
  const std::string digest =
      sha256_hex({reinterpret_cast<const uint8_t*>(rest.data()), rest.size()});
  out += digest;
  out += rest;
  return out;
}

Result<Precompiled> read_precompiled(std::span<const uint8_t> bytes) {
  auto bad = [](uint64_t at, const std::string& what) {
    return Error::malformed(at, "precompiled module: " + what);
  };
  if (!is_precompiled(bytes)) return bad(0, "no WEFTCWSM header");
  size_t pos = sizeof kPrecompiledMagic;
  auto u64_at = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{bytes[at + i]} << (8 * i);
    return v;
  };
  if (bytes.size() - pos < 4) return bad(pos, "truncated key");
  const uint64_t key_len = u64_at(pos, 4);
  pos += 4;
  if (key_len > bytes.size() - pos) return bad(pos, "truncated key");
  const std::string_view key(reinterpret_cast<const char*>(bytes.data() + pos), key_len);
  if (code_key().empty())
    return bad(pos, "this weft binary has no build id and cannot check the file's");
  if (key != code_key()) {
    // The same build and CPU, the other memory mode (WEFT_NATIVE_BOUNDS,
    // or an address-space limit too small for guard regions).
    auto mode_of = [](std::string_view k) {
      const size_t at = k.rfind("; memory ");
      return at == std::string_view::npos ? k : k.substr(0, at);
    };
    if (mode_of(key) == mode_of(code_key())) {
      return bad(pos, std::string("compiled for ") +
                          (detail::guarded_memories() ? "bounds-checked" : "guarded") +
                          " memories, but this process has " +
                          (detail::guarded_memories()
                               ? "guarded ones"
                               : "bounds-checked ones (WEFT_NATIVE_BOUNDS=checks, or an "
                                 "address-space limit below 8 GiB)") +
                          "; compile it again in the same setting");
    }
    return bad(pos, "made by another weft build or for another CPU (it says \"" + std::string(key) +
                        "\", this is \"" + code_key() + "\"); compile it again with this weft");
  }
  pos += key_len;
  if (bytes.size() - pos < 64) return bad(pos, "truncated checksum");
  const std::string_view digest(reinterpret_cast<const char*>(bytes.data() + pos), 64);
  pos += 64;
  if (digest != sha256_hex(bytes.subspan(pos))) return bad(pos, "checksum mismatch (corrupt file)");
  if (bytes.size() - pos < 8) return bad(pos, "truncated module length");
  const uint64_t wasm_len = u64_at(pos, 8);
  pos += 8;
  if (wasm_len > bytes.size() - pos) return bad(pos, "module runs past the end");
  Precompiled out;
  out.wasm = bytes.subspan(pos, wasm_len);
  out.native = bytes.subspan(pos + wasm_len);
  return out;
}

}  // namespace weft::native
