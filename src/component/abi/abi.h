// The Component Model's canonical ABI, synchronous subset: how component
// values (Val) are laid out in a guest's linear memory and in flat core
// values, and the `canon lift` / `canon lower` / `canon resource.*`
// definitions that move them across a component boundary.
//
// The reference is definitions.py in ../shared/component-model-spec; each
// function below is named after the spec function it implements and keeps
// its order of checks, allocations and realloc calls, because the reference
// tests observe them. Differences from the spec, all deliberate:
//   * pointers are i32 only (no memory64 yet);
//   * async lift/lower, streams, futures and error-context are rejected;
//   * NaNs are canonicalized when lowering too (the spec's deterministic
//     profile), so results never depend on a random generator;
//   * a host value that does not match its type is an Error::usage, where
//     the spec would assert;
//   * lifting one call's values is capped in host memory
//     (CanonicalOptions::max_lifted_host_bytes), since a Val per list
//     element costs ~100 bytes;
//   * trap messages use the texts wasmtime prints, which the reference
//     tests (component-model-tests) match as substrings.
//
// Every guest-supplied pointer and length is checked against the memory
// (in 64-bit arithmetic, so sums cannot wrap) before anything is allocated
// on the host for it.
//
// Wiring it to core instances:
//   * one ComponentInstance per component instance (parent: the enclosing
//     component's), with add_resource_impl for each resource type it
//     defines;
//   * `canon lift f opts`: lift(core function f, ft, opts, inst), where
//     opts.memory returns the core memory's bytes as they are now and
//     opts.realloc / opts.post_return call the core functions;
//   * `canon lower g opts`: lower(g, ft, opts, inst), a CoreFn to satisfy
//     the core instance's import; g is another instance's lifted function
//     or host_func(...) for a host import;
//   * the host calls an export with invoke(f, args);
//   * `canon resource.new/drop/rep`: canon_resource_*, drop with the
//     defining instance and its destructor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weft/component_value.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::component::abi {

using CoreType = weft::ValType;  // i32, i64, f32, f64 only
using CoreValue = weft::Value;

inline constexpr size_t kMaxFlatParams = 16;
inline constexpr size_t kMaxFlatResults = 1;
inline constexpr size_t kMaxFlatAsyncParams = 4;
inline constexpr uint32_t kMaxStringByteLength = (1u << 28) - 1;
inline constexpr uint32_t kMaxListByteLength = (1u << 28) - 1;
inline constexpr uint32_t kUtf16Tag = 1u << 31;  // latin1+utf16: the length's top bit
inline constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
inline constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;

// ---- layout (spec: despecialize, alignment, elem_size, flattening) -------

// The spec's discriminant_type: the unsigned integer kind (U8, U16 or U32)
// that holds a case index of a variant with `num_cases` cases.
ValKind discriminant_type(size_t num_cases);
// Memory alignment and size with i32 pointers. Sizes saturate at 2^40 for
// types no validator would accept, so a caller's bounds check still traps.
uint32_t alignment(const ValType& t);
uint64_t elem_size(const ValType& t);
// The flat core types of `t`, or nullopt when there are more than `limit`
// (a fixed-length list can have millions; callers only need to know that
// it is more than MAX_FLAT_*).
constexpr size_t kFlatTypesLimit = size_t{1} << 16;
std::optional<std::vector<CoreType>> flatten_type(const ValType& t, size_t limit = kFlatTypesLimit);
// flatten_type's answer, computed once per type (null: longer than
// kFlatTypesLimit); lives as long as `t`.
const std::vector<CoreType>* flat_types(const ValType& t);
// How many flat core values `t` has, without building them; any count
// above `limit` is reported as limit + 1.
size_t flat_count(const ValType& t, size_t limit);
// The spec's join, for the flat slots that variant cases share.
CoreType join(CoreType a, CoreType b);

enum class FlattenContext : uint8_t { Lift, Lower };
struct CoreFuncType {
  std::vector<CoreType> params;
  std::vector<CoreType> results;
  bool operator==(const CoreFuncType&) const = default;
};
// The spec's flatten_functype for a synchronous function: more than 16
// flat params become one i32 pointer; more than one flat result becomes a
// returned pointer (lift) or a trailing out-pointer param (lower).
CoreFuncType flatten_functype(const FuncType& ft, FlattenContext context);
// The same with the `async` option: a lift keeps its params as above and
// returns nothing (or, with a callback, an i32 code); a lower takes at most
// 4 flat params (else a pointer), then an out-pointer if there is a result,
// and returns the packed subtask state.
CoreFuncType flatten_functype_async(const FuncType& ft, FlattenContext context, bool callback);

// ---- options and runtime state ---------------------------------------------

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

// The guest's memory as it is now; called again after every realloc,
// which may grow (move) it.
using MemoryFn = std::function<std::span<uint8_t>()>;
// The guest's cabi_realloc(old_ptr, old_size, align, new_size) -> ptr.
using ReallocFn = std::function<Result<uint32_t>(uint32_t old_ptr, uint32_t old_size,
                                                 uint32_t align, uint32_t new_size)>;
// A core function: flat arguments in, flat results out.
using CoreFn = std::function<Result<std::vector<CoreValue>>(std::span<const CoreValue>)>;

struct CanonicalOptions {
  StringEncoding string_encoding = StringEncoding::Utf8;
  MemoryFn memory;     // empty: no (memory) option
  ReallocFn realloc;   // empty: no (realloc) option
  CoreFn post_return;  // empty: no (post-return) option
  // 🔀 `async`, and `(callback f)` on a lift. weft runs async calls to
  // completion on the caller's stack: a callee that returns before it
  // resolves, or a callback that asks to wait or yield, traps.
  bool async = false;
  CoreFn callback;  // empty: no (callback) option
  // The memory's identity, for task.return's "same options as the lift"
  // check (LiftOptions.equal compares memories by identity).
  const void* memory_identity = nullptr;
  // Not in the spec: a cap on the host memory that lifting one call's
  // values may take. Each lifted Val costs about sizeof(Val) (~100 bytes)
  // plus its string bytes, so a list<u8> the spec allows (2^28 - 1 bytes
  // of guest memory) would otherwise cost the host ~27 GB. Past the cap,
  // lifting traps (TrapKind::MemoryLimit).
  uint64_t max_lifted_host_bytes = uint64_t{1} << 30;
};

// A string Val that came out of a guest remembers how it was encoded there
// (in Val::discriminant, which strings do not otherwise use and which Val
// equality ignores), because the spec sizes the destination's allocations
// from the source's code units: a utf16 string lowered into a utf8
// component first gets `code units` bytes, then `3 * code units`. A
// host-made string (discriminant 0) is UTF-8.
enum class StringSource : uint32_t {
  Utf8 = 0,
  Utf16 = 1,
  Latin1 = 2,             // from latin1+utf16, untagged length
  Latin1Utf16Tagged = 3,  // from latin1+utf16, utf16-tagged length
};

struct Task;
struct AsyncTask;

// One entry of a component instance's handle table.
struct ResourceHandle {
  const ResourceType* rt = nullptr;
  uint32_t rep = 0;
  bool own = false;
  std::shared_ptr<Task> borrow_scope;  // borrows: the call that lent it
  uint32_t num_lends = 0;
};

// The spec's Table: index 0 is never used; freed indices are reused last
// freed first. Entries are shared_ptr so a call's lender list stays valid
// whatever the guest does to the table meanwhile.
class HandleTable {
 public:
  static constexpr uint32_t kMaxLength = (1u << 28) - 1;
  HandleTable() : array_(1) {}
  Result<std::shared_ptr<ResourceHandle>> get(uint32_t i) const;
  Result<uint32_t> add(std::shared_ptr<ResourceHandle> h);
  Result<std::shared_ptr<ResourceHandle>> remove(uint32_t i);
  size_t size() const { return array_.size(); }  // including the reserved 0
  size_t live() const { return array_.size() - 1 - free_.size(); }
  const std::vector<uint32_t>& free_list() const { return free_; }

 private:
  std::vector<std::shared_ptr<ResourceHandle>> array_;
  std::vector<uint32_t> free_;
};

// The state the ABI keeps per component instance.
class ComponentInstance {
 public:
  explicit ComponentInstance(ComponentInstance* parent = nullptr) : parent(parent) {}
  ComponentInstance(const ComponentInstance&) = delete;
  ComponentInstance& operator=(const ComponentInstance&) = delete;

  ComponentInstance* parent;
  HandleTable handles;
  bool may_enter = true;
  bool may_leave = true;
  std::vector<AsyncTask*> async_tasks;  // innermost last

  // Resource types this instance defines (the spec's `rt.impl is inst`):
  // borrowing one of them lowers to the bare rep.
  void add_resource_impl(const ResourceType* rt) { impls_.push_back(rt); }
  bool implements(const ResourceType* rt) const;

  // The spec's may_enter_from / enter_from / leave_to over the set of this
  // instance and its ancestors that are not the caller's.
  bool may_enter_from(const ComponentInstance* caller) const;
  void enter_from(const ComponentInstance* caller);
  void leave_to(const ComponentInstance* caller);

 private:
  // Whether `c` (this instance or an ancestor) is outside the caller's
  // own chain of ancestors.
  static bool in_entering_set(const ComponentInstance* c, const ComponentInstance* caller);
  std::vector<const ResourceType*> impls_;
};

// A call being served by `canon lift`: counts the borrows lowered into it.
struct Task {
  uint32_t num_borrows = 0;
  bool resolved = false;
};

struct Signature;
using OnResolveFn = std::function<Result<void>(std::vector<Val>)>;

// An async-lifted call in progress, for `task.return` to resolve: weft's
// calls are synchronous, so the innermost one of an instance is current.
struct AsyncTask {
  const Signature* sig = nullptr;
  const CanonicalOptions* opts = nullptr;
  const OnResolveFn* on_resolve = nullptr;
  std::shared_ptr<Task> task;  // borrows lowered into the call
  bool resolved = false;
};

// A call made through `canon lower`: the caller's handles lent to it.
struct Subtask {
  std::vector<std::shared_ptr<ResourceHandle>> lenders;
  bool returned = false;
  void add_lender(std::shared_ptr<ResourceHandle> h);
  void deliver_resolve();
};

// The spec's LiftLowerContext. Exactly one of `task` (lowering into a
// callee) and `subtask` (lifting from a caller) is the borrow scope; both
// empty is fine for types without borrows.
class LiftLowerContext {
 public:
  LiftLowerContext(const CanonicalOptions& opts, ComponentInstance& inst,
                   std::shared_ptr<Task> task = nullptr, Subtask* subtask = nullptr)
      : opts(opts), inst(inst), task(std::move(task)), subtask(subtask) {}

  const CanonicalOptions& opts;
  ComponentInstance& inst;
  std::shared_ptr<Task> task;
  Subtask* subtask;

  // The guest memory (empty without a memory option, so every access
  // traps), fetched once and again after each realloc and on refresh().
  std::span<uint8_t> memory() {
    if (!cached_) {
      mem_ = opts.memory ? opts.memory() : std::span<uint8_t>();
      cached_ = true;
    }
    return mem_;
  }
  void refresh() { cached_ = false; }
  // Calls realloc with may_leave cleared, as the spec's reallocate does.
  Result<uint32_t> reallocate(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                              uint32_t new_size);
  Result<uint32_t> allocate(uint32_t align, uint32_t size) { return reallocate(0, 0, align, size); }

  // Accounts `bytes` of host memory about to be taken by lifted values;
  // fails once opts.max_lifted_host_bytes is exceeded.
  Result<void> charge(uint64_t bytes);

 private:
  std::span<uint8_t> mem_;
  bool cached_ = false;
  uint64_t charged_ = 0;
};

// A source of flat core values; lifting a variant reads its payload
// through one that converts the joined slot types back.
class FlatReader {
 public:
  virtual ~FlatReader() = default;
  virtual Result<CoreValue> next(CoreType t) = 0;
};

// Reads flat core values in order; checks each against the type expected.
class CoreValueIter final : public FlatReader {
 public:
  explicit CoreValueIter(std::span<const CoreValue> values) : values_(values) {}
  Result<CoreValue> next(CoreType t) override;
  bool done() const { return i_ == values_.size(); }

 private:
  std::span<const CoreValue> values_;
  size_t i_ = 0;
};

// ---- lifting and lowering values ----------------------------------------

Result<Val> load(LiftLowerContext& cx, uint32_t ptr, const ValType& t);
Result<void> store(LiftLowerContext& cx, const Val& v, const ValType& t, uint32_t ptr);
Result<Val> lift_flat(LiftLowerContext& cx, FlatReader& vi, const ValType& t);
Result<void> lower_flat(LiftLowerContext& cx, const Val& v, const ValType& t,
                        std::vector<CoreValue>& out);
// Many values at once, spilled to memory as a tuple beyond `max_flat`:
// lifting reads the pointer from `vi`; lowering allocates with realloc, or
// takes the pointer from `out_param` (canon lower's retptr).
Result<std::vector<Val>> lift_flat_values(LiftLowerContext& cx, size_t max_flat, CoreValueIter& vi,
                                          std::span<const ValTypePtr> ts);
Result<std::vector<CoreValue>> lower_flat_values(LiftLowerContext& cx, size_t max_flat,
                                                 std::span<const Val> vs,
                                                 std::span<const ValTypePtr> ts,
                                                 CoreValueIter* out_param = nullptr);

// The spec's load_string_from_range / store_string_into_range, exposed for
// tests and for the runtime's own uses (error messages, debug strings).
Result<Val> load_string_from_range(LiftLowerContext& cx, uint32_t ptr, uint32_t tagged_code_units);
struct StoredString {
  uint32_t ptr;
  uint32_t tagged_code_units;
};
Result<StoredString> store_string_into_range(LiftLowerContext& cx, const Val& v);

// ---- canonical definitions ------------------------------------------------

// A component-level function (the spec's FuncInst, synchronous): it asks
// on_start for its arguments, and hands its result (0 or 1 values) to
// on_resolve before returning. `caller` is the instance calling through
// `canon lower`, or nullptr for the host.
using OnStart = std::function<Result<std::vector<Val>>()>;
using OnResolve = std::function<Result<void>(std::vector<Val>)>;
using FuncInst =
    std::function<Result<void>(const OnStart&, const OnResolve&, ComponentInstance* caller)>;

// `canon lift` as the spec's Store.lift wraps it (with the may_enter check):
// the component function of the core function `callee` of `inst`. The
// returned function refers to `inst`, which must outlive it. A trap leaves
// `inst` entered (may_enter false), so it refuses further calls, as an
// instance that trapped must.
Result<FuncInst> lift(CoreFn callee, FuncType ft, CanonicalOptions opts, ComponentInstance& inst);

// A function type's canonical-ABI shape (parameter and result types, both
// flattenings), computed once per type so that each instantiation's lifts
// and lowers only bind it.
struct Signature {
  std::vector<ValTypePtr> params;
  std::vector<ValTypePtr> results;
  CoreFuncType flat_lift;
  CoreFuncType flat_lower;
  // flatten_functype with the `async` option.
  CoreFuncType flat_lift_async;           // without a callback: no results
  CoreFuncType flat_lift_async_callback;  // returns the callback code
  CoreFuncType flat_lower_async;
  bool has_borrows = false;  // a parameter holds a borrow<T>
  bool is_async = false;
  bool needs_async = false;  // a stream, future or error-context inside
};
using SignaturePtr = std::shared_ptr<const Signature>;
SignaturePtr signature_of(const FuncType& ft);
Result<FuncInst> lift(CoreFn callee, const SignaturePtr& sig, CanonicalOptions opts,
                      ComponentInstance& inst);
Result<CoreFn> lower(FuncInst callee, const SignaturePtr& sig, CanonicalOptions opts,
                     ComponentInstance& inst);
// `canon lower`: the core function through which `inst` calls `callee` (a
// lifted function of another instance, or a host function). `inst` must
// outlive the returned function. Component-to-component calls compose as
// lower(lift(...)): values pass between the two as Vals, strings keeping
// their source encoding (StringSource), so the callee's allocations are
// the spec's.
Result<CoreFn> lower(FuncInst callee, FuncType ft, CanonicalOptions opts, ComponentInstance& inst);
// The spec's Store.invoke: call a component function from the host.
Result<std::optional<Val>> invoke(const FuncInst& f, std::vector<Val> args);
// A host function as a component function, for `canon lower` of an import.
FuncInst host_func(std::function<Result<std::optional<Val>>(std::vector<Val>)> f);

// 🔀 `canon task.return`: resolves the instance's current async task with
// the result in `flat_args` (`result_type` null: the task has no result).
Result<void> canon_task_return(ComponentInstance& inst, const ValTypePtr& result_type,
                               const CanonicalOptions& opts, std::span<const CoreValue> flat_args);

Result<uint32_t> canon_resource_new(ComponentInstance& inst, const ResourceType* rt, uint32_t rep);
// `impl` is the instance that defines `rt` (nullptr for the host) and
// `dtor` its destructor (empty: none), called with the rep as an i32.
Result<void> canon_resource_drop(ComponentInstance& inst, const ResourceType* rt, uint32_t i,
                                 ComponentInstance* impl, const CoreFn& dtor);
Result<uint32_t> canon_resource_rep(ComponentInstance& inst, const ResourceType* rt, uint32_t i);

}  // namespace weft::component::abi
