// The `spectest` host module every spec script may import from: print
// functions (silent here), four globals, a table and a memory.
#include "cli/wast_script.h"

namespace weft::cli {
namespace {

void define_print(Linker& linker, const char* name, std::vector<ValType> params) {
  linker.func("spectest", name, FuncType{std::move(params), {}},
              [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> { return {}; });
}

void define_global(Linker& linker, Store& store, const char* name, Value value) {
  auto global = store.create_global(GlobalType{value.type, /*is_mutable=*/false}, value);
  if (global) linker.define("spectest", name, *global);
}

}  // namespace

void define_spectest(Linker& linker, Store& store) {
  define_print(linker, "print", {});
  define_print(linker, "print_i32", {ValType::I32});
  define_print(linker, "print_i64", {ValType::I64});
  define_print(linker, "print_f32", {ValType::F32});
  define_print(linker, "print_f64", {ValType::F64});
  define_print(linker, "print_i32_f32", {ValType::I32, ValType::F32});
  define_print(linker, "print_f64_f64", {ValType::F64, ValType::F64});

  define_global(linker, store, "global_i32", Value::i32(666));
  define_global(linker, store, "global_i64", Value::i64(666));
  define_global(linker, store, "global_f32", Value::f32(666.6f));
  define_global(linker, store, "global_f64", Value::f64(666.6));

  auto table = store.create_table(TableType{ValType::FuncRef, Limits{10, 20}},
                                  Value::null(ValType::FuncRef));
  if (table) linker.define("spectest", "table", *table);
  auto memory = store.create_memory(MemoryType{Limits{1, 2}});
  if (memory) linker.define("spectest", "memory", *memory);
}

}  // namespace weft::cli
