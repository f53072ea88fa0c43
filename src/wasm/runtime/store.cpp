// weft::Store: owns every runtime object of one request.
#include <utility>

#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"

namespace weft {

Store::Store(StoreLimits limits) : impl_(std::make_unique<detail::StoreImpl>(limits)) {
  impl_->owner = this;
  if (limits.fuel) {
    impl_->fuel_enabled = true;
    impl_->fuel = *limits.fuel;
  }
}

Store::~Store() = default;

const StoreLimits& Store::limits() const { return impl_->limits; }

InterruptHandle Store::interrupt_handle() const { return InterruptHandle(impl_->interrupt); }

void Store::clear_interrupt() { impl_->interrupt->store(false, std::memory_order_relaxed); }

std::optional<uint64_t> Store::fuel_remaining() const {
  if (!impl_->fuel_enabled) return std::nullopt;
  return impl_->fuel;
}

void Store::set_fuel(std::optional<uint64_t> fuel) {
  impl_->fuel_enabled = fuel.has_value();
  impl_->fuel = fuel.value_or(0);
  impl_->limits.fuel = fuel;
}

Func Store::create_host_func(const FuncType& type, HostFunc fn) {
  return Func(detail::new_host_func(*impl_, type, std::make_shared<HostFunc>(std::move(fn))));
}

Result<Memory> Store::create_memory(MemoryType type) {
  if (type.limits.min > wasm::kMaxPages ||
      (type.limits.max && *type.limits.max > wasm::kMaxPages)) {
    return Error::usage("memory size must be at most 65536 pages");
  }
  if (type.limits.max && type.limits.min > *type.limits.max) {
    return Error::usage("memory minimum exceeds its maximum");
  }
  auto mem = detail::new_memory(*impl_, type);
  if (!mem) return std::move(mem).error();
  return Memory(*mem);
}

Result<Table> Store::create_table(TableType type, Value init) {
  if (!is_ref(type.element)) return Error::usage("table element type must be a reference type");
  if (init.type != type.element) {
    return Error::usage(std::string("table initial value must be ") + to_string(type.element));
  }
  if (init.type == ValType::FuncRef && init.bits != 0 &&
      reinterpret_cast<detail::FuncInst*>(init.bits)->store != impl_.get()) {
    return Error::usage("function belongs to another store");
  }
  if (init.type == ValType::ExnRef && init.bits != 0 &&
      reinterpret_cast<detail::ExnInst*>(init.bits)->store != impl_.get()) {
    return Error::usage("exception belongs to another store");
  }
  auto table = detail::new_table(*impl_, type, init.bits);
  if (!table) return std::move(table).error();
  return Table(*table);
}

Result<Global> Store::create_global(GlobalType type, Value init) {
  if (init.type != type.type) {
    return Error::usage(std::string("global initial value must be ") + to_string(type.type));
  }
  if (init.type == ValType::FuncRef && init.bits != 0 &&
      reinterpret_cast<detail::FuncInst*>(init.bits)->store != impl_.get()) {
    return Error::usage("function belongs to another store");
  }
  if (init.type == ValType::ExnRef && init.bits != 0 &&
      reinterpret_cast<detail::ExnInst*>(init.bits)->store != impl_.get()) {
    return Error::usage("exception belongs to another store");
  }
  return Global(detail::new_global(*impl_, type, init.bits));
}

Result<Tag> Store::create_tag(FuncType type) {
  if (!type.results.empty()) return Error::usage("a tag's type must have no results");
  detail::TagInst& tag = impl_->tags.emplace_back();
  tag.type_id = detail::intern_func_type(type);
  tag.type = &detail::interned_func_type(tag.type_id);
  tag.store = impl_.get();
  return Tag(&tag);
}

}  // namespace weft
