// Pulling an image (from an OCI layout or a registry) into weft's cache and
// making it runnable: every blob's digest and size verified before use, the
// content kept by digest under $WEFT_CACHE/oci (next to the code cache), so
// a second start needs no network.
//
// Two kinds of image are understood:
//  - a container image whose layers hold the .wasm and whose config's
//    Entrypoint names it (the `FROM scratch` / `COPY app.wasm /` image);
//    Env, Cmd and WorkingDir come from the config;
//  - a Wasm OCI artifact: layers of type application/wasm (wkg, Spin's
//    registry push, weft push), with an app's weft.toml beside them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/reference.h"
#include "oci/registry.h"
#include "weft/result.h"

namespace weft::oci {

struct PullOptions {
  RegistryOptions registry;
  // Where pulled content goes; empty: $WEFT_CACHE/oci, else
  // $XDG_CACHE_HOME/weft/oci, else ~/.cache/weft/oci.
  std::filesystem::path cache_dir;
  bool quiet = false;  // no progress lines on stderr
};

struct PulledImage {
  std::string ref;              // as given
  std::string manifest_digest;  // what was resolved
  bool artifact = false;        // a Wasm artifact, not a container image
  std::filesystem::path root;   // the unpacked root file system, or the artifact's files
  // The module to run (inside root); empty if the image is an app whose
  // weft.toml names its modules.
  std::filesystem::path wasm;
  std::optional<std::filesystem::path> app_manifest;  // a weft.toml in the image
  // Container images: the program as the image names it ("/app.wasm", the
  // guest's argv[0]), the rest of the Entrypoint, the Cmd (which arguments
  // given on the command line replace, as with docker run), the
  // environment ("NAME=VALUE") and the working directory ("/app").
  std::string program;
  std::vector<std::string> entrypoint_args;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir;
};

// The default cache directory for pulled images.
std::filesystem::path default_image_cache();

Result<PulledImage> pull_image(const ImageRef& ref, const PullOptions& options);

struct PushOptions {
  RegistryOptions registry;
  bool quiet = false;
};

// One file of an artifact: its name in the image (a safe relative path,
// the layer's title), where it is, and its layer's media type.
struct PushFile {
  std::string name;
  std::filesystem::path path;
  std::string media_type;
};

// Publishes `files` as a Wasm OCI artifact at `ref` (a docker:// reference
// with a tag): blobs the registry lacks, then the manifest. Returns the
// manifest's digest.
Result<std::string> push_artifact(const std::vector<PushFile>& files, const ImageRef& ref,
                                  const PushOptions& options);

}  // namespace weft::oci
