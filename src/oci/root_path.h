// Paths inside an unpacked image or a container's root file system,
// resolved the way the process in it will see them: the kernel's
// openat2(RESOLVE_IN_ROOT) rules, done in user space so that the result is
// a host path the caller can hand on.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace weft::oci {

// `path`, absolute in `root` or relative to `cwd` (itself absolute in
// `root`), resolved with `root` as "/": symbolic links are followed (an
// absolute target starts again from the root, a relative one from the
// link's directory), ".." never climbs above the root, and at most 40 links
// are followed. Components from the first one that does not exist on are
// taken as written. Returns the host path (beneath the canonical root, or
// the root itself), or nullopt for a link loop or a root that does not
// exist.
std::optional<std::filesystem::path> resolve_in_root(const std::filesystem::path& root,
                                                     std::string_view cwd, std::string_view path);

}  // namespace weft::oci
