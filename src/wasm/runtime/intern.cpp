// Process-wide function-type interning: equal types get equal ids, so
// call_indirect and import matching compare one integer.
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "wasm/runtime/objects.h"

namespace weft::detail {
namespace {

struct InternTable {
  std::mutex mutex;
  std::deque<FuncType> types;  // deque: references stay valid as it grows
  std::unordered_map<std::string, uint32_t> ids;
};

InternTable& table() {
  // Leaked on purpose: interned types must outlive every static Module.
  static InternTable* instance = new InternTable;
  return *instance;
}

// Type bytes never equal 0x00, so it separates params from results.
std::string key_of(const FuncType& type) {
  std::string key;
  key.reserve(type.params.size() + type.results.size() + 1);
  for (ValType t : type.params) key.push_back(static_cast<char>(t));
  key.push_back('\0');
  for (ValType t : type.results) key.push_back(static_cast<char>(t));
  return key;
}

}  // namespace

uint32_t intern_func_type(const FuncType& type) { return intern_func_type_ref(type).first; }

std::pair<uint32_t, const FuncType*> intern_func_type_ref(const FuncType& type) {
  std::string key = key_of(type);
  InternTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.ids.find(key);
  if (it != t.ids.end()) return {it->second, &t.types[it->second]};
  uint32_t id = static_cast<uint32_t>(t.types.size());
  t.types.push_back(type);
  t.ids.emplace(std::move(key), id);
  return {id, &t.types.back()};
}

const FuncType& interned_func_type(uint32_t id) {
  InternTable& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  return t.types.at(id);
}

}  // namespace weft::detail
