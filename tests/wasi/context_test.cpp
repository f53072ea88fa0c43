// The WASI context on its own: preopens, the fd table, stdio buffers.
#include "wasi/abi.h"
#include "wasi_harness.h"

namespace weft::wasi::testing {
namespace {

TEST(WasiContext, MissingPreopenIsAnErrorNamingIt) {
  Config config;
  config.preopens.push_back({"/definitely/not/here", "/data", false});
  auto ctx = Context::create(std::move(config));
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().kind, ErrorKind::Io);
  EXPECT_NE(ctx.error().message.find("/definitely/not/here"), std::string::npos);
}

TEST(WasiContext, PreopenMustBeADirectory) {
  TempDir tmp;
  write_file(tmp.path() / "file", "x");
  Config config;
  config.preopens.push_back({(tmp.path() / "file").string(), "/f", false});
  EXPECT_FALSE(Context::create(std::move(config)));
}

TEST(WasiContext, PreopensFollowStdioWithRights) {
  TempDir tmp;
  Config config;
  config.preopens.push_back({tmp.path().string(), "/rw", false});
  config.preopens.push_back({tmp.path().string(), "/ro", true});
  auto ctx = Context::create(std::move(config));
  ASSERT_TRUE(ctx) << ctx.error().to_string();
  Context& c = **ctx;
  ASSERT_NE(c.get(3), nullptr);
  ASSERT_NE(c.get(4), nullptr);
  EXPECT_EQ(c.get(5), nullptr);
  EXPECT_TRUE(c.get(3)->is_preopen);
  EXPECT_EQ(c.get(3)->preopen_name, "/rw");
  EXPECT_EQ(c.get(3)->rights_inheriting, abi::kRightsAll);
  EXPECT_TRUE(c.get(4)->read_only);
  EXPECT_EQ(c.get(4)->rights_base & abi::kWriteRights, 0u);
  EXPECT_EQ(c.get(4)->rights_inheriting & abi::kWriteRights, 0u);
  EXPECT_NE(c.get(4)->rights_base & abi::kRightPathOpen, 0u);
}

TEST(WasiContext, FdTableInsertCloseRenumber) {
  Context ctx{Config{}};
  EXPECT_EQ(ctx.open_fd_count(), 3u);
  FdEntry entry;
  entry.kind = FdEntry::Kind::NullOut;
  EXPECT_EQ(ctx.insert(entry), 3u);
  EXPECT_EQ(ctx.insert(entry), 4u);
  EXPECT_TRUE(ctx.close(3));
  EXPECT_FALSE(ctx.close(3));
  EXPECT_EQ(ctx.insert(entry), 3u);  // lowest free number again
  EXPECT_TRUE(ctx.renumber(4, 3));
  EXPECT_EQ(ctx.get(4), nullptr);
  EXPECT_NE(ctx.get(3), nullptr);
  EXPECT_FALSE(ctx.renumber(4, 3));
  EXPECT_FALSE(ctx.renumber(3, 9));
  EXPECT_TRUE(ctx.renumber(3, 3));
}

TEST(WasiContext, BufferedStdio) {
  Config config = buffered_config();
  config.stdin_data = "hello";
  config.max_output_bytes = 4;
  Context ctx(std::move(config));
  uint8_t buf[3];
  EXPECT_EQ(ctx.read_stdin(buf, 3), 3u);
  EXPECT_EQ(ctx.stdin_remaining(), 2u);
  EXPECT_EQ(ctx.read_stdin(buf, 3), 2u);
  EXPECT_EQ(ctx.read_stdin(buf, 3), 0u);
  const uint8_t data[] = {'a', 'b', 'c'};
  EXPECT_EQ(ctx.append_output(1, data, 3), 3u);
  EXPECT_EQ(ctx.append_output(1, data, 3), 1u);
  EXPECT_EQ(ctx.append_output(1, data, 3), 0u);
  EXPECT_EQ(ctx.append_output(2, data, 2), 2u);
  EXPECT_EQ(ctx.take_stdout(), "abca");
  EXPECT_EQ(ctx.take_stdout(), "");
  EXPECT_EQ(ctx.take_stderr(), "ab");
  EXPECT_EQ(ctx.get(0)->kind, FdEntry::Kind::BufferIn);
  EXPECT_EQ(ctx.get(1)->kind, FdEntry::Kind::BufferOut);
}

TEST(WasiContext, InterruptFlagIsShared) {
  Context ctx{Config{}};
  auto flag = ctx.interrupt_flag();
  EXPECT_FALSE(ctx.interrupted());
  flag->store(true);
  EXPECT_TRUE(ctx.interrupted());
}

}  // namespace
}  // namespace weft::wasi::testing
