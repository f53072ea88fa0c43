// Container image layers (tar, tar+gzip, tar+zstd) unpacked into a root
// directory with libarchive, one layer over the other (whiteouts remove
// what lower layers added). A layer is hostile until proven otherwise:
// absolute paths, "..", writes through symbolic links, links whose target
// leaves the root, devices, FIFOs and sockets are refused, and so is a
// layer whose entries or bytes go over the caps (a tar or gzip bomb).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "weft/result.h"

namespace weft::oci {

struct UnpackLimits {
  uint64_t max_bytes = 4ull << 30;  // all files of all layers
  uint64_t max_entries = 200'000;
};

struct UnpackTally {
  uint64_t bytes = 0;    // of the files (and skipped entries) so far
  uint64_t entries = 0;
  // Of the tar streams decompressed, all layers so far (padding and skipped
  // data included): capped too, so that no stream decompresses for hours.
  uint64_t decompressed = 0;
  uint64_t skipped_bytes_base = 0;  // `decompressed` when this layer began
};

// Unpacks `layer_file` into `root` (an existing directory). `name` is the
// layer in messages ("layers[1] sha256:...").
Result<void> unpack_layer(const std::filesystem::path& layer_file,
                          const std::filesystem::path& root, const std::string& name,
                          const UnpackLimits& limits, UnpackTally& tally);

// Whether `path` (relative, '/'-separated) is a safe path inside a root: not
// absolute, no "." or ".." components, no empty components, no NUL.
bool is_safe_relative_path(std::string_view path);

}  // namespace weft::oci
