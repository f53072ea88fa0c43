// Image references, digests, manifests and entry paths: what parses, and
// what is refused with which message.
#include <gtest/gtest.h>

#include "oci/digest.h"
#include "oci/layers.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "oci/root_path.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace weft::oci {
namespace {

TEST(ImageRef, Layout) {
  auto r = parse_image_ref("oci:/srv/images:v1.2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ImageRef::Kind::Layout);
  EXPECT_EQ(r->layout_dir, "/srv/images");
  EXPECT_EQ(r->tag, "v1.2");
  auto untagged = parse_image_ref("oci:layout");
  ASSERT_TRUE(untagged.ok());
  EXPECT_EQ(untagged->tag, "");
  EXPECT_FALSE(parse_image_ref("oci:").ok());
  EXPECT_FALSE(parse_image_ref("oci:dir:bad tag").ok());
}

TEST(ImageRef, Registry) {
  auto r = parse_image_ref("docker://127.0.0.1:5000/team/app:v2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ImageRef::Kind::Registry);
  EXPECT_EQ(r->host, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "team/app");
  EXPECT_EQ(r->tag, "v2");
  EXPECT_EQ(registry_reference(*r), "v2");
  auto latest = parse_image_ref("docker://registry.example.com/app");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->tag, "latest");
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto pinned = parse_image_ref("docker://[::1]:5000/a/b@" + digest);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->host, "[::1]:5000");
  EXPECT_EQ(pinned->digest, digest);
  EXPECT_EQ(registry_reference(*pinned), digest);
  // A port in the host is not a tag.
  auto port_only = parse_image_ref("docker://localhost:5000/app");
  ASSERT_TRUE(port_only.ok());
  EXPECT_EQ(port_only->repository, "app");
  EXPECT_EQ(port_only->tag, "latest");
}

TEST(ImageRef, RefusedWithTheReason) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = parse_image_ref(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  expect_error("docker://host", "no repository");
  expect_error("docker://host/Upper", "invalid repository name");
  expect_error("docker://host/a..b", "invalid repository name");
  expect_error("docker://host/a/", "invalid repository name");
  expect_error("docker://host:port/a", "invalid registry host");
  expect_error("docker://host/a@sha256:12", "64 lowercase hex");
  expect_error("docker://host/a@sha512:" + std::string(128, 'a'), "not supported");
  expect_error("docker://host/a:-bad", "invalid tag");
  expect_error("http://host/a", "expected oci:PATH");
}

TEST(ImageRef, PlainHttpOnlyForLoopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("[::1]:5000"));
  EXPECT_FALSE(is_loopback_host("registry.example.com"));
  EXPECT_FALSE(is_loopback_host("127example.com"));
  EXPECT_EQ(RegistryClient("127.0.0.1:5000", {}).base_url(), "http://127.0.0.1:5000");
  EXPECT_EQ(RegistryClient("registry.example.com", {}).base_url(), "https://registry.example.com");
  RegistryOptions insecure;
  insecure.insecure = true;
  EXPECT_EQ(RegistryClient("10.0.0.5:5000", insecure).base_url(), "http://10.0.0.5:5000");
}

TEST(Digest, Sha256) {
  EXPECT_EQ(sha256_digest(std::string_view("")),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("ab", 2);
  h.update("c", 1);
  EXPECT_EQ(h.digest(), sha256_digest(std::string_view("abc")));
  EXPECT_FALSE(parse_digest("sha256:" + std::string(64, 'A')).ok());  // uppercase
}

TEST(Manifest, ParsesAndRefuses) {
  const std::string d = "sha256:" + std::string(64, 'b');
  const std::string good =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      d +
      R"(","size":10},
    "layers":[{"mediaType":"application/wasm","digest":")" +
      d + R"(","size":5,"annotations":{"org.opencontainers.image.title":"a.wasm"}}]})";
  auto m = parse_image_manifest(good, "m");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].annotations.at("org.opencontainers.image.title"), "a.wasm");
  auto kind = document_kind(good, "", "m");
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, DocumentKind::Manifest);

  auto expect_error = [](const std::string& json, const std::string& needle) {
    auto r = parse_image_manifest(json, "where");
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.rfind("where", 0), 0u) << r.error().message;
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "not a JSON object");
  expect_error(R"({"schemaVersion":1})", "schemaVersion");
  expect_error(R"({"schemaVersion":2,"layers":[]})", "no \"config\"");
  expect_error(
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:1","size":1},"layers":[]})",
      "digest");
  expect_error(R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + d +
                   R"(","size":-1},"layers":[]})",
               "non-negative");
  expect_error(std::string(kMaxDocumentBytes + 1, ' '), "limit");
  // The registry's word and the document's own must agree.
  auto mismatch = document_kind(good, "application/vnd.oci.image.index.v1+json", "m");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("served as"), std::string::npos);
}

TEST(Config, EntrypointCmdEnv) {
  auto c = parse_image_config(
      R"({"os":"wasip1","config":{"Entrypoint":["/a.wasm"],"Cmd":["x"],"Env":["A=1"],"WorkingDir":"/w"}})",
      "c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->entrypoint, std::vector<std::string>{"/a.wasm"});
  EXPECT_EQ(c->cmd, std::vector<std::string>{"x"});
  EXPECT_EQ(c->env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(c->working_dir, "/w");
  EXPECT_FALSE(parse_image_config(R"({"config":{"Cmd":"x"}})", "c").ok());
  EXPECT_FALSE(parse_image_config(R"({"config":{"Env":[1]}})", "c").ok());
}

TEST(Layers, SafeRelativePaths) {
  EXPECT_TRUE(is_safe_relative_path("a.wasm"));
  EXPECT_TRUE(is_safe_relative_path("lib/a.wasm"));
  EXPECT_FALSE(is_safe_relative_path(""));
  EXPECT_FALSE(is_safe_relative_path("/etc/passwd"));
  EXPECT_FALSE(is_safe_relative_path("../x"));
  EXPECT_FALSE(is_safe_relative_path("a/../../x"));
  EXPECT_FALSE(is_safe_relative_path("a//b"));
  EXPECT_FALSE(is_safe_relative_path("./a"));
  EXPECT_FALSE(is_safe_relative_path(std::string_view("a\0b", 3)));
}

// Links resolve as inside the container: an absolute target names a file
// in the root, ".." stops at the root, loops end.
TEST(RootPath, LinksResolveInsideTheRoot) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "weft-root-path.XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path root = fs::canonical(pattern);
  fs::create_directories(root / "app/bin");
  std::ofstream(root / "app/bin/service.wasm") << "x";
  fs::create_symlink("/app/bin/service.wasm", root / "service.wasm");  // absolute
  fs::create_symlink("bin/service.wasm", root / "app/rel.wasm");       // relative
  fs::create_symlink("../../../../..", root / "app/up");               // above the root
  fs::create_symlink("/etc/passwd", root / "passwd");                  // the host's, if followed
  fs::create_symlink("/app", root / "applink");                        // a directory
  fs::create_symlink("loop2", root / "loop1");
  fs::create_symlink("loop1", root / "loop2");

  const fs::path service = root / "app/bin/service.wasm";
  EXPECT_EQ(resolve_in_root(root, "/", "/service.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/", "service.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/app", "rel.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/", "/applink/bin/../bin/service.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/", "/app/up/service.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/", "/../../app/bin/service.wasm"), service);
  EXPECT_EQ(resolve_in_root(root, "/app/up", "etc"), root / "etc");
  EXPECT_EQ(resolve_in_root(root, "/", "/passwd"), root / "etc/passwd");  // in the root, absent
  EXPECT_EQ(resolve_in_root(root, "/", "/missing/../x"), root / "x");
  EXPECT_EQ(resolve_in_root(root, "/", "/"), root);
  EXPECT_EQ(resolve_in_root(root, "/", "/loop1"), std::nullopt);
  EXPECT_EQ(resolve_in_root(root / "absent", "/", "/x"), std::nullopt);
  fs::remove_all(root);
}

}  // namespace
}  // namespace weft::oci
