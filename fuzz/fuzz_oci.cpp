// libFuzzer target: what an image or a bundle hands weft, all of it
// hostile. The first byte picks the parser, the rest is its input:
//   0 an image index, 1 an image manifest, 2 an image config, 3 the
//   document-kind sniffing, 4 an image reference, 5 a layer (tar, tar+gzip,
//   tar+zstd) unpacked with small caps, 6 a bundle's config.json.
// Every input must give a value or an error without crashing, hanging or
// allocating without bound; values must hold the invariants the callers
// rely on (validated digests, safe layer paths), and an unpacked layer must
// leave nothing outside its root.
//
// Built with -fsanitize=fuzzer (fuzz/CMakeLists.txt) and, with
// standalone_main.cpp, as an ordinary program that replays the seed corpus
// in ctest (fuzz/corpus.cmake).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "oci/layers.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/runtime/spec.h"

namespace {

namespace fs = std::filesystem;
using namespace weft::oci;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool is_sha256_digest(std::string_view digest) {
  if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
  for (char c : digest.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void check_descriptor(const Descriptor& d) { require(is_sha256_digest(d.digest)); }

// One scratch directory per process, removed at exit: DIR/root is unpacked
// into, DIR/input holds the layer or bundle; nothing else may ever appear
// in DIR.
struct Scratch {
  fs::path dir;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "weft-fuzz-oci.XXXXXX").string();
    require(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const fs::path& scratch() {
  static const Scratch scratch;
  return scratch.dir;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  require(static_cast<bool>(out));
}

void reset_dir(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  fs::create_directory(path);
}

void check_nothing_outside(const fs::path& dir, std::string_view allowed_a,
                           std::string_view allowed_b) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    require(name == allowed_a || name == allowed_b);
  }
}

void fuzz_layer(std::string_view bytes) {
  const fs::path& dir = scratch();
  const fs::path layer = dir / "input";
  const fs::path root = dir / "root";
  write_file(layer, bytes);
  reset_dir(root);
  UnpackLimits limits;
  limits.max_bytes = 1u << 20;  // small caps: a bomb must stop, and quickly
  limits.max_entries = 1000;
  UnpackTally tally;
  auto unpacked = unpack_layer(layer, root, "layers[0]", limits, tally);
  if (unpacked) require(tally.bytes <= limits.max_bytes && tally.entries <= limits.max_entries);
  check_nothing_outside(dir, "input", "root");
  // Every path the layer left must be a safe one beneath the root.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    require(is_safe_relative_path(it->path().lexically_relative(root).generic_string()));
  }
  reset_dir(root);
}

void fuzz_bundle(std::string_view json) {
  const fs::path& dir = scratch();
  const fs::path bundle = dir / "input";
  reset_dir(bundle);
  write_file(bundle / "config.json", json);
  (void)runtime::load_bundle(bundle, /*strict=*/true);
  (void)runtime::load_bundle(bundle, /*strict=*/false);
  check_nothing_outside(dir, "input", "root");
  std::error_code ec;
  fs::remove_all(bundle, ec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string where = "fuzz";
  switch (data[0] % 7) {
    case 0:
      if (auto index = parse_index(input, where)) {
        for (const Descriptor& d : index->manifests) check_descriptor(d);
      }
      break;
    case 1:
      if (auto manifest = parse_image_manifest(input, where)) {
        check_descriptor(manifest->config);
        for (const Descriptor& d : manifest->layers) check_descriptor(d);
      }
      break;
    case 2:
      (void)parse_image_config(input, where);
      break;
    case 3:
      for (std::string_view type :
           {std::string_view{}, media::kOciIndex, media::kOciManifest, media::kDockerManifest}) {
        (void)document_kind(input, type, where);
      }
      break;
    case 4:
      (void)looks_like_image_ref(input);
      if (auto ref = parse_image_ref(input)) (void)registry_reference(*ref);
      break;
    case 5:
      fuzz_layer(input);
      break;
    case 6:
      fuzz_bundle(input);
      break;
  }
  return 0;
}
