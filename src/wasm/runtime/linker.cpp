// weft::Linker: import resolution and instantiation (WebAssembly 2.0
// semantics: link, allocate, evaluate element references, run active elem
// then data segments in order — a trap leaves earlier writes in place, as
// tables and memories may be shared — then the start function).
#include <algorithm>
#include <cstring>

#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"

namespace weft {
namespace {

using detail::FuncInst;
using detail::GlobalInst;
using detail::InstanceImpl;
using detail::MemoryInst;
using detail::ModuleImpl;
using detail::StoreImpl;
using detail::TableInst;

// ---- Constant expressions ----
//
// The validator has checked every constant expression, so this is a small
// stack machine that only guards against reading past the expression (it
// never trusts the bytes enough to crash).
class ConstExprEvaluator {
 public:
  ConstExprEvaluator(const ModuleImpl& mod, const InstanceImpl& inst) : mod_(mod), inst_(inst) {}

  Result<uint64_t> eval(const wasm::ConstExpr& expr) {
    const std::vector<uint8_t>& bytes = mod_.decl.bytes;
    if (expr.code.begin > expr.code.end || expr.code.end > bytes.size()) {
      return bad("constant expression out of range");
    }
    pos_ = bytes.data() + expr.code.begin;
    end_ = bytes.data() + expr.code.end;
    stack_.clear();
    while (pos_ < end_) {
      uint8_t op = *pos_++;
      switch (op) {
        case 0x0B:  // end
          if (stack_.size() != 1) return bad("constant expression leaves a wrong stack");
          return stack_.back();
        case 0x41: {  // i32.const
          int64_t v;
          if (!read_sleb(32, v)) return bad("bad i32.const");
          stack_.push_back(static_cast<uint32_t>(static_cast<int32_t>(v)));
          break;
        }
        case 0x42: {  // i64.const
          int64_t v;
          if (!read_sleb(64, v)) return bad("bad i64.const");
          stack_.push_back(static_cast<uint64_t>(v));
          break;
        }
        case 0x43: {  // f32.const
          if (end_ - pos_ < 4) return bad("bad f32.const");
          uint32_t v;
          std::memcpy(&v, pos_, 4);  // little-endian host (x86-64 / aarch64)
          pos_ += 4;
          stack_.push_back(v);
          break;
        }
        case 0x44: {  // f64.const
          if (end_ - pos_ < 8) return bad("bad f64.const");
          uint64_t v;
          std::memcpy(&v, pos_, 8);
          pos_ += 8;
          stack_.push_back(v);
          break;
        }
        case 0xD0:  // ref.null t
          if (pos_ >= end_) return bad("bad ref.null");
          ++pos_;
          stack_.push_back(0);
          break;
        case 0xD2: {  // ref.func x
          uint64_t index;
          if (!read_uleb(index) || index >= inst_.funcs.size()) return bad("bad ref.func");
          stack_.push_back(reinterpret_cast<uint64_t>(inst_.funcs[index]));
          break;
        }
        case 0x23: {  // global.get x
          uint64_t index;
          if (!read_uleb(index) || index >= inst_.globals.size()) return bad("bad global.get");
          stack_.push_back(inst_.globals[index]->bits);
          break;
        }
        case 0x6A:
        case 0x6B:
        case 0x6C: {  // i32.add / sub / mul
          if (stack_.size() < 2) return bad("stack underflow");
          uint32_t b = static_cast<uint32_t>(stack_.back());
          stack_.pop_back();
          uint32_t a = static_cast<uint32_t>(stack_.back());
          uint32_t r = op == 0x6A ? a + b : op == 0x6B ? a - b : a * b;
          stack_.back() = r;
          break;
        }
        case 0x7C:
        case 0x7D:
        case 0x7E: {  // i64.add / sub / mul
          if (stack_.size() < 2) return bad("stack underflow");
          uint64_t b = stack_.back();
          stack_.pop_back();
          uint64_t a = stack_.back();
          stack_.back() = op == 0x7C ? a + b : op == 0x7D ? a - b : a * b;
          break;
        }
        default:
          return bad("unsupported constant instruction");
      }
    }
    return bad("constant expression without end");
  }

 private:
  static Error bad(const char* what) {
    return Error::invalid(Error::kNoOffset, std::string("constant expression: ") + what);
  }

  bool read_uleb(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= end_) return false;
      uint8_t byte = *pos_++;
      out |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool read_sleb(int bits, int64_t& out) {
    uint64_t result = 0;
    int shift = 0;
    uint8_t byte;
    do {
      if (pos_ >= end_ || shift >= bits + 7) return false;
      byte = *pos_++;
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      shift += 7;
    } while (byte & 0x80);
    if (shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
    out = static_cast<int64_t>(result);
    return true;
  }

  const ModuleImpl& mod_;
  const InstanceImpl& inst_;
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  std::vector<uint64_t> stack_;
};

// ---- Import matching ----

Error incompatible() { return Error::link("incompatible import type"); }

// Limits subtyping: the provided object's current size must cover the
// declared minimum; a declared maximum requires a provided maximum within it.
bool limits_match(uint64_t actual_min, const std::optional<uint64_t>& actual_max,
                  const Limits& declared) {
  if (actual_min < declared.min) return false;
  if (declared.max) {
    if (!actual_max || *actual_max > *declared.max) return false;
  }
  return true;
}

const detail::StoreImpl* store_of(const Extern& ext) {
  switch (ext.index()) {
    case 0:
      return std::get<Func>(ext).raw() ? std::get<Func>(ext).raw()->store : nullptr;
    case 1:
      return std::get<Table>(ext).raw() ? std::get<Table>(ext).raw()->store : nullptr;
    case 2:
      return std::get<Memory>(ext).raw() ? std::get<Memory>(ext).raw()->store : nullptr;
    case 4:
      return std::get<Tag>(ext).raw() ? std::get<Tag>(ext).raw()->store : nullptr;
    default:
      return std::get<Global>(ext).raw() ? std::get<Global>(ext).raw()->store : nullptr;
  }
}

struct Imports {
  std::vector<FuncInst*> funcs;
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  std::vector<detail::TagInst*> tags;
};

Result<void> match_extern(const ModuleImpl& mod, const wasm::Import& imp, const Extern& ext,
                          Imports& out) {
  if (kind_of(ext) != imp.kind) return incompatible();
  switch (imp.kind) {
    case ExternKind::Func: {
      FuncInst* func = std::get<Func>(ext).raw();
      if (imp.func_type >= mod.type_ids.size() || func->type_id != mod.type_ids[imp.func_type]) {
        return incompatible();
      }
      out.funcs.push_back(func);
      return {};
    }
    case ExternKind::Table: {
      TableInst* table = std::get<Table>(ext).raw();
      if (table->type.element != imp.table.element ||
          !limits_match(table->elements.size(), table->type.limits.max, imp.table.limits)) {
        return incompatible();
      }
      out.tables.push_back(table);
      return {};
    }
    case ExternKind::Memory: {
      MemoryInst* mem = std::get<Memory>(ext).raw();
      if (!limits_match(mem->pages(), mem->type.limits.max, imp.memory.limits)) {
        return incompatible();
      }
      out.memories.push_back(mem);
      return {};
    }
    case ExternKind::Global: {
      GlobalInst* global = std::get<Global>(ext).raw();
      if (global->type.type != imp.global.type ||
          global->type.is_mutable != imp.global.is_mutable) {
        return incompatible();
      }
      out.globals.push_back(global);
      return {};
    }
    case ExternKind::Tag: {
      // Exact type equality: a tag's type is used both ways (throw and catch).
      detail::TagInst* tag = std::get<Tag>(ext).raw();
      if (imp.tag_type >= mod.type_ids.size() || tag->type_id != mod.type_ids[imp.tag_type]) {
        return incompatible();
      }
      out.tags.push_back(tag);
      return {};
    }
  }
  return incompatible();
}

Error trap(TrapKind kind) { return Error::make_trap(kind, trap_message(kind)); }

// A memory that came from the pool already holding the module's image must
// read as zero if instantiation fails before the data segments are due (an
// earlier elem segment may have put this instance's functions in an imported
// table, so the memory stays reachable).
class ImageGuard {
 public:
  void arm(MemoryInst* mem) { mem_ = mem; }
  void disarm() { mem_ = nullptr; }
  ~ImageGuard() {
    if (mem_ != nullptr) detail::discard_memory_image(*mem_);
  }

 private:
  MemoryInst* mem_ = nullptr;
};

}  // namespace

// ---- Linker definitions ----

namespace {
template <class Vec>
auto find_entry(Vec& entries, std::string_view module, std::string_view name) {
  using Key = std::pair<std::string_view, std::string_view>;
  return std::lower_bound(entries.begin(), entries.end(), Key(module, name),
                          [](const auto& entry, const Key& key) {
                            return Key(entry.first.module, entry.first.name) < key;
                          });
}
template <class Entry, class V>
void upsert(std::vector<Entry>& entries, std::string module, std::string name, V value) {
  auto it = find_entry(entries, module, name);
  if (it != entries.end() && it->first.module == module && it->first.name == name) {
    it->second = std::move(value);
    return;
  }
  entries.emplace(it, typename Entry::first_type{std::move(module), std::move(name)},
                  std::move(value));
}
}  // namespace

void Linker::func(std::string module, std::string name, FuncType type, HostFunc fn) {
  upsert(host_funcs_, std::move(module), std::move(name),
         HostDef{std::move(type), std::make_shared<HostFunc>(std::move(fn))});
}

void Linker::define(std::string module, std::string name, Extern ext) {
  upsert(externs_, std::move(module), std::move(name), std::move(ext));
}

void Linker::define_instance(const std::string& module, const Instance& instance) {
  for (auto& [name, ext] : instance.exports()) define(module, name, ext);
}

const Linker::HostDef* Linker::find_host_func(std::string_view module,
                                              std::string_view name) const {
  auto it = find_entry(host_funcs_, module, name);
  if (it == host_funcs_.end() || it->first.module != module || it->first.name != name) {
    return nullptr;
  }
  return &it->second;
}

const Extern* Linker::find_extern(std::string_view module, std::string_view name) const {
  auto it = find_entry(externs_, module, name);
  if (it == externs_.end() || it->first.module != module || it->first.name != name) {
    return nullptr;
  }
  return &it->second;
}

// ---- Instantiation ----

namespace {
// Allocates an instance of `module` whose imports are resolved and matched
// (steps 2–4 of instantiation): shared by Linker::instantiate and
// Instance::create.
Result<Instance> instantiate_resolved(StoreImpl& s, const std::shared_ptr<const Module>& module,
                                      Imports imports);

Imports reserved_imports(const wasm::ModuleDecl& decl) {
  Imports imports;
  imports.funcs.reserve(decl.funcs_imported);
  imports.tables.reserve(decl.tables_imported);
  imports.memories.reserve(decl.memories_imported);
  imports.globals.reserve(decl.globals_imported);
  imports.tags.reserve(decl.tags_imported);
  return imports;
}
}  // namespace

Result<Instance> Instance::create(Store& store, const std::shared_ptr<const Module>& module,
                                  std::span<const Extern> imports) {
  if (!module) return Error::usage("instantiate of a null module");
  StoreImpl& s = store.impl();
  const ModuleImpl& mod = module->impl();
  const wasm::ModuleDecl& decl = mod.decl;
  if (imports.size() != decl.imports.size()) {
    return Error::link("the module has " + std::to_string(decl.imports.size()) + " imports, " +
                       std::to_string(imports.size()) + " given");
  }
  Imports resolved = reserved_imports(decl);
  for (size_t i = 0; i < imports.size(); ++i) {
    const wasm::Import& imp = decl.imports[i];
    if (store_of(imports[i]) != &s) {
      return Error::link("import \"" + imp.module + "\" \"" + imp.name +
                         "\" belongs to another store");
    }
    Result<void> matched = match_extern(mod, imp, imports[i], resolved);
    if (!matched) {
      return Error::link("import \"" + imp.module + "\" \"" + imp.name +
                         "\": " + matched.error().message);
    }
  }
  return instantiate_resolved(s, module, std::move(resolved));
}

Result<Instance> Linker::instantiate(Store& store,
                                     const std::shared_ptr<const Module>& module) const {
  if (!module) return Error::usage("instantiate of a null module");
  StoreImpl& s = store.impl();
  const ModuleImpl& mod = module->impl();
  const wasm::ModuleDecl& decl = mod.decl;

  // 1. Resolve imports, in order.
  Imports imports = reserved_imports(decl);
  for (const wasm::Import& imp : decl.imports) {
    if (const Extern* ext = find_extern(imp.module, imp.name)) {
      if (store_of(*ext) != &s) {
        return Error::link("import \"" + imp.module + "\" \"" + imp.name +
                           "\" belongs to another store");
      }
      Result<void> matched = match_extern(mod, imp, *ext, imports);
      if (!matched) return std::move(matched).error();
      continue;
    }
    if (const HostDef* host = find_host_func(imp.module, imp.name)) {
      if (imp.kind != ExternKind::Func || imp.func_type >= mod.type_ids.size() ||
          host->type != *mod.interned_types[imp.func_type]) {
        return incompatible();
      }
      imports.funcs.push_back(detail::new_host_func(s, mod.type_ids[imp.func_type],
                                                    mod.interned_types[imp.func_type], host->fn));
      continue;
    }
    return Error::link("unknown import: \"" + imp.module + "\" \"" + imp.name + "\"");
  }
  return instantiate_resolved(s, module, std::move(imports));
}

namespace {
Result<Instance> instantiate_resolved(StoreImpl& s, const std::shared_ptr<const Module>& module,
                                      Imports imports) {
  const ModuleImpl& mod = module->impl();
  const wasm::ModuleDecl& decl = mod.decl;
  if (imports.funcs.size() != decl.funcs_imported ||
      imports.tables.size() != decl.tables_imported ||
      imports.memories.size() != decl.memories_imported ||
      imports.globals.size() != decl.globals_imported ||
      imports.tags.size() != decl.tags_imported || decl.tags_imported > decl.tag_types.size() ||
      decl.funcs_imported > decl.func_types.size() ||
      mod.code.size() != decl.func_types.size() - decl.funcs_imported ||
      decl.globals.size() + decl.globals_imported != decl.global_types.size() ||
      mod.interned_types.size() != mod.type_ids.size()) {
    return Error::usage("module declarations are inconsistent");
  }

  // 2. Allocate.
  InstanceImpl& inst = s.instances.emplace_back();
  inst.module = module;
  inst.mod = &mod;
  inst.store = &s;

  inst.funcs = std::move(imports.funcs);
  inst.funcs.reserve(decl.func_types.size());
  for (uint32_t i = decl.funcs_imported; i < decl.func_types.size(); ++i) {
    FuncInst& func = s.funcs.emplace_back();
    uint32_t type_index = decl.func_types[i];
    if (type_index >= mod.type_ids.size()) return Error::usage("bad function type index");
    func.type_id = mod.type_ids[type_index];
    func.type = mod.interned_types[type_index];
    func.store = &s;
    func.instance = &inst;
    func.func_index = i;
    func.code = mod.code[i - decl.funcs_imported].get();
    inst.funcs.push_back(&func);
  }

  inst.tables = std::move(imports.tables);
  for (size_t i = decl.tables_imported; i < decl.tables.size(); ++i) {
    auto table = detail::new_table(s, decl.tables[i], 0);
    if (!table) return std::move(table).error();
    inst.tables.push_back(*table);
  }

  // build_memory_image only makes an image for a module whose single memory
  // is defined (not imported), so the image belongs to inst.memories[0].
  const std::shared_ptr<const detail::MemoryImage>& image = mod.memory_image;
  ImageGuard image_guard;
  inst.memories = std::move(imports.memories);
  for (size_t i = decl.memories_imported; i < decl.memories.size(); ++i) {
    auto mem = detail::new_memory(s, decl.memories[i], image.get());
    if (!mem) return std::move(mem).error();
    inst.memories.push_back(*mem);
    if ((*mem)->image != nullptr) image_guard.arm(*mem);
  }

  // Each instantiation defines fresh tags (they are generative).
  inst.tags = std::move(imports.tags);
  for (size_t i = decl.tags_imported; i < decl.tag_types.size(); ++i) {
    const uint32_t type_index = decl.tag_types[i];
    if (type_index >= mod.type_ids.size()) return Error::usage("bad tag type index");
    detail::TagInst& tag = s.tags.emplace_back();
    tag.type_id = mod.type_ids[type_index];
    tag.type = mod.interned_types[type_index];
    tag.store = &s;
    inst.tags.push_back(&tag);
  }

  ConstExprEvaluator evaluator(mod, inst);
  inst.globals = std::move(imports.globals);
  for (const wasm::Global& global : decl.globals) {
    // Sees only the globals allocated so far (imported and earlier ones).
    auto value = evaluator.eval(global.init);
    if (!value) return std::move(value).error();
    inst.globals.push_back(detail::new_global(s, global.type, *value));
  }

  inst.exports.reserve(decl.exports.size());
  for (const wasm::Export& exp : decl.exports) {
    Extern ext;
    bool in_range = false;
    switch (exp.kind) {
      case ExternKind::Func:
        in_range = exp.index < inst.funcs.size();
        if (in_range) ext = Func(inst.funcs[exp.index]);
        break;
      case ExternKind::Table:
        in_range = exp.index < inst.tables.size();
        if (in_range) ext = Table(inst.tables[exp.index]);
        break;
      case ExternKind::Memory:
        in_range = exp.index < inst.memories.size();
        if (in_range) ext = Memory(inst.memories[exp.index]);
        break;
      case ExternKind::Global:
        in_range = exp.index < inst.globals.size();
        if (in_range) ext = Global(inst.globals[exp.index]);
        break;
      case ExternKind::Tag:
        in_range = exp.index < inst.tags.size();
        if (in_range) ext = Tag(inst.tags[exp.index]);
        break;
    }
    if (!in_range) return Error::usage("export index out of range");
    inst.exports.push_back(ext);
  }

  // 3. Element references, then active segments in order.
  inst.elem_dropped.assign(decl.elems.size(), 0);
  inst.data_dropped.assign(decl.datas.size(), 0);
  inst.elem_values.resize(decl.elems.size());
  for (size_t i = 0; i < decl.elems.size(); ++i) {
    const wasm::ElemSegment& seg = decl.elems[i];
    std::vector<uint64_t>& values = inst.elem_values[i];
    values.reserve(seg.size());
    if (seg.uses_exprs) {
      for (const wasm::ConstExpr& expr : seg.exprs) {
        auto value = evaluator.eval(expr);
        if (!value) return std::move(value).error();
        values.push_back(*value);
      }
    } else {
      for (uint32_t index : seg.func_indices) {
        if (index >= inst.funcs.size()) return Error::usage("elem function index out of range");
        values.push_back(reinterpret_cast<uint64_t>(inst.funcs[index]));
      }
    }
  }

  for (size_t i = 0; i < decl.elems.size(); ++i) {
    const wasm::ElemSegment& seg = decl.elems[i];
    if (seg.mode == wasm::SegmentMode::Passive) continue;
    if (seg.mode == wasm::SegmentMode::Active) {
      auto offset = evaluator.eval(seg.offset);
      if (!offset) return std::move(offset).error();
      if (seg.table >= inst.tables.size()) return Error::usage("elem table index out of range");
      TableInst& table = *inst.tables[seg.table];
      const std::vector<uint64_t>& values = inst.elem_values[i];
      uint64_t start = static_cast<uint32_t>(*offset);
      if (start > table.elements.size() || values.size() > table.elements.size() - start) {
        return trap(TrapKind::TableOutOfBounds);
      }
      std::copy(values.begin(), values.end(), table.elements.begin() + start);
    }
    // Active and declarative segments are dropped once instantiated.
    inst.elem_dropped[i] = 1;
    std::vector<uint64_t>().swap(inst.elem_values[i]);
  }

  image_guard.disarm();
  bool image_mapped = false;
  if (image != nullptr && decl.memories_imported == 0 && inst.memories.size() == 1) {
    auto mapped = detail::map_memory_image(*inst.memories[0], image);
    if (!mapped) return std::move(mapped).error();
    image_mapped = *mapped;
  }
  for (size_t i = 0; i < decl.datas.size(); ++i) {
    const wasm::DataSegment& seg = decl.datas[i];
    if (seg.mode != wasm::SegmentMode::Active) continue;
    if (image_mapped) {
      // The image holds every active segment (all constant and in bounds).
      inst.data_dropped[i] = 1;
      continue;
    }
    auto offset = evaluator.eval(seg.offset);
    if (!offset) return std::move(offset).error();
    if (seg.memory >= inst.memories.size()) return Error::usage("data memory index out of range");
    if (seg.init.begin > seg.init.end || seg.init.end > decl.bytes.size()) {
      return Error::usage("data segment out of range");
    }
    MemoryInst& mem = *inst.memories[seg.memory];
    uint64_t start = static_cast<uint32_t>(*offset);
    uint64_t len = seg.init.size();
    if (start > mem.size_bytes || len > mem.size_bytes - start) {
      return trap(TrapKind::MemoryOutOfBounds);
    }
    if (len > 0) std::memcpy(mem.base + start, decl.bytes.data() + seg.init.begin, len);
    inst.data_dropped[i] = 1;
  }

  // 4. Start function.
  if (decl.start) {
    if (*decl.start >= inst.funcs.size()) return Error::usage("start function out of range");
    FuncInst* start = inst.funcs[*decl.start];
    std::vector<uint64_t> slots(
        std::max<size_t>({start->type->params.size(), start->type->results.size(), 1}));
    Result<void> result = interp::invoke(s, start, slots.data());
    if (!result) return std::move(result).error();
  }

  return Instance(&inst);
}
}  // namespace

}  // namespace weft
