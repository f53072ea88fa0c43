// weft push: a Wasm OCI artifact, as the CNCF wasm-oci layout and wkg write
// it (config application/vnd.wasm.config.v0+json, layers application/wasm
// titled with their file names), plus the app's weft.toml as a layer of its
// own, so that `weft up docker://...` serves the app elsewhere.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/image.h"
#include "oci/layers.h"
#include "oci/manifest.h"
#include "wasm/binary/reader.h"  // WEFT_TRY

namespace weft::oci {

namespace {

Result<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error::io("cannot read " + p.string());
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return out;
}

bool is_component_bytes(std::string_view b) {
  // A component's preamble: \0asm, then version 0x0d and layer 1.
  return b.size() >= 8 && b.substr(0, 4) == std::string_view("\0asm", 4) &&
         static_cast<uint8_t>(b[4]) == 0x0d && static_cast<uint8_t>(b[6]) == 0x01;
}

}  // namespace

Result<std::string> push_artifact(const std::vector<PushFile>& files, const ImageRef& ref,
                                  const PushOptions& options) {
  if (ref.kind != ImageRef::Kind::Registry)
    return Error::usage(ref.text + ": weft push needs a docker://HOST/REPO:TAG reference");
  if (!ref.digest.empty())
    return Error::usage(ref.text + ": push to a tag, not a digest (the digest is the result)");
  RegistryClient client(ref.host, options.registry);
  nlohmann::json layers = nlohmann::json::array();
  nlohmann::json layer_digests = nlohmann::json::array();
  bool component = false;
  for (const PushFile& f : files) {
    if (!is_safe_relative_path(f.name) ||
        !wasm::is_valid_utf8({reinterpret_cast<const uint8_t*>(f.name.data()), f.name.size()}))
      return Error::usage(f.path.string() + ": \"" + f.name +
                          "\" is not a plain relative path in UTF-8");
    WEFT_TRY(std::string bytes, read_file(f.path));
    if (f.media_type == media::kWasmLayer) {
      if (bytes.size() < 8 || bytes.substr(0, 4) != std::string_view("\0asm", 4))
        return Error::usage(f.path.string() + ": not a WebAssembly module or component");
      component |= is_component_bytes(bytes);
    }
    const std::string digest = sha256_digest(bytes);
    WEFT_TRY(bool present, client.has_blob(ref.repository, digest));
    if (!present) {
      if (!options.quiet)
        std::fprintf(stderr, "weft: pushing %s (%zu bytes)\n", f.name.c_str(), bytes.size());
      WEFT_CHECK(client.upload_blob(ref.repository, digest, bytes));
    }
    layers.push_back({{"mediaType", f.media_type},
                      {"digest", digest},
                      {"size", bytes.size()},
                      {"annotations", {{std::string(media::kTitleAnnotation), f.name}}}});
    layer_digests.push_back(digest);
  }
  const std::string config = nlohmann::json{
      {"architecture", "wasm"},
      {"os", component ? "wasip2" : "wasip1"},
      {"layerDigests",
       layer_digests}}.dump();
  const std::string config_digest = sha256_digest(config);
  WEFT_TRY(bool config_present, client.has_blob(ref.repository, config_digest));
  if (!config_present) WEFT_CHECK(client.upload_blob(ref.repository, config_digest, config));
  const std::string manifest = nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", media::kOciManifest},
      {"artifactType", media::kWasmConfig},
      {"config",
       {{"mediaType", media::kWasmConfig}, {"digest", config_digest}, {"size", config.size()}}},
      {"layers", layers}}.dump();
  WEFT_CHECK(
      client.put_manifest(ref.repository, ref.tag, std::string(media::kOciManifest), manifest));
  return sha256_digest(manifest);
}

}  // namespace weft::oci
