// Block types given by type index (s33 in the binary format) at the LEB128
// boundaries. An index of 64 or more is a multi-byte s33 whose first byte
// has bit 6 set (`c0 00` is 64), which once read as a value type. Modules are
// built byte by byte here so the test does not depend on a text parser.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "weft/weft.h"

namespace weft {
namespace {

using Bytes = std::vector<uint8_t>;

void put_uleb(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}

void put_sleb(Bytes& out, int64_t v) {
  for (;;) {
    const uint8_t b = v & 0x7F;
    v >>= 7;
    const bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : static_cast<uint8_t>(b | 0x80));
    if (done) return;
  }
}

void put_section(Bytes& out, uint8_t id, const Bytes& content) {
  out.push_back(id);
  put_uleb(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

enum class Construct { Block, Loop, If };

// `filler` types `() -> ()`, then at index `filler` the block type
// `(param i32) (result i32 i32)`, then `() -> i32` for the export. The
// exported `f` computes 7 + 35 inside the construct, taking 7 as the block's
// parameter, so it returns 42 only if the block type was read right.
// `block_type` overrides the encoded s33 bytes when not empty.
Bytes module_with_block_type(uint32_t filler, Construct construct, const Bytes& block_type = {}) {
  Bytes types;
  put_uleb(types, uint64_t{filler} + 2);
  for (uint32_t i = 0; i < filler; ++i) types.insert(types.end(), {0x60, 0x00, 0x00});
  types.insert(types.end(), {0x60, 0x01, 0x7F, 0x02, 0x7F, 0x7F});
  types.insert(types.end(), {0x60, 0x00, 0x01, 0x7F});

  Bytes funcs;
  put_uleb(funcs, 1);
  put_uleb(funcs, uint64_t{filler} + 1);

  Bytes exports;
  put_uleb(exports, 1);
  exports.insert(exports.end(), {0x01, 'f', 0x00, 0x00});

  Bytes bt = block_type;
  if (bt.empty()) put_sleb(bt, filler);
  Bytes body = {0x00};                    // no locals
  body.insert(body.end(), {0x41, 0x07});  // i32.const 7: the block's parameter
  switch (construct) {
    case Construct::Block:
      body.push_back(0x02);
      body.insert(body.end(), bt.begin(), bt.end());
      body.insert(body.end(), {0x41, 0x23, 0x0B});  // i32.const 35; end
      break;
    case Construct::Loop:
      body.push_back(0x03);
      body.insert(body.end(), bt.begin(), bt.end());
      body.insert(body.end(), {0x41, 0x23, 0x0B});
      break;
    case Construct::If:
      body.insert(body.end(), {0x41, 0x01, 0x04});  // i32.const 1; if
      body.insert(body.end(), bt.begin(), bt.end());
      body.insert(body.end(), {0x41, 0x23, 0x05, 0x41, 0x00, 0x0B});  // 35 else 0 end
      break;
  }
  body.insert(body.end(), {0x6A, 0x0B});  // i32.add; end
  Bytes code;
  put_uleb(code, 1);
  put_uleb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());

  Bytes out = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  put_section(out, 1, types);
  put_section(out, 3, funcs);
  put_section(out, 7, exports);
  put_section(out, 10, code);
  return out;
}

Result<int32_t> run_f(const Bytes& wasm) {
  auto module = Module::compile(wasm);
  if (!module) return module.error();
  Store store;
  Linker linker;
  auto instance = linker.instantiate(store, module.value());
  if (!instance) return instance.error();
  auto f = instance.value().get_func("f");
  if (!f) return Error::link("no export f");
  auto results = f->call({});
  if (!results) return results.error();
  if (results.value().size() != 1) return Error::link("wrong result count");
  return results.value()[0].as_i32();
}

class BlockTypeIndex : public ::testing::TestWithParam<uint32_t> {};

TEST_P(BlockTypeIndex, BlockLoopAndIfRunWithTheIndexedType) {
  for (Construct c : {Construct::Block, Construct::Loop, Construct::If}) {
    auto r = run_f(module_with_block_type(GetParam(), c));
    ASSERT_TRUE(r.ok()) << "type index " << GetParam() << " construct " << static_cast<int>(c)
                        << ": " << r.error().to_string();
    EXPECT_EQ(r.value(), 42);
  }
}

// 63/64 and 8191/8192 cross the sign bit of one and two LEB128 bytes;
// 127/128 cross a byte boundary without touching the sign bit.
INSTANTIATE_TEST_SUITE_P(Boundaries, BlockTypeIndex,
                         ::testing::Values(0u, 63u, 64u, 67u, 127u, 128u, 191u, 192u, 8191u,
                                           8192u));

TEST(BlockType, LargestTypeCountTheLimitsAllow) {
  // kMaxTypes types in all: the block type is the last-but-one.
  const uint32_t filler = 1'000'000 - 2;
  auto r = run_f(module_with_block_type(filler, Construct::Block));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value(), 42);
}

TEST(BlockType, OneTypeOverTheLimitIsRejectedNamingTheCount) {
  const Bytes wasm = module_with_block_type(1'000'000 - 1, Construct::Block);
  auto m = Module::compile(wasm);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("too many types"), std::string::npos) << m.error().to_string();
  // The error names the count's offset: after the header, the section id
  // and the section size's LEB128 bytes.
  size_t count_at = 9;
  while (wasm[count_at] & 0x80) ++count_at;
  EXPECT_EQ(m.error().offset, count_at + 1);
}

TEST(BlockType, IndexEqualToTheTypeCountIsUnknown) {
  Bytes bt;
  put_sleb(bt, 64 + 2);
  auto m = Module::compile(module_with_block_type(64, Construct::Block, bt));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::Invalid);
  EXPECT_NE(m.error().message.find("unknown type"), std::string::npos) << m.error().to_string();
}

TEST(BlockType, MultiByteNegativeIsMalformed) {
  // `ff 7f` is -1 in two bytes; only the one-byte forms name value types.
  auto m = Module::compile(module_with_block_type(0, Construct::Block, {0xFF, 0x7F}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::Malformed);
}

TEST(BlockType, OneByteValueTypesStillWork) {
  // `7f` (i32) as a one-byte block type: block (result i32) i32.const 42 end.
  Bytes out = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  put_section(out, 1, {0x01, 0x60, 0x00, 0x01, 0x7F});
  put_section(out, 3, {0x01, 0x00});
  put_section(out, 7, {0x01, 0x01, 'f', 0x00, 0x00});
  put_section(out, 10, {0x01, 0x07, 0x00, 0x02, 0x7F, 0x41, 0x2A, 0x0B, 0x0B});
  auto r = run_f(out);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value(), 42);
}

}  // namespace
}  // namespace weft
