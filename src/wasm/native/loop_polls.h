// Short inner loops without their back-edge poll, so that LLVM can
// vectorize them (loop_polls.cpp).
#pragma once

#include <llvm/Passes/PassBuilder.h>

namespace weft::native {

// Metadata kinds the translator puts on what the passes below look for:
// the branch of a back-edge poll, and a guest memory access made volatile
// because its fault is the bounds check.
inline constexpr const char* kPollBranchMetadata = "weft.poll";
inline constexpr const char* kGuardedAccessMetadata = "weft.mem";
// On an induction variable's increment whose wrapping the guard checks.
inline constexpr const char* kNoWrapCheckedMetadata = "weft.nuw.checked";
// The runtime helper a poll calls when its flag is set.
inline constexpr const char* kPollHelper = "weft_native_poll";

// Adds, at each peephole point of the pipeline, the versioning of short
// inner loops: an innermost loop whose trip count SCEV can compute, with
// no calls and one poll, gets a second copy without its back-edge poll,
// taken when the trip count is at most kUnpolledTripCount, no poll is due
// on entry (no interrupt pending, no fuel metered: under fuel the flag is
// always set, so metered code always polls) and no induction sum passes
// 2^32. In that copy the guest memory accesses stop being volatile, so
// the loop can be vectorized. What that gives up, in the copy only (see
// docs/optimizing-tier.md): an interrupt waits for the loop to end (a
// bounded, call-free run), and a trap inside it may find a neighbouring
// access of the same loop done or not done (as a vectorized loop of any
// LLVM-based engine does); an access whose value is unused stays volatile.
void add_short_loop_versioning(llvm::PassBuilder& pb);

inline constexpr uint64_t kUnpolledTripCount = 1u << 16;

}  // namespace weft::native
