// The optimizing tier's compiler: one LLVM module per wasm module, O2, then
// ORC's LLJIT for machine code in memory. A ResourceTracker per wasm module
// frees its code when the module goes.
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "wasm/binary/reader.h"
#include "wasm/interp/code.h"
#include "wasm/native/context.h"
#include "wasm/native/native.h"
#include "wasm/native/translate.h"
#include "wasm/runtime/objects.h"

namespace weft::native {
namespace {

std::string to_string(llvm::Error e) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << e;
  return out;
}

// The process's JIT, made on first use, with the helpers generated code
// calls defined as absolute symbols.
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
  std::mutex mutex;  // around adding a module and looking its symbols up
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
    add("weft_native_fuel", &weft_native_fuel);
    add("weft_native_memory_grow", &weft_native_memory_grow);
    add("weft_native_memory_fill", &weft_native_memory_fill);
    add("weft_native_memory_copy", &weft_native_memory_copy);
    add("weft_native_memory_init", &weft_native_memory_init);
    add("weft_native_data_drop", &weft_native_data_drop);
    return jd.define(llvm::orc::absoluteSymbols(std::move(symbols)));
  }
};

// What a compiled wasm module owns: its code in the JIT and the NativeFunc
// records its CompiledFuncs point at.
struct NativeCode {
  llvm::orc::ResourceTrackerSP tracker;
  std::deque<detail::NativeFunc> funcs;
  ~NativeCode() {
    if (tracker) llvm::consumeError(tracker->remove());
  }
};

void optimize(llvm::Module& m, llvm::TargetMachine* tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
}

// With WEFT_NATIVE_PERF_MAP set: /tmp/perf-PID.map lines for `perf report`
// to name native functions. ORC reports no sizes here, so each function is
// taken to reach the next one's start (within the module).
void write_perf_map(const std::vector<std::string>& names,
                    const std::vector<const void*>& entries) {
  std::vector<std::pair<uintptr_t, const std::string*>> sorted;
  for (size_t i = 0; i < names.size(); ++i) {
    if (entries[i] != nullptr)
      sorted.emplace_back(reinterpret_cast<uintptr_t>(entries[i]), &names[i]);
  }
  std::sort(sorted.begin(), sorted.end());
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  if (FILE* out = std::fopen(path.c_str(), "a")) {
    for (size_t i = 0; i < sorted.size(); ++i) {
      const uintptr_t size = i + 1 < sorted.size() ? sorted[i + 1].first - sorted[i].first : 4096;
      std::fprintf(out, "%lx %lx %s\n", static_cast<unsigned long>(sorted[i].first),
                   static_cast<unsigned long>(size), sorted[i].second->c_str());
    }
    std::fclose(out);
  }
}

class LlvmCompiler final : public OptimizingCompiler {
 public:
  Result<void> compile(detail::ModuleImpl& mod) const override {
    WEFT_TRY(Jit * jit, Jit::get());
    auto context = std::make_unique<llvm::LLVMContext>();
    auto m = std::make_unique<llvm::Module>("wasm", *context);
    const std::string prefix =
        "weft_m" + std::to_string(jit->next_module.fetch_add(1, std::memory_order_relaxed)) + "_f";
    // The layout first: IRBuilder takes alignments from it.
    m->setDataLayout(jit->lljit->getDataLayout());
    m->setTargetTriple(jit->lljit->getTargetTriple().str());
    std::vector<std::string> names = translate_module(*m, mod, prefix);
    bool any = false;
    for (const std::string& n : names) any = any || !n.empty();
    if (!any) return {};
    std::string broken;
    llvm::raw_string_ostream os(broken);
    if (llvm::verifyModule(*m, &os))
      return Error::limit("invalid IR from the translator: " + broken);
    {
      auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
      if (!jtmb) return Error::limit("LLVM: " + to_string(jtmb.takeError()));
      auto tm = jtmb->createTargetMachine();
      if (!tm) return Error::limit("LLVM: " + to_string(tm.takeError()));
      optimize(*m, tm->get());
    }
    // For whoever works on the translator: the optimized IR of each module,
    // appended to the file WEFT_NATIVE_DUMP_IR names.
    if (const char* dump = std::getenv("WEFT_NATIVE_DUMP_IR")) {
      std::error_code ec;
      llvm::raw_fd_ostream out(dump, ec, llvm::sys::fs::OF_Append);
      if (!ec) m->print(out, nullptr);
    }
    auto code = std::make_shared<NativeCode>();
    // The LLJIT has no compile threads: it materializes on the thread that
    // looks a symbol up, with one TargetMachine, so compiles take turns.
    std::lock_guard lock(jit->mutex);
    llvm::orc::JITDylib& jd = jit->lljit->getMainJITDylib();
    code->tracker = jd.createResourceTracker();
    if (llvm::Error e = jit->lljit->addIRModule(
            code->tracker, llvm::orc::ThreadSafeModule(std::move(m), std::move(context)))) {
      return Error::limit("LLVM: " + to_string(std::move(e)));
    }
    std::vector<const void*> entries(names.size(), nullptr);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) continue;
      auto addr = jit->lljit->lookup(jd, names[i]);
      if (!addr) return Error::limit("LLVM: " + to_string(addr.takeError()));
      entries[i] = addr->toPtr<void*>();
    }
    if (std::getenv("WEFT_NATIVE_PERF_MAP") != nullptr) write_perf_map(names, entries);
    for (size_t i = 0; i < names.size(); ++i) {
      if (entries[i] == nullptr) continue;
      code->funcs.push_back(make_native_func(entries[i]));
      mod.code[i]->native.store(&code->funcs.back(), std::memory_order_release);
    }
    mod.native_code = std::move(code);
    return {};
  }
};

}  // namespace

const OptimizingCompiler& llvm_compiler() {
  static const LlvmCompiler compiler;
  return compiler;
}

void enable(Tier tier) {
  set_optimizing_compiler(&llvm_compiler());
  set_default_tier(tier);
}

}  // namespace weft::native
