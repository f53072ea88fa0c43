// libFuzzer target: bytes → component::decode_component. Decoding any input
// must return a result without crashing, hanging or allocating without
// bound; on success the tree's byte ranges and section runs must be
// consistent (checked here, since the validator will index with them).
//
// Built with -fsanitize=fuzzer (fuzz/CMakeLists.txt) and, with
// standalone_main.cpp, as an ordinary program that replays the seed corpus
// in ctest (fuzz/corpus.cmake).
#include <cstddef>
#include <cstdint>
#include <span>

#include "component/binary/decoder.h"

namespace {

using namespace weft::component::ast;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

void check_range(ByteRange r, ByteRange within) {
  require(r.begin <= r.end);
  require(r.begin >= within.begin && r.end <= within.end);
}

size_t run_size(const Component& c, uint8_t id) {
  switch (id) {
    case 0:
      return c.customs.size();
    case 1:
      return c.core_modules.size();
    case 2:
      return c.core_instances.size();
    case 3:
      return c.core_types.size();
    case 4:
      return c.components.size();
    case 5:
      return c.instances.size();
    case 6:
      return c.aliases.size();
    case 7:
      return c.types.size();
    case 8:
      return c.canons.size();
    case 9:
      return c.starts.size();
    case 10:
      return c.imports.size();
    case 11:
      return c.exports.size();
    case 12:
      return c.values.size();
    default:
      __builtin_trap();
  }
}

// Recursion depth is bounded by the decoder's kMaxNesting.
void check_component(const Component& c, ByteRange within) {
  check_range(c.range, within);
  size_t expected[13] = {};
  uint32_t last_end = c.range.begin + 8;
  for (const SectionEntry& s : c.order) {
    require(s.id <= 12);
    check_range(s.contents, c.range);
    require(s.offset >= last_end && s.offset < s.contents.begin);
    last_end = s.contents.end;
    // Runs are consecutive per kind and cover every definition.
    require(s.first == expected[s.id]);
    expected[s.id] += s.count;
  }
  for (uint8_t id = 0; id <= 12; ++id) require(expected[id] == run_size(c, id));
  require(last_end == c.range.end);
  for (ByteRange m : c.core_modules) check_range(m, c.range);
  for (const CustomSection& s : c.customs) check_range(s.contents, c.range);
  for (const Value& v : c.values) check_range(v.payload, c.range);
  for (const auto& child : c.components) check_component(*child, c.range);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = weft::component::decode_component(std::span<const uint8_t>(data, size));
  if (!decoded) {
    // Errors must render, and name a byte of the input.
    (void)decoded.error().to_string();
    require(decoded.error().offset <= size);
    return 0;
  }
  const ComponentDecl& decl = decoded.value();
  require(decl.bytes.size() == size);
  require(weft::component::is_component(decl.bytes));
  check_component(decl.root, ByteRange{0, static_cast<uint32_t>(size)});
  return 0;
}
