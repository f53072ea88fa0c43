// wasi:filesystem on the preview1 sandbox: a temporary preopen, read-only
// grants, escapes refused.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "wasi_p2/p2_harness.h"

namespace weft::wasi::p2::testing {
namespace {

const std::string kTypes = "wasi:filesystem/types";

std::string method(const char* name) { return std::string("[method]descriptor.") + name; }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/weft_p2_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& rel, const std::string& data) const {
    std::ofstream(path + "/" + rel, std::ios::binary) << data;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path + "/" + rel, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string path;
};

struct Fs {
  explicit Fs(const TempDir& dir, bool read_only = false) : host(config(dir, read_only)) {
    Val dirs = host.value("wasi:filesystem/preopens", "get-directories");
    EXPECT_EQ(dirs.items.size(), 1u);
    if (dirs.items.size() == 1) {
      EXPECT_EQ(dirs.items[0].items[1].str, "/sandbox");
      root = dirs.items[0].items[0].bits;
    }
  }
  static Config config(const TempDir& dir, bool read_only) {
    Config c;
    c.preopens.push_back({dir.path, "/sandbox", read_only});
    return c;
  }
  // open-at beneath `dir`; ok(own<descriptor>) → rep.
  Val open(uint64_t dir, const std::string& path, std::vector<std::string> oflags,
           std::vector<std::string> dflags, bool follow = false) {
    return host.value(
        kTypes, method("open-at"),
        {borrow(dir),
         flags(follow ? std::vector<std::string>{"symlink-follow"} : std::vector<std::string>{}),
         Val::string(path), flags(std::move(oflags)), flags(std::move(dflags))});
  }
  uint64_t open_ok(uint64_t dir, const std::string& path, std::vector<std::string> oflags,
                   std::vector<std::string> dflags) {
    Val r = open(dir, path, std::move(oflags), std::move(dflags));
    EXPECT_EQ(r.discriminant, 0u) << path << ": " << component::to_string(r);
    return r.items.empty() ? 0 : r.items[0].bits;
  }
  std::string open_err(uint64_t dir, const std::string& path, std::vector<std::string> oflags,
                       std::vector<std::string> dflags, bool follow = false) {
    Val r = open(dir, path, std::move(oflags), std::move(dflags), follow);
    EXPECT_EQ(r.discriminant, 1u) << path;
    return r.discriminant == 1 ? r.items[0].labels[0] : "";
  }
  Host host;
  uint64_t root = 0;
};

TEST(WasiP2Filesystem, PreopenIsADirectory) {
  TempDir dir;
  Fs fs(dir);
  Val type = fs.host.ok(kTypes, method("get-type"), {borrow(fs.root)});
  EXPECT_EQ(type.labels[0], "directory");
  EXPECT_EQ(type.discriminant, 3u);
  Val f = fs.host.ok(kTypes, method("get-flags"), {borrow(fs.root)});
  EXPECT_EQ(f.labels, (std::vector<std::string>{"read", "mutate-directory"}));
}

TEST(WasiP2Filesystem, CreateWriteReadStat) {
  TempDir dir;
  Fs fs(dir);
  const uint64_t file = fs.open_ok(fs.root, "new.txt", {"create", "exclusive"}, {"read", "write"});
  Val n = fs.host.ok(kTypes, method("write"), {borrow(file), bytes("hello, file"), Val::u64(0)});
  EXPECT_EQ(n.bits, 11u);
  Val r = fs.host.ok(kTypes, method("read"), {borrow(file), Val::u64(5), Val::u64(7)});
  ASSERT_EQ(r.kind, ValKind::Tuple);
  EXPECT_EQ(as_bytes(r.items[0]), "file");
  EXPECT_FALSE(r.items[1].bits);
  Val eof = fs.host.ok(kTypes, method("read"), {borrow(file), Val::u64(5), Val::u64(11)});
  EXPECT_TRUE(eof.items[1].bits);
  EXPECT_EQ(dir.read("new.txt"), "hello, file");

  Val st = fs.host.ok(kTypes, method("stat"), {borrow(file)});
  ASSERT_EQ(st.labels,
            (std::vector<std::string>{"type", "link-count", "size", "data-access-timestamp",
                                      "data-modification-timestamp", "status-change-timestamp"}));
  EXPECT_EQ(st.items[0].labels[0], "regular-file");
  EXPECT_EQ(st.items[1].bits, 1u);
  EXPECT_EQ(st.items[2].bits, 11u);
  EXPECT_EQ(st.items[4].discriminant, 1u);  // some(datetime)

  Val at =
      fs.host.ok(kTypes, method("stat-at"), {borrow(fs.root), flags({}), Val::string("new.txt")});
  EXPECT_EQ(at.items[2].bits, 11u);
  Val h1 = fs.host.ok(kTypes, method("metadata-hash"), {borrow(file)});
  Val h2 = fs.host.ok(kTypes, method("metadata-hash-at"),
                      {borrow(fs.root), flags({}), Val::string("new.txt")});
  EXPECT_EQ(h1, h2);
  Val same = fs.host.value(kTypes, method("is-same-object"), {borrow(file), borrow(file)});
  EXPECT_TRUE(same.bits);
  Val other = fs.host.value(kTypes, method("is-same-object"), {borrow(file), borrow(fs.root)});
  EXPECT_FALSE(other.bits);

  // exclusive on an existing file
  EXPECT_EQ(fs.open_err(fs.root, "new.txt", {"create", "exclusive"}, {"write"}), "exist");
  EXPECT_EQ(fs.open_err(fs.root, "missing.txt", {}, {"read"}), "no-entry");

  fs.host.ok(kTypes, method("set-size"), {borrow(file), Val::u64(5)});
  EXPECT_EQ(dir.read("new.txt"), "hello");
  fs.host.ok(kTypes, method("sync"), {borrow(file)});
  fs.host.ok(kTypes, method("sync-data"), {borrow(file)});
  fs.host.ok(kTypes, method("advise"),
             {borrow(file), Val::u64(0), Val::u64(0), Val::enumeration("sequential", 1)});
  Val mtime = Val::variant(
      "timestamp", Val::record({{"seconds", Val::u64(1000)}, {"nanoseconds", Val::u32(5)}}), 2);
  fs.host.ok(kTypes, method("set-times"),
             {borrow(file), Val::variant("no-change", std::nullopt, 0), mtime});
  struct stat hs;
  ASSERT_EQ(stat((dir.path + "/new.txt").c_str(), &hs), 0);
  EXPECT_EQ(hs.st_mtim.tv_sec, 1000);
  fs.host.drop(kTypes, "descriptor", file);
}

TEST(WasiP2Filesystem, Streams) {
  TempDir dir;
  dir.write("in.txt", "0123456789");
  Fs fs(dir);
  const uint64_t file = fs.open_ok(fs.root, "in.txt", {}, {"read", "write"});
  Val in = fs.host.ok(kTypes, method("read-via-stream"), {borrow(file), Val::u64(4)});
  Val got = fs.host.ok("wasi:io/streams", "[method]input-stream.blocking-read",
                       {borrow(in.bits), Val::u64(3)});
  EXPECT_EQ(as_bytes(got), "456");
  got =
      fs.host.ok("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(100)});
  EXPECT_EQ(as_bytes(got), "789");
  Val end =
      fs.host.value("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(1)});
  EXPECT_EQ(end.discriminant, 1u);

  Val out = fs.host.ok(kTypes, method("write-via-stream"), {borrow(file), Val::u64(2)});
  fs.host.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
             {borrow(out.bits), bytes("ab")});
  fs.host.ok("wasi:io/streams", "[method]output-stream.check-write", {borrow(out.bits)});
  fs.host.ok("wasi:io/streams", "[method]output-stream.write", {borrow(out.bits), bytes("cd")});
  Val app = fs.host.ok(kTypes, method("append-via-stream"), {borrow(file)});
  fs.host.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
             {borrow(app.bits), bytes("!")});
  // The streams keep the file open after its descriptor is dropped.
  fs.host.drop(kTypes, "descriptor", file);
  fs.host.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
             {borrow(app.bits), bytes("?")});
  EXPECT_EQ(dir.read("in.txt"), "01abcd6789!?");
}

TEST(WasiP2Filesystem, DirectoriesAndLinks) {
  TempDir dir;
  dir.write("a.txt", "a");
  Fs fs(dir);
  fs.host.ok(kTypes, method("create-directory-at"), {borrow(fs.root), Val::string("sub")});
  EXPECT_EQ(
      fs.host.err(kTypes, method("create-directory-at"), {borrow(fs.root), Val::string("sub")}),
      "exist");
  fs.host.ok(kTypes, method("rename-at"),
             {borrow(fs.root), Val::string("a.txt"), borrow(fs.root), Val::string("sub/b.txt")});
  fs.host.ok(kTypes, method("link-at"),
             {borrow(fs.root), flags({}), Val::string("sub/b.txt"), borrow(fs.root),
              Val::string("hard.txt")});
  fs.host.ok(kTypes, method("symlink-at"),
             {borrow(fs.root), Val::string("sub/b.txt"), Val::string("link")});
  Val target = fs.host.ok(kTypes, method("readlink-at"), {borrow(fs.root), Val::string("link")});
  EXPECT_EQ(target.str, "sub/b.txt");
  Val lst =
      fs.host.ok(kTypes, method("stat-at"), {borrow(fs.root), flags({}), Val::string("link")});
  EXPECT_EQ(lst.items[0].labels[0], "symbolic-link");
  Val fst = fs.host.ok(kTypes, method("stat-at"),
                       {borrow(fs.root), flags({"symlink-follow"}), Val::string("link")});
  EXPECT_EQ(fst.items[0].labels[0], "regular-file");
  EXPECT_EQ(fst.items[1].bits, 2u);  // b.txt and hard.txt
  // Opening a symlink without following it fails with loop, as O_NOFOLLOW does.
  EXPECT_EQ(fs.open_err(fs.root, "link", {}, {"read"}), "loop");

  Val stream = fs.host.ok(kTypes, method("read-directory"), {borrow(fs.root)});
  std::set<std::string> names;
  for (;;) {
    Val e = fs.host.ok(kTypes, "[method]directory-entry-stream.read-directory-entry",
                       {borrow(stream.bits)});
    ASSERT_EQ(e.kind, ValKind::Option);
    if (e.discriminant == 0) break;
    names.insert(e.items[0].items[1].str + ":" + e.items[0].items[0].labels[0]);
  }
  EXPECT_EQ(names, (std::set<std::string>{"sub:directory", "hard.txt:regular-file",
                                          "link:symbolic-link"}));
  fs.host.drop(kTypes, "directory-entry-stream", stream.bits);

  const uint64_t sub = fs.open_ok(fs.root, "sub", {"directory"}, {"read"});
  EXPECT_EQ(fs.host.ok(kTypes, method("get-type"), {borrow(sub)}).labels[0], "directory");
  EXPECT_EQ(
      fs.host.err(kTypes, method("remove-directory-at"), {borrow(fs.root), Val::string("sub")}),
      "not-empty");
  fs.host.ok(kTypes, method("unlink-file-at"), {borrow(sub), Val::string("b.txt")});
  fs.host.ok(kTypes, method("remove-directory-at"), {borrow(fs.root), Val::string("sub")});
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/sub"));
  // A file is not a directory for the *-at calls, and a directory not a file.
  const uint64_t hard = fs.open_ok(fs.root, "hard.txt", {}, {"read"});
  EXPECT_EQ(fs.host.err(kTypes, method("create-directory-at"), {borrow(hard), Val::string("x")}),
            "not-directory");
  EXPECT_EQ(fs.host.err(kTypes, method("read"), {borrow(fs.root), Val::u64(1), Val::u64(0)}),
            "bad-descriptor");
}

TEST(WasiP2Filesystem, OpeningADirectoryForWritingIsIsDirectory) {
  TempDir dir;
  std::filesystem::create_directory(dir.path + "/d");
  Fs fs(dir);
  EXPECT_EQ(fs.open_err(fs.root, "d", {}, {"read", "write"}), "is-directory");
  EXPECT_EQ(fs.open_err(fs.root, "d", {"directory"}, {"write"}), "is-directory");
  EXPECT_EQ(fs.open_err(fs.root, ".", {}, {"write"}), "is-directory");
  // Read-only opens of a directory work, with or without the flag.
  fs.open_ok(fs.root, "d", {}, {"read"});
  fs.open_ok(fs.root, "d", {"directory"}, {"read"});
  EXPECT_EQ(fs.open_err(fs.root, "d", {"directory", "create"}, {"read"}), "invalid");
}

TEST(WasiP2Filesystem, ReadOnlyGrantRefusesWrites) {
  TempDir dir;
  dir.write("f.txt", "keep");
  std::filesystem::create_directory(dir.path + "/d");
  Fs fs(dir, /*read_only=*/true);
  Val f = fs.host.ok(kTypes, method("get-flags"), {borrow(fs.root)});
  EXPECT_EQ(f.labels, (std::vector<std::string>{"read"}));
  EXPECT_EQ(fs.open_err(fs.root, "f.txt", {}, {"read", "write"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "f.txt", {"truncate"}, {"read"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "new.txt", {"create"}, {"read"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "d", {"directory"}, {"read", "mutate-directory"}),
            "not-permitted");
  const std::vector<std::pair<std::string, std::vector<Val>>> mutations = {
      {"create-directory-at", {Val::string("x")}},
      {"remove-directory-at", {Val::string("d")}},
      {"unlink-file-at", {Val::string("f.txt")}},
      {"symlink-at", {Val::string("f.txt"), Val::string("l")}},
      {"rename-at", {Val::string("f.txt"), borrow(fs.root), Val::string("g.txt")}},
      {"link-at", {flags({}), Val::string("f.txt"), borrow(fs.root), Val::string("h.txt")}},
      {"set-times-at",
       {flags({}), Val::string("f.txt"), Val::variant("now", std::nullopt, 1),
        Val::variant("now", std::nullopt, 1)}},
  };
  for (const auto& [name, rest] : mutations) {
    std::vector<Val> args = {borrow(fs.root)};
    args.insert(args.end(), rest.begin(), rest.end());
    EXPECT_EQ(fs.host.err(kTypes, method(name.c_str()), args), "not-permitted") << name;
  }
  // Reading still works, and a read-only file refuses every write.
  const uint64_t file = fs.open_ok(fs.root, "f.txt", {}, {"read"});
  Val r = fs.host.ok(kTypes, method("read"), {borrow(file), Val::u64(10), Val::u64(0)});
  EXPECT_EQ(as_bytes(r.items[0]), "keep");
  EXPECT_EQ(fs.host.err(kTypes, method("write"), {borrow(file), bytes("x"), Val::u64(0)}),
            "not-permitted");
  EXPECT_EQ(fs.host.err(kTypes, method("set-size"), {borrow(file), Val::u64(0)}), "not-permitted");
  EXPECT_EQ(fs.host.err(kTypes, method("write-via-stream"), {borrow(file), Val::u64(0)}),
            "bad-descriptor");
  EXPECT_EQ(fs.host.err(kTypes, method("append-via-stream"), {borrow(file)}), "bad-descriptor");
  // Beneath a directory opened from the read-only preopen, too.
  const uint64_t sub = fs.open_ok(fs.root, "d", {"directory"}, {"read"});
  EXPECT_EQ(fs.open_err(sub, "new", {"create"}, {"write"}), "not-permitted");
  EXPECT_EQ(dir.read("f.txt"), "keep");
  EXPECT_TRUE(std::filesystem::exists(dir.path + "/d"));
}

TEST(WasiP2Filesystem, EscapesAreRefused) {
  TempDir outside;
  outside.write("secret", "s");
  TempDir dir;
  std::filesystem::create_directory(dir.path + "/sub");
  std::filesystem::create_symlink(outside.path + "/secret", dir.path + "/abs_link");
  std::filesystem::create_symlink(
      "../../" + std::filesystem::path(outside.path).filename().string() + "/secret",
      dir.path + "/sub/rel_link");
  Fs fs(dir);
  EXPECT_EQ(fs.open_err(fs.root, "../x", {}, {"read"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "sub/../../x", {}, {"read"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "/etc/passwd", {}, {"read"}), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "abs_link", {}, {"read"}, /*follow=*/true), "not-permitted");
  EXPECT_EQ(fs.open_err(fs.root, "sub/rel_link", {}, {"read"}, /*follow=*/true), "not-permitted");
  EXPECT_EQ(fs.host.err(kTypes, method("stat-at"),
                        {borrow(fs.root), flags({"symlink-follow"}), Val::string("abs_link")}),
            "not-permitted");
  EXPECT_EQ(
      fs.host.err(kTypes, method("stat-at"), {borrow(fs.root), flags({}), Val::string("../")}),
      "not-permitted");
  EXPECT_EQ(fs.host.err(kTypes, method("create-directory-at"),
                        {borrow(fs.root), Val::string("../escaped")}),
            "not-permitted");
  EXPECT_EQ(
      fs.host.err(kTypes, method("unlink-file-at"), {borrow(fs.root), Val::string("sub/../../x")}),
      "not-permitted");
  EXPECT_EQ(fs.host.err(kTypes, method("symlink-at"),
                        {borrow(fs.root), Val::string("/etc/passwd"), Val::string("l")}),
            "not-permitted");
  EXPECT_EQ(
      fs.host.err(kTypes, method("rename-at"),
                  {borrow(fs.root), Val::string("sub"), borrow(fs.root), Val::string("../moved")}),
      "not-permitted");
  // A NUL inside a path never reaches the host.
  EXPECT_EQ(fs.open_err(fs.root, std::string("sub\0/x", 6), {}, {"read"}), "invalid");
  EXPECT_EQ(outside.read("secret"), "s");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path).parent_path() / "escaped"));
}

TEST(WasiP2Filesystem, HostileArguments) {
  TempDir dir;
  dir.write("f.txt", "data");
  Fs fs(dir);
  EXPECT_EQ(fs.open_err(fs.root, std::string(5000, 'a'), {}, {"read"}), "name-too-long");
  EXPECT_EQ(fs.host.err(kTypes, method("stat-at"),
                        {borrow(fs.root), flags({}), Val::string(std::string(5000, 'b'))}),
            "name-too-long");
  EXPECT_EQ(fs.open_err(fs.root, "", {}, {"read"}), "no-entry");
  const uint64_t file = fs.open_ok(fs.root, "f.txt", {}, {"read", "write"});
  // A huge read length is a short read, not an allocation.
  Val r = fs.host.ok(kTypes, method("read"), {borrow(file), Val::u64(UINT64_MAX), Val::u64(0)});
  EXPECT_EQ(as_bytes(r.items[0]), "data");
  EXPECT_EQ(fs.host.err(kTypes, method("read"), {borrow(file), Val::u64(1), Val::u64(UINT64_MAX)}),
            "invalid");
  EXPECT_EQ(fs.host.err(kTypes, method("set-size"), {borrow(file), Val::u64(UINT64_MAX)}),
            "file-too-large");
  Val bad_time = Val::variant(
      "timestamp",
      Val::record({{"seconds", Val::u64(1)}, {"nanoseconds", Val::u32(2'000'000'000)}}), 2);
  EXPECT_EQ(fs.host.err(kTypes, method("set-times"),
                        {borrow(file), bad_time, Val::variant("now", std::nullopt, 1)}),
            "invalid");
  // A timestamp case without its payload, or a stream handle where a
  // descriptor belongs, traps.
  auto t = fs.host.call(kTypes, method("set-times"),
                        {borrow(file), Val::variant("timestamp", std::nullopt, 2),
                         Val::variant("now", std::nullopt, 1)});
  EXPECT_FALSE(t.ok());
  Val in = fs.host.ok(kTypes, method("read-via-stream"), {borrow(file), Val::u64(0)});
  t = fs.host.call(kTypes, method("stat"), {borrow(in.bits)});
  EXPECT_FALSE(t.ok());
  // set-times-at with and without following.
  fs.host.ok(kTypes, method("symlink-at"),
             {borrow(fs.root), Val::string("f.txt"), Val::string("l")});
  Val when = Val::variant(
      "timestamp", Val::record({{"seconds", Val::u64(2000)}, {"nanoseconds", Val::u32(0)}}), 2);
  fs.host.ok(kTypes, method("set-times-at"),
             {borrow(fs.root), flags({"symlink-follow"}), Val::string("l"),
              Val::variant("no-change", std::nullopt, 0), when});
  struct stat hs;
  ASSERT_EQ(stat((dir.path + "/f.txt").c_str(), &hs), 0);
  EXPECT_EQ(hs.st_mtim.tv_sec, 2000);
}

}  // namespace
}  // namespace weft::wasi::p2::testing
