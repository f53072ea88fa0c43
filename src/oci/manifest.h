// The JSON documents of an image: index (or Docker manifest list), image
// manifest, image config. Parsed strictly enough that a malformed or
// hostile document is refused with the field named, never half-used.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"

namespace weft::oci {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
// A Wasm OCI artifact (wkg, the CNCF wasm-oci spec): config and layer.
inline constexpr std::string_view kWasmConfig = "application/vnd.wasm.config.v0+json";
inline constexpr std::string_view kWasmLayer = "application/wasm";
// runwasi's layer type for a module inside a container image.
inline constexpr std::string_view kWasmContentLayer = "application/vnd.wasm.content.layer.v1+wasm";
// weft push's app manifest layer (the app's weft.toml).
inline constexpr std::string_view kWeftManifestLayer = "application/vnd.weft.manifest.v1+toml";
// The title annotation: a layer's file name (ORAS, wkg).
inline constexpr std::string_view kTitleAnnotation = "org.opencontainers.image.title";
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
}  // namespace media

// JSON documents are small; anything larger is refused before parsing
// (containerd's cap for manifests is the same 4 MiB).
inline constexpr uint64_t kMaxDocumentBytes = 4u << 20;

struct Descriptor {
  std::string media_type;
  std::string digest;  // validated "sha256:<hex>"
  uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::string os, architecture;  // from "platform", in an index
};

struct ImageIndex {
  std::vector<Descriptor> manifests;
};

struct ImageManifest {
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageConfig {
  std::string os, architecture;
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir;
};

bool is_index_type(std::string_view media_type);
bool is_manifest_type(std::string_view media_type);
bool is_wasm_layer_type(std::string_view media_type);

// `where` names the document in errors ("oci:dir:v1: manifest sha256:...").
// `media_type` is what the registry or the referring descriptor said; the
// document's own mediaType field must agree with it when both are present.
enum class DocumentKind : uint8_t { Index, Manifest };
Result<DocumentKind> document_kind(std::string_view json, std::string_view media_type,
                                   const std::string& where);
Result<ImageIndex> parse_index(std::string_view json, const std::string& where);
Result<ImageManifest> parse_image_manifest(std::string_view json, const std::string& where);
Result<ImageConfig> parse_image_config(std::string_view json, const std::string& where);

}  // namespace weft::oci
