// Versioning short inner loops without their back-edge poll (loop_polls.h).
//
// Every back-edge polls (translate.cpp), and a loop with a conditional
// call in it is never vectorized. Wasm's own inner loops (a row of a
// matrix product, a byte loop of a hash) are the ones worth vectorizing, so
// the ones whose trip count is known on entry and small get a copy without
// the poll. Three steps, at each peephole point of the function pipeline
// (the versioned loops are no candidates again):
//  1. InsertUnpolledGuards: for each candidate loop (one poll), `unpolled`
//     = trips <= kUnpolledTripCount, the poll flag clear and no induction
//     sum past 2^32, computed in the preheader, and the poll becomes
//        br unpolled, continue, check;  check: br flag, poll, continue
//  2. SimpleLoopUnswitch (non-trivial) versions the loop on `unpolled`,
//     which is loop-invariant: in the copy where it holds the poll is gone.
//  3. UnvolatileUnpolledLoops: that copy (an innermost loop without a poll
//     call, entered only through the true edge of a branch on `unpolled`)
//     gets plain accesses, `nuw` adds and no masks; every mark is then
//     stripped from the function, so nothing later trusts a stale one.
#include "wasm/native/loop_polls.h"

#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/TargetTransformInfo.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/ValueHandle.h>
#include <llvm/Transforms/Scalar/LoopPassManager.h>
#include <llvm/Transforms/Scalar/SimpleLoopUnswitch.h>
#include <llvm/Transforms/Utils/LoopSimplify.h>
#include <llvm/Transforms/Utils/ScalarEvolutionExpander.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace weft::native {
namespace {

bool is_poll_call(const llvm::CallBase& call) {
  const llvm::Function* callee = call.getCalledFunction();
  return callee != nullptr && callee->getName() == kPollHelper;
}

bool calls_poll(const llvm::BasicBlock& bb) {
  for (const llvm::Instruction& i : bb) {
    auto* call = llvm::dyn_cast<llvm::CallBase>(&i);
    if (call && is_poll_call(*call)) return true;
  }
  return false;
}

// A poll as the translator emits it, once optimized (the test may have
// become `eq` with the successors swapped):
//   %f = load atomic i8, ptr %flag monotonic; %c = icmp ne i8 %f, 0
//   br i1 %c, label %poll, label %continue   (!weft.poll)
struct Poll {
  llvm::BranchInst* branch;
  llvm::ICmpInst* test;
  llvm::LoadInst* flag;
  llvm::BasicBlock* slow;  // calls the helper
  llvm::BasicBlock* cont;
};

std::optional<Poll> as_poll(llvm::BranchInst* br) {
  if (!br->isConditional()) return std::nullopt;
  auto* test = llvm::dyn_cast<llvm::ICmpInst>(br->getCondition());
  if (!test || !test->hasOneUse() || test->getParent() != br->getParent()) return std::nullopt;
  auto* flag = llvm::dyn_cast<llvm::LoadInst>(test->getOperand(0));
  if (!flag || !flag->hasOneUse() || flag->getParent() != br->getParent()) return std::nullopt;
  auto* zero = llvm::dyn_cast<llvm::ConstantInt>(test->getOperand(1));
  if (!flag->isAtomic() || !flag->getType()->isIntegerTy(8) || !zero || !zero->isZero())
    return std::nullopt;
  const bool ne = test->getPredicate() == llvm::CmpInst::ICMP_NE;
  if (!ne && test->getPredicate() != llvm::CmpInst::ICMP_EQ) return std::nullopt;
  llvm::BasicBlock* slow = br->getSuccessor(ne ? 0 : 1);
  llvm::BasicBlock* cont = br->getSuccessor(ne ? 1 : 0);
  if (!calls_poll(*slow) || slow == cont) return std::nullopt;
  return Poll{br, test, flag, slow, cont};
}

struct Candidate {
  llvm::Loop* loop;
  std::vector<Poll> polls;
};

// An innermost loop, with a preheader, whose only calls are its polls'
// (intrinsics that write no memory aside: a memset could make one
// iteration long), and whose every poll has the translator's shape.
std::optional<Candidate> candidate(llvm::Loop* loop, unsigned poll_kind) {
  if (!loop->isInnermost() || loop->getLoopPreheader() == nullptr) return std::nullopt;
  Candidate c{loop, {}};
  std::vector<llvm::BasicBlock*> poll_blocks;
  for (llvm::BasicBlock* bb : loop->blocks()) {
    auto* br = llvm::dyn_cast<llvm::BranchInst>(bb->getTerminator());
    if (br && br->getMetadata(poll_kind)) {
      std::optional<Poll> poll = as_poll(br);
      if (!poll) return std::nullopt;
      c.polls.push_back(*poll);
      poll_blocks.push_back(poll->slow);
    }
  }
  // One: unswitching folds the branch it versions on, and a second poll
  // left in the copy would keep it from being one.
  if (c.polls.size() != 1) return std::nullopt;
  for (llvm::BasicBlock* bb : loop->blocks()) {
    for (llvm::Instruction& i : *bb) {
      auto* call = llvm::dyn_cast<llvm::CallBase>(&i);
      if (!call) continue;
      if (auto* intrinsic = llvm::dyn_cast<llvm::IntrinsicInst>(call)) {
        if (!intrinsic->mayWriteToMemory()) continue;
        return std::nullopt;
      }
      if (!is_poll_call(*call) ||
          std::find(poll_blocks.begin(), poll_blocks.end(), bb) == poll_blocks.end()) {
        return std::nullopt;
      }
    }
  }
  return c;
}

// Wasm's addresses are i32 sums, zero-extended, and the translator's i32
// values live in i64 slots masked to 32 bits: an induction variable that
// may wrap keeps its accesses from being seen as strided, so nothing is
// vectorized. For each induction variable counting up by a constant C, in
// either form,
//   i32:  %p = phi [start, preheader], [%n, latch];  %n = add %p, C
//   i64:  %p = phi [start, preheader], [%n, latch];  %n = and (add %p, C), 2^32-1
// the guard also checks that start, and the largest value it and its
// offsets `add %p, K` (K > 0, in the same forms) reach, stay below 2^32.
// Those adds and masks are marked; in the unpolled copy
// (UnvolatileUnpolledLoops) the adds get `nuw` and the masks go, both then
// true. The result is true where there is nothing to check.
llvm::Value* masked_add_operand(llvm::Value* v) {
  auto* mask = llvm::dyn_cast<llvm::BinaryOperator>(v);
  if (mask == nullptr || mask->getOpcode() != llvm::Instruction::And) return nullptr;
  auto* m = llvm::dyn_cast<llvm::ConstantInt>(mask->getOperand(1));
  if (m == nullptr || m->getZExtValue() != 0xffffffffu) return nullptr;
  return mask->getOperand(0);
}

// `v` = add p, K with K > 0 a constant (either operand order): K, else 0.
uint64_t added_constant(llvm::Value* v, llvm::Value* p) {
  auto* add = llvm::dyn_cast<llvm::BinaryOperator>(v);
  if (add == nullptr || add->getOpcode() != llvm::Instruction::Add) return 0;
  llvm::Value* other = add->getOperand(0) == p   ? add->getOperand(1)
                       : add->getOperand(1) == p ? add->getOperand(0)
                                                 : nullptr;
  auto* k = llvm::dyn_cast_or_null<llvm::ConstantInt>(other);
  if (k == nullptr || k->isNegative() || k->isZero() || k->getZExtValue() >= (1u << 30)) return 0;
  return k->getZExtValue();
}

llvm::Value* no_wrap_checks(llvm::Loop* loop, llvm::Value* trips, llvm::IRBuilder<>& b) {
  llvm::Value* all = b.getTrue();
  llvm::BasicBlock* latch = loop->getLoopLatch();
  llvm::BasicBlock* preheader = loop->getLoopPreheader();
  if (latch == nullptr || preheader == nullptr) return all;
  llvm::LLVMContext& ctx = b.getContext();
  const unsigned checked_kind = ctx.getMDKindID(kNoWrapCheckedMetadata);
  llvm::Type* i64 = b.getInt64Ty();
  // At most kUnpolledTripCount back-edges are taken where it matters (the
  // guard has that too), so the sums stay far from 2^64.
  llvm::Value* edges = b.CreateZExtOrTrunc(
      b.CreateBinaryIntrinsic(llvm::Intrinsic::umin, trips,
                              llvm::ConstantInt::get(trips->getType(), kUnpolledTripCount)),
      i64);
  for (llvm::PHINode& phi : loop->getHeader()->phis()) {
    const bool wide = phi.getType()->isIntegerTy(64);
    if (!wide && !phi.getType()->isIntegerTy(32)) continue;
    llvm::Value* next = phi.getIncomingValueForBlock(latch);
    llvm::Value* step_add = wide ? masked_add_operand(next) : next;
    const uint64_t step = step_add ? added_constant(step_add, &phi) : 0;
    if (step == 0) continue;
    auto* step_inst = llvm::cast<llvm::Instruction>(step_add);
    if (!loop->contains(step_inst)) continue;
    // The marked offsets: the step and every `add %p, K` in the loop.
    std::vector<llvm::Instruction*> marks;
    uint64_t largest_offset = 0;
    for (llvm::User* user : phi.users()) {
      auto* add = llvm::dyn_cast<llvm::Instruction>(user);
      if (add == nullptr || !loop->contains(add)) continue;
      const uint64_t k = added_constant(add, &phi);
      if (k == 0) continue;
      if (wide) {
        // Only masked sums: an unmasked one is the guest's own i64 math.
        llvm::Instruction* mask = nullptr;
        for (llvm::User* u : add->users()) {
          if (masked_add_operand(u) == add) mask = llvm::cast<llvm::Instruction>(u);
        }
        if (mask == nullptr) continue;
        marks.push_back(mask);
      }
      marks.push_back(add);
      largest_offset = std::max(largest_offset, k);
    }
    llvm::Value* start = phi.getIncomingValueForBlock(preheader);
    llvm::Value* first = wide ? start : b.CreateZExt(start, i64);
    llvm::Value* last = b.CreateAdd(
        b.CreateAdd(first, b.CreateMul(llvm::ConstantInt::get(i64, step),
                                       b.CreateAdd(edges, llvm::ConstantInt::get(i64, 1)))),
        llvm::ConstantInt::get(i64, largest_offset));
    llvm::Value* bound = llvm::ConstantInt::get(i64, 0xffffffffu);
    all =
        b.CreateAnd(all, b.CreateAnd(b.CreateICmpULE(first, bound), b.CreateICmpULE(last, bound)));
    for (llvm::Instruction* mark : marks)
      mark->setMetadata(checked_kind, llvm::MDNode::get(ctx, {}));
  }
  return all;
}

// Whether `i` is still `add p, K` (0 < K < 2^30) of a header phi of
// `loop`, or a 32-bit mask of one: the shapes no_wrap_checks marked, which
// its guard covers.
bool still_checked_shape(llvm::Instruction& i, const llvm::Loop& loop) {
  llvm::Value* add = &i;
  if (llvm::Value* masked = masked_add_operand(&i)) add = masked;
  auto* op = llvm::dyn_cast<llvm::BinaryOperator>(add);
  if (op == nullptr || op->getOpcode() != llvm::Instruction::Add) return false;
  for (llvm::PHINode& phi : loop.getHeader()->phis()) {
    if (added_constant(op, &phi) != 0) return true;
  }
  return false;
}

struct UnvolatileUnpolledLoops : llvm::PassInfoMixin<UnvolatileUnpolledLoops> {
  // The guards step 1 made in this run (`unpolled`).
  std::vector<llvm::WeakVH> guards;

  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& fam) {
    const unsigned access_kind = f.getContext().getMDKindID(kGuardedAccessMetadata);
    const unsigned checked_kind = f.getContext().getMDKindID(kNoWrapCheckedMetadata);
    auto& loops = fam.getResult<llvm::LoopAnalysis>(f);
    auto& dom = fam.getResult<llvm::DominatorTreeAnalysis>(f);
    // The true edges of the branches on a guard (or on its freeze, as
    // unswitching branches) that sit outside every loop they could enter:
    // what they alone reach is an unpolled copy.
    std::vector<llvm::BasicBlock*> fast_entries;
    for (llvm::BasicBlock& bb : f) {
      auto* br = llvm::dyn_cast<llvm::BranchInst>(bb.getTerminator());
      if (br == nullptr || !br->isConditional()) continue;
      llvm::Value* cond = br->getCondition();
      if (auto* frozen = llvm::dyn_cast<llvm::FreezeInst>(cond)) cond = frozen->getOperand(0);
      if (std::none_of(guards.begin(), guards.end(),
                       [&](const llvm::WeakVH& g) { return g && g == cond; })) {
        continue;
      }
      if (br->getSuccessor(0) == br->getSuccessor(1)) continue;
      fast_entries.push_back(br->getSuccessor(0));
    }
    bool changed = false;
    std::vector<llvm::BinaryOperator*> masks;
    for (llvm::Loop* loop : loops.getLoopsInPreorder()) {
      if (!loop->isInnermost() || loop->getLoopPreheader() == nullptr) continue;
      llvm::BasicBlock* preheader = loop->getLoopPreheader();
      const bool entered_fast =
          std::any_of(fast_entries.begin(), fast_entries.end(), [&](llvm::BasicBlock* entry) {
            return !loop->contains(entry) && dom.dominates(entry, preheader);
          });
      if (!entered_fast) continue;
      if (std::any_of(loop->blocks().begin(), loop->blocks().end(),
                      [](const llvm::BasicBlock* bb) { return calls_poll(*bb); })) {
        continue;  // not unswitched (too large): it keeps its poll and all
      }
      for (llvm::BasicBlock* bb : loop->blocks()) {
        for (llvm::Instruction& i : *bb) {
          if (i.getMetadata(checked_kind)) {
            if (!still_checked_shape(i, *loop)) continue;
            auto* op = llvm::cast<llvm::BinaryOperator>(&i);
            if (op->getOpcode() == llvm::Instruction::Add) {
              op->setHasNoUnsignedWrap(true);
            } else {
              masks.push_back(op);
            }
            changed = true;
            continue;
          }
          if (!i.getMetadata(access_kind)) continue;
          if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&i)) {
            // Unused, it stays: its fault is all it does.
            if (load->isVolatile() && !load->use_empty()) {
              load->setVolatile(false);
              changed = true;
            }
          } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&i)) {
            if (store->isVolatile()) {
              store->setVolatile(false);
              changed = true;
            }
          }
        }
      }
    }
    // The guard showed the sums below 2^32: a mask of them is the sum.
    for (llvm::BinaryOperator* mask : masks) {
      mask->replaceAllUsesWith(mask->getOperand(0));
      mask->eraseFromParent();
    }
    // Marks are good for this run only: later passes may rewrite a marked
    // add in place (reassociation keeps metadata), so none survive.
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& i : bb) i.setMetadata(checked_kind, nullptr);
    }
    return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
  }
};

struct InsertUnpolledGuards : llvm::PassInfoMixin<InsertUnpolledGuards> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& fam) {
    const unsigned poll_kind = f.getContext().getMDKindID(kPollBranchMetadata);
    auto& loops = fam.getResult<llvm::LoopAnalysis>(f);
    auto& se = fam.getResult<llvm::ScalarEvolutionAnalysis>(f);
    auto& tti = fam.getResult<llvm::TargetIRAnalysis>(f);
    std::vector<Candidate> found;
    for (llvm::Loop* loop : loops.getLoopsInPreorder()) {
      if (auto c = candidate(loop, poll_kind)) found.push_back(std::move(*c));
    }
    bool changed = false;
    std::vector<llvm::WeakVH> guards;
    for (Candidate& c : found) {
      llvm::Loop* loop = c.loop;
      const llvm::SCEV* back_edges = se.getBackedgeTakenCount(loop);
      if (llvm::isa<llvm::SCEVCouldNotCompute>(back_edges)) continue;
      if (!back_edges->getType()->isIntegerTy() ||
          back_edges->getType()->getIntegerBitWidth() > 64 ||
          back_edges->getType()->getIntegerBitWidth() < 32) {
        continue;
      }
      llvm::BasicBlock* preheader = loop->getLoopPreheader();
      llvm::Instruction* at = preheader->getTerminator();
      llvm::SCEVExpander expander(se, f.getParent()->getDataLayout(), "weft.trips");
      if (!expander.isSafeToExpand(back_edges) || !expander.isSafeToExpandAt(back_edges, at))
        continue;
      if (expander.isHighCostExpansion({back_edges}, loop, 8, &tti, at)) continue;
      // The flag's pointer is the function's (loaded at entry).
      llvm::Value* flag_ptr = c.polls.front().flag->getPointerOperand();
      if (auto* def = llvm::dyn_cast<llvm::Instruction>(flag_ptr); def && loop->contains(def))
        continue;
      llvm::Value* trips = expander.expandCodeFor(back_edges, back_edges->getType(), at);
      llvm::IRBuilder<> b(at);
      llvm::Value* short_run = b.CreateICmpULT(
          trips, llvm::ConstantInt::get(trips->getType(), kUnpolledTripCount), "weft.short");
      llvm::LoadInst* flag_now = b.CreateLoad(b.getInt8Ty(), flag_ptr, "weft.flag");
      flag_now->setAtomic(llvm::AtomicOrdering::Monotonic);
      flag_now->setAlignment(llvm::Align(1));
      llvm::Value* unpolled =
          b.CreateAnd(short_run, b.CreateICmpEQ(flag_now, b.getInt8(0)), "weft.unpolled");
      unpolled = b.CreateAnd(unpolled, no_wrap_checks(loop, trips, b));
      for (const Poll& poll : c.polls) {
        // Done: the slow copy keeps this poll and is no candidate again.
        poll.branch->setMetadata(poll_kind, nullptr);
        // The test right before the branch, so that splitting there leaves
        // all the block's other work before the new branch.
        poll.test->moveBefore(poll.branch);
        poll.flag->moveBefore(poll.test);
        llvm::BasicBlock* block = poll.branch->getParent();
        llvm::BasicBlock* cont = poll.cont;
        llvm::BasicBlock* check = block->splitBasicBlock(poll.flag, "weft.poll.check");
        loop->addBasicBlockToLoop(check, loops);
        block->getTerminator()->eraseFromParent();
        llvm::BranchInst::Create(cont, check, unpolled, block);
        guards.push_back(unpolled);
        for (llvm::PHINode& phi : cont->phis()) {
          phi.addIncoming(phi.getIncomingValueForBlock(check), block);
        }
      }
      changed = true;
    }
    if (!changed) return llvm::PreservedAnalyses::all();
    // Steps 2 and 3, only where step 1 did something (non-trivial
    // unswitching is not cheap, and O2 does not otherwise run it).
    fam.invalidate(f, llvm::PreservedAnalyses::none());
    llvm::FunctionPassManager rest;
    rest.addPass(llvm::createFunctionToLoopPassAdaptor(
        llvm::SimpleLoopUnswitchPass(/*NonTrivial=*/true), /*UseMemorySSA=*/true));
    UnvolatileUnpolledLoops unvolatile;
    unvolatile.guards = std::move(guards);
    rest.addPass(std::move(unvolatile));
    rest.run(f, fam);
    return llvm::PreservedAnalyses::none();
  }
};

}  // namespace

void add_short_loop_versioning(llvm::PassBuilder& pb) {
  pb.registerPeepholeEPCallback([](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) {
    fpm.addPass(llvm::LoopSimplifyPass());  // preheaders
    fpm.addPass(InsertUnpolledGuards());
  });
}

}  // namespace weft::native
