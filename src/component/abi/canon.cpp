// Runtime state (handle tables, instance flags, borrow scopes) and the
// synchronous `canon lift`, `canon lower` and `canon resource.*`
// definitions (CanonicalABI.md, "Runtime State" and "Canonical
// Definitions").
#include <algorithm>

#include "component/abi/abi.h"
#include "component/abi/util.h"

namespace weft::component::abi {

using detail::kCannotEnter;
using detail::kCannotLeave;
using detail::trap;

// ---- handle table ----------------------------------------------------------

Result<std::shared_ptr<ResourceHandle>> HandleTable::get(uint32_t i) const {
  if (i >= array_.size() || !array_[i]) return trap("unknown handle index " + std::to_string(i));
  return array_[i];
}

Result<uint32_t> HandleTable::add(std::shared_ptr<ResourceHandle> h) {
  if (!free_.empty()) {
    uint32_t i = free_.back();
    free_.pop_back();
    array_[i] = std::move(h);
    return i;
  }
  auto i = static_cast<uint32_t>(array_.size());
  if (i > kMaxLength) return trap("handle table full");
  array_.push_back(std::move(h));
  return i;
}

Result<std::shared_ptr<ResourceHandle>> HandleTable::remove(uint32_t i) {
  WEFT_ABI_ASSIGN(std::shared_ptr<ResourceHandle> h, get(i));
  array_[i] = nullptr;
  free_.push_back(i);
  return h;
}

// ---- instances, tasks ------------------------------------------------------

bool ComponentInstance::implements(const ResourceType* rt) const {
  return std::find(impls_.begin(), impls_.end(), rt) != impls_.end();
}

bool ComponentInstance::in_entering_set(const ComponentInstance* c,
                                        const ComponentInstance* caller) {
  for (const ComponentInstance* a = caller; a; a = a->parent)
    if (a == c) return false;
  return true;
}

bool ComponentInstance::may_enter_from(const ComponentInstance* caller) const {
  for (const ComponentInstance* c = this; c; c = c->parent)
    if (in_entering_set(c, caller) && !c->may_enter) return false;
  return true;
}

void ComponentInstance::enter_from(const ComponentInstance* caller) {
  for (ComponentInstance* c = this; c; c = c->parent)
    if (in_entering_set(c, caller)) c->may_enter = false;
}

void ComponentInstance::leave_to(const ComponentInstance* caller) {
  for (ComponentInstance* c = this; c; c = c->parent)
    if (in_entering_set(c, caller)) c->may_enter = true;
}

void Subtask::add_lender(std::shared_ptr<ResourceHandle> h) {
  h->num_lends += 1;
  lenders.push_back(std::move(h));
}

void Subtask::deliver_resolve() {
  for (const auto& h : lenders) h->num_lends -= 1;
  lenders.clear();
}

Result<uint32_t> LiftLowerContext::reallocate(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                                              uint32_t new_size) {
  if (!opts.realloc) return trap("canonical option `realloc` is required to lower this value");
  // realloc is guest code running on the ABI's behalf: it must not call out.
  inst.may_leave = false;
  Result<uint32_t> ptr = opts.realloc(old_ptr, old_size, align, new_size);
  cached_ = false;
  if (!ptr) return ptr;
  inst.may_leave = true;
  return ptr;
}

Result<void> LiftLowerContext::charge(uint64_t bytes) {
  charged_ += bytes;
  if (charged_ > opts.max_lifted_host_bytes)
    return Error::make_trap(TrapKind::MemoryLimit,
                            "canonical ABI: lifted values exceed the host memory limit (" +
                                std::to_string(opts.max_lifted_host_bytes) + " bytes)");
  return {};
}

// ---- canon lift / canon lower ------------------------------------------------

namespace {

std::vector<ValTypePtr> param_types(const FuncType& ft) {
  std::vector<ValTypePtr> out;
  for (const Field& f : ft.params) out.push_back(f.type);
  return out;
}

std::vector<ValTypePtr> result_types(const FuncType& ft) {
  if (!ft.result) return {};
  return {ft.result};
}

bool needs_async(const ValType& t) {
  switch (t.kind) {
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::ErrorContext:
      return true;
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
    case ValKind::FixedList:
    case ValKind::Option:
      return t.element && needs_async(*t.element);
    case ValKind::Result:
      return (t.element && needs_async(*t.element)) || (t.error && needs_async(*t.error));
    case ValKind::Record:
    case ValKind::Tuple:
      return std::any_of(t.fields.begin(), t.fields.end(),
                         [](const Field& f) { return needs_async(*f.type); });
    case ValKind::Variant:
      return std::any_of(t.cases.begin(), t.cases.end(),
                         [](const Case& c) { return c.type && needs_async(*c.type); });
    default:
      return false;
  }
}

bool contains_borrow(const ValType& t) {
  switch (t.kind) {
    case ValKind::Borrow:
      return true;
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
    case ValKind::FixedList:
    case ValKind::Option:
      return t.element && contains_borrow(*t.element);
    case ValKind::Result:
      return (t.element && contains_borrow(*t.element)) || (t.error && contains_borrow(*t.error));
    case ValKind::Record:
    case ValKind::Tuple:
      return std::any_of(t.fields.begin(), t.fields.end(),
                         [](const Field& f) { return contains_borrow(*f.type); });
    case ValKind::Variant:
      return std::any_of(t.cases.begin(), t.cases.end(),
                         [](const Case& c) { return c.type && contains_borrow(*c.type); });
    default:
      return false;
  }
}

// What weft runs of the async ABI: `async` functions and options, with
// every call running to completion (streams, futures and error-contexts
// need the WASI 0.3 scheduler).
Result<void> check_runnable(const Signature& sig) {
  if (sig.needs_async)
    return Error::usage("canonical ABI: stream, future and error-context are not supported");
  return {};
}

// Subtask states, as a lowered async call returns them (definitions.py).
constexpr uint32_t kSubtaskReturned = 2;
constexpr uint32_t kCallbackExit = 0;
constexpr uint32_t kCallbackMax = 2;

Result<void> check_core_types(std::span<const CoreType> want, std::span<const CoreValue> got,
                              const char* what) {
  bool ok = want.size() == got.size();
  for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] == got[i].type;
  if (!ok)
    return Error::usage(std::string("canonical ABI: core ") + what +
                        " do not match the "
                        "flattened function type");
  return {};
}

// Everything `canon lift` derives from its immediates, computed once.
struct LiftState {
  CoreFn callee;
  SignaturePtr sig;
  CanonicalOptions opts;
  ComponentInstance* inst;
};

// The spec's canon_lift with the `async` option: the callee (and its
// callback, while it asks for more) runs now, and must resolve the task
// through task.return before it exits.
Result<void> canon_lift_async(const LiftState& s, LiftLowerContext& cx,
                              std::span<const CoreValue> flat_args, const OnResolve& on_resolve) {
  const Signature& sig = *s.sig;
  const CoreFuncType& flat = s.opts.callback ? sig.flat_lift_async_callback : sig.flat_lift_async;
  WEFT_ABI_TRY(check_core_types(flat.params, flat_args, "arguments"));
  ComponentInstance& inst = cx.inst;
  AsyncTask task;
  task.sig = &sig;
  task.opts = &s.opts;
  task.on_resolve = &on_resolve;
  task.task = cx.task;
  inst.async_tasks.push_back(&task);
  struct Pop {
    ComponentInstance& inst;
    ~Pop() { inst.async_tasks.pop_back(); }
  } pop{inst};
  WEFT_ABI_ASSIGN(std::vector<CoreValue> flat_results, s.callee(flat_args));
  WEFT_ABI_TRY(check_core_types(flat.results, flat_results, "results"));
  if (s.opts.callback) {
    const uint32_t code = flat_results.at(0).as_u32() & 0xf;
    if (code > kCallbackMax) return trap("unknown callback code " + std::to_string(code));
    if (code != kCallbackExit)
      return trap("async callee asked to yield or wait: blocking is not supported (WASI 0.3)");
  }
  if (!task.resolved) return trap("async task exited without resolving (no task.return)");
  return {};
}

// The spec's canon_lift, synchronous case.
Result<void> canon_lift(const LiftState& s, const OnStart& on_start, const OnResolve& on_resolve) {
  ComponentInstance& inst = *s.inst;
  // Only borrows lowered into the callee need the task as their scope.
  const Signature& sig = *s.sig;
  auto task = sig.has_borrows ? std::make_shared<Task>() : nullptr;
  LiftLowerContext cx(s.opts, inst, task);
  WEFT_ABI_ASSIGN(std::vector<Val> args, on_start());
  cx.refresh();
  WEFT_ABI_ASSIGN(std::vector<CoreValue> flat_args,
                  lower_flat_values(cx, kMaxFlatParams, args, sig.params));
  if (s.opts.async) return canon_lift_async(s, cx, flat_args, on_resolve);
  WEFT_ABI_TRY(check_core_types(sig.flat_lift.params, flat_args, "arguments"));
  WEFT_ABI_ASSIGN(std::vector<CoreValue> flat_results, s.callee(flat_args));
  WEFT_ABI_TRY(check_core_types(sig.flat_lift.results, flat_results, "results"));
  cx.refresh();  // the callee may have grown its memory
  CoreValueIter ri(flat_results);
  WEFT_ABI_ASSIGN(std::vector<Val> result, lift_flat_values(cx, kMaxFlatResults, ri, sig.results));
  // task.return_
  if (task && task->num_borrows > 0)
    return trap("borrow handles still remain at the end of the call");
  WEFT_ABI_TRY(on_resolve(std::move(result)));
  if (task) task->resolved = true;
  if (s.opts.post_return) {
    inst.may_leave = false;
    WEFT_ABI_ASSIGN(std::vector<CoreValue> none, s.opts.post_return(flat_results));
    if (!none.empty()) return Error::usage("canonical ABI: post-return returned values");
    inst.may_leave = true;
  }
  return {};
}

struct LowerState {
  FuncInst callee;
  SignaturePtr sig;
  CanonicalOptions opts;
  ComponentInstance* inst;
};

// The spec's canon_lower, synchronous case.
Result<std::vector<CoreValue>> canon_lower(const LowerState& s,
                                           std::span<const CoreValue> flat_args) {
  ComponentInstance& inst = *s.inst;
  if (!inst.may_leave) return trap(kCannotLeave);
  const bool async = s.opts.async;
  WEFT_ABI_TRY(check_core_types(async ? s.sig->flat_lower_async.params : s.sig->flat_lower.params,
                                flat_args, "arguments"));
  // The call's state, reached from the callbacks through one pointer so
  // that std::function stores them without allocating.
  struct Call {
    const LowerState& s;
    CoreValueIter args;
    Subtask subtask;
    LiftLowerContext cx;
    bool started = false;
    std::vector<CoreValue> flat_results;
    Call(const LowerState& s, ComponentInstance& inst, std::span<const CoreValue> flat_args)
        : s(s), args(flat_args), cx(s.opts, inst, nullptr, &subtask) {}
  } call(s, inst, flat_args);
  Call* c = &call;
  OnStart on_start = [c]() -> Result<std::vector<Val>> {
    if (c->started) return Error::usage("canonical ABI: a callee asked for its arguments twice");
    c->started = true;
    c->cx.refresh();
    return lift_flat_values(c->cx, c->s.opts.async ? kMaxFlatAsyncParams : kMaxFlatParams, c->args,
                            c->s.sig->params);
  };
  OnResolve on_resolve = [c](std::vector<Val> result) -> Result<void> {
    if (!c->started || c->subtask.returned)
      return Error::usage("canonical ABI: a callee resolved out of order");
    c->cx.refresh();
    WEFT_ABI_ASSIGN(c->flat_results, lower_flat_values(c->cx, c->s.opts.async ? 0 : kMaxFlatResults,
                                                       result, c->s.sig->results, &c->args));
    c->subtask.returned = true;
    return {};
  };
  WEFT_ABI_TRY(s.callee(on_start, on_resolve, &inst));
  if (!call.subtask.returned) {
    // A synchronous callee always resolves; an async one that returns
    // unresolved would need the WASI 0.3 scheduler to finish.
    if (async) return trap("async callee did not resolve: blocking is not supported (WASI 0.3)");
    return Error::usage("canonical ABI: a synchronous callee did not return");
  }
  call.subtask.deliver_resolve();
  if (async) return std::vector<CoreValue>{CoreValue::i32(static_cast<int32_t>(kSubtaskReturned))};
  return std::move(call.flat_results);
}

}  // namespace

SignaturePtr signature_of(const FuncType& ft) {
  auto sig = std::make_shared<Signature>();
  sig->params = param_types(ft);
  sig->results = result_types(ft);
  sig->flat_lift = flatten_functype(ft, FlattenContext::Lift);
  sig->flat_lower = flatten_functype(ft, FlattenContext::Lower);
  sig->flat_lift_async = flatten_functype_async(ft, FlattenContext::Lift, false);
  sig->flat_lift_async_callback = flatten_functype_async(ft, FlattenContext::Lift, true);
  sig->flat_lower_async = flatten_functype_async(ft, FlattenContext::Lower, false);
  sig->has_borrows = std::any_of(ft.params.begin(), ft.params.end(),
                                 [](const Field& f) { return f.type && contains_borrow(*f.type); });
  sig->is_async = ft.is_async;
  sig->needs_async = std::any_of(ft.params.begin(), ft.params.end(),
                                 [](const Field& f) { return !f.type || needs_async(*f.type); }) ||
                     (ft.result && needs_async(*ft.result));
  return sig;
}

Result<FuncInst> lift(CoreFn callee, FuncType ft, CanonicalOptions opts, ComponentInstance& inst) {
  return lift(std::move(callee), signature_of(ft), std::move(opts), inst);
}

Result<FuncInst> lift(CoreFn callee, const SignaturePtr& sig, CanonicalOptions opts,
                      ComponentInstance& inst) {
  WEFT_ABI_TRY(check_runnable(*sig));
  auto s = std::make_shared<LiftState>();
  s->callee = std::move(callee);
  s->sig = sig;
  s->opts = std::move(opts);
  s->inst = &inst;
  // The spec's Store.lift: the may_enter check around canon_lift. After a
  // trap the instance stays entered, so it refuses further calls.
  return FuncInst([s](const OnStart& on_start, const OnResolve& on_resolve,
                      ComponentInstance* caller) -> Result<void> {
    ComponentInstance& inst = *s->inst;
    if (!inst.may_enter_from(caller)) return trap(kCannotEnter);
    inst.enter_from(caller);
    WEFT_ABI_TRY(canon_lift(*s, on_start, on_resolve));
    inst.leave_to(caller);
    return {};
  });
}

Result<CoreFn> lower(FuncInst callee, FuncType ft, CanonicalOptions opts, ComponentInstance& inst) {
  return lower(std::move(callee), signature_of(ft), std::move(opts), inst);
}

Result<CoreFn> lower(FuncInst callee, const SignaturePtr& sig, CanonicalOptions opts,
                     ComponentInstance& inst) {
  WEFT_ABI_TRY(check_runnable(*sig));
  auto s = std::make_shared<LowerState>();
  s->callee = std::move(callee);
  s->sig = sig;
  s->opts = std::move(opts);
  s->inst = &inst;
  return CoreFn([s](std::span<const CoreValue> args) { return canon_lower(*s, args); });
}

Result<std::optional<Val>> invoke(const FuncInst& f, std::vector<Val> args) {
  std::optional<Val> out;
  bool resolved = false;
  OnStart on_start = [&]() -> Result<std::vector<Val>> { return std::move(args); };
  OnResolve on_resolve = [&](std::vector<Val> result) -> Result<void> {
    if (result.size() > 1) return Error::usage("canonical ABI: more than one result");
    if (!result.empty()) out = std::move(result[0]);
    resolved = true;
    return {};
  };
  WEFT_ABI_TRY(f(on_start, on_resolve, nullptr));
  if (!resolved) return Error::usage("canonical ABI: the function did not return");
  return out;
}

FuncInst host_func(std::function<Result<std::optional<Val>>(std::vector<Val>)> f) {
  return [f = std::move(f)](const OnStart& on_start, const OnResolve& on_resolve,
                            ComponentInstance*) -> Result<void> {
    WEFT_ABI_ASSIGN(std::vector<Val> args, on_start());
    WEFT_ABI_ASSIGN(std::optional<Val> result, f(std::move(args)));
    std::vector<Val> results;
    if (result) results.push_back(std::move(*result));
    return on_resolve(std::move(results));
  };
}

Result<void> canon_task_return(ComponentInstance& inst, const ValTypePtr& result_type,
                               const CanonicalOptions& opts, std::span<const CoreValue> flat_args) {
  if (!inst.may_leave) return trap(kCannotLeave);
  if (inst.async_tasks.empty()) return trap("`task.return` called outside an async-lifted call");
  AsyncTask& task = *inst.async_tasks.back();
  const std::vector<ValTypePtr>& want = task.sig->results;
  const bool same_type =
      want.empty() ? result_type == nullptr : result_type != nullptr && *result_type == *want[0];
  if (!same_type) return trap("`task.return` result type does not match the lifted function's");
  if (opts.string_encoding != task.opts->string_encoding ||
      opts.memory_identity != task.opts->memory_identity)
    return trap("`task.return` options do not match the lift's");
  if (task.resolved) return trap("`task.return` called twice");
  if (task.task && task.task->num_borrows > 0)
    return trap("borrow handles still remain at the end of the call");
  LiftLowerContext cx(opts, inst, task.task);
  CoreValueIter it(flat_args);
  WEFT_ABI_ASSIGN(std::vector<Val> result, lift_flat_values(cx, kMaxFlatParams, it, want));
  WEFT_ABI_TRY((*task.on_resolve)(std::move(result)));
  task.resolved = true;
  if (task.task) task.task->resolved = true;
  return {};
}

// ---- resources ---------------------------------------------------------------

Result<uint32_t> canon_resource_new(ComponentInstance& inst, const ResourceType* rt, uint32_t rep) {
  if (!inst.may_leave) return trap(kCannotLeave);
  auto h = std::make_shared<ResourceHandle>();
  h->rt = rt;
  h->rep = rep;
  h->own = true;
  return inst.handles.add(std::move(h));
}

Result<void> canon_resource_drop(ComponentInstance& inst, const ResourceType* rt, uint32_t i,
                                 ComponentInstance* impl, const CoreFn& dtor) {
  if (!inst.may_leave) return trap(kCannotLeave);
  WEFT_ABI_ASSIGN(std::shared_ptr<ResourceHandle> h, inst.handles.remove(i));
  if (h->rt != rt) return detail::wrong_handle_type(i, rt, h->rt);
  if (h->num_lends != 0) return trap("cannot remove owned resource while borrowed");
  if (!h->own) {
    if (h->borrow_scope) h->borrow_scope->num_borrows -= 1;
    return {};
  }
  // The spec lifts the destructor in `impl` and lowers it into `inst`, so
  // the call passes the same may_enter check as any cross-instance call.
  if (impl) {
    if (!impl->may_enter_from(&inst)) return trap(kCannotEnter);
    impl->enter_from(&inst);
  }
  if (dtor) {
    CoreValue rep{CoreType::I32, h->rep};
    WEFT_ABI_ASSIGN(std::vector<CoreValue> none, dtor(std::span<const CoreValue>(&rep, 1)));
    if (!none.empty()) return Error::usage("canonical ABI: a destructor returned values");
  }
  if (impl) impl->leave_to(&inst);
  return {};
}

Result<uint32_t> canon_resource_rep(ComponentInstance& inst, const ResourceType* rt, uint32_t i) {
  WEFT_ABI_ASSIGN(std::shared_ptr<ResourceHandle> h, inst.handles.get(i));
  if (h->rt != rt) return detail::wrong_handle_type(i, rt, h->rt);
  return h->rep;
}

}  // namespace weft::component::abi
