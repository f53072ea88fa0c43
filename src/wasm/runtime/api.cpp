// The public handles (Func, Memory, Table, Global, Caller, Instance) over the
// store-owned objects in objects.h.
#include <algorithm>
#include <limits>

#include "wasm/runtime/objects.h"

namespace weft {
namespace {

const FuncType& empty_func_type() {
  static const FuncType* type = new FuncType;
  return *type;
}

// Funcref values are raw FuncInst pointers; one from another store would let
// a guest call into objects it does not own.
bool ref_belongs_to(const Value& value, const detail::StoreImpl* store) {
  if (value.bits == 0) return true;
  if (value.type == ValType::FuncRef) {
    return reinterpret_cast<const detail::FuncInst*>(value.bits)->store == store;
  }
  if (value.type == ValType::ExnRef) {
    return reinterpret_cast<const detail::ExnInst*>(value.bits)->store == store;
  }
  return true;
}

}  // namespace

// ---- Func ----

const FuncType& Func::type() const {
  if (inst_ == nullptr || inst_->type == nullptr) return empty_func_type();
  return *inst_->type;
}

Result<std::vector<Value>> Func::call(std::span<const Value> args) const {
  if (inst_ == nullptr) return Error::usage("call of a null function");
  const FuncType& type = *inst_->type;
  if (args.size() != type.params.size()) {
    return Error::usage("function expects " + std::to_string(type.params.size()) +
                        " arguments, got " + std::to_string(args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != type.params[i]) {
      return Error::usage("argument " + std::to_string(i) + " must be " +
                          to_string(type.params[i]) + ", got " + to_string(args[i].type));
    }
    if (!ref_belongs_to(args[i], inst_->store)) {
      return Error::usage("argument " + std::to_string(i) + " is a function of another store");
    }
  }
  std::vector<uint64_t> slots(std::max<size_t>({type.params.size(), type.results.size(), 1}));
  for (size_t i = 0; i < args.size(); ++i) slots[i] = args[i].bits;
  Result<void> result = interp::invoke(*inst_->store, inst_, slots.data());
  if (!result) return std::move(result).error();
  std::vector<Value> values(type.results.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = Value{type.results[i], slots[i]};
  return values;
}

// ---- Memory ----

MemoryType Memory::type() const {
  // The spec's memory type of an instance: its current size as the minimum.
  MemoryType type = inst_->type;
  type.limits.min = inst_->pages();
  return type;
}
uint8_t* Memory::data() const { return inst_->base; }
uint64_t Memory::size_bytes() const { return inst_->size_bytes; }
uint64_t Memory::pages() const { return inst_->pages(); }

Result<uint64_t> Memory::grow(uint64_t delta_pages) const {
  uint64_t old = inst_->grow(delta_pages);
  if (old == std::numeric_limits<uint64_t>::max()) {
    return Error::limit("cannot grow memory by " + std::to_string(delta_pages) + " pages");
  }
  return old;
}

std::optional<std::span<uint8_t>> Memory::slice(uint64_t addr, uint64_t len) const {
  uint64_t size = inst_->size_bytes;
  // Written so that addr + len cannot overflow.
  if (addr > size || len > size - addr) return std::nullopt;
  return std::span<uint8_t>(inst_->base + addr, len);
}

// ---- Table ----

TableType Table::type() const {
  TableType type = inst_->type;
  type.limits.min = inst_->elements.size();
  return type;
}
uint64_t Table::size() const { return inst_->elements.size(); }

std::optional<Value> Table::get(uint64_t index) const {
  if (index >= inst_->elements.size()) return std::nullopt;
  return Value{inst_->type.element, inst_->elements[index]};
}

Result<void> Table::set(uint64_t index, Value value) const {
  if (index >= inst_->elements.size()) return Error::usage("table index out of bounds");
  if (value.type != inst_->type.element) {
    return Error::usage(std::string("table element must be ") + to_string(inst_->type.element));
  }
  if (!ref_belongs_to(value, inst_->store)) {
    return Error::usage("function belongs to another store");
  }
  inst_->elements[index] = value.bits;
  return {};
}

// ---- Tag ----

const FuncType& Tag::type() const {
  if (inst_ == nullptr || inst_->type == nullptr) return empty_func_type();
  return *inst_->type;
}

// ---- Global ----

GlobalType Global::type() const { return inst_->type; }
Value Global::get() const { return Value{inst_->type.type, inst_->bits}; }

Result<void> Global::set(Value value) const {
  if (!inst_->type.is_mutable) return Error::usage("global is immutable");
  if (value.type != inst_->type.type) {
    return Error::usage(std::string("global value must be ") + to_string(inst_->type.type));
  }
  if (!ref_belongs_to(value, inst_->store)) {
    return Error::usage("function belongs to another store");
  }
  inst_->bits = value.bits;
  return {};
}

// ---- Caller ----

std::optional<Memory> Caller::memory() const {
  if (instance_ == nullptr) return std::nullopt;
  const Extern* exported = instance_->find_export("memory");
  if (exported != nullptr && std::holds_alternative<Memory>(*exported)) {
    return std::get<Memory>(*exported);
  }
  if (!instance_->memories.empty()) return Memory(instance_->memories[0]);
  return std::nullopt;
}

std::optional<Extern> Caller::get_export(std::string_view name) const {
  if (instance_ == nullptr) return std::nullopt;
  const Extern* exported = instance_->find_export(name);
  if (exported == nullptr) return std::nullopt;
  return *exported;
}

// ---- Instance ----

std::optional<Extern> Instance::get_export(std::string_view name) const {
  if (impl_ == nullptr) return std::nullopt;
  const Extern* exported = impl_->find_export(name);
  if (exported == nullptr) return std::nullopt;
  return *exported;
}

namespace {
template <class T>
std::optional<T> export_as(const Instance& instance, std::string_view name) {
  std::optional<Extern> ext = instance.get_export(name);
  if (!ext || !std::holds_alternative<T>(*ext)) return std::nullopt;
  return std::get<T>(*ext);
}
}  // namespace

std::optional<Func> Instance::get_func(std::string_view name) const {
  return export_as<Func>(*this, name);
}
std::optional<Memory> Instance::get_memory(std::string_view name) const {
  return export_as<Memory>(*this, name);
}
std::optional<Global> Instance::get_global(std::string_view name) const {
  return export_as<Global>(*this, name);
}
std::optional<Table> Instance::get_table(std::string_view name) const {
  return export_as<Table>(*this, name);
}
std::optional<Tag> Instance::get_tag(std::string_view name) const {
  return export_as<Tag>(*this, name);
}

std::vector<std::pair<std::string, Extern>> Instance::exports() const {
  std::vector<std::pair<std::string, Extern>> result;
  if (impl_ == nullptr || impl_->mod == nullptr) return result;
  const std::vector<wasm::Export>& decls = impl_->mod->decl.exports;
  result.reserve(decls.size());
  for (size_t i = 0; i < decls.size() && i < impl_->exports.size(); ++i)
    result.emplace_back(decls[i].name, impl_->exports[i]);
  return result;
}

std::span<const Extern> Instance::export_list() const {
  if (impl_ == nullptr) return {};
  return impl_->exports;
}

}  // namespace weft
