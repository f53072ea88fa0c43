#include "oci/image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "oci/digest.h"
#include "oci/layers.h"
#include "oci/manifest.h"
#include "oci/root_path.h"
#include "wasm/binary/reader.h"  // WEFT_TRY

namespace weft::oci {
namespace {

namespace fs = std::filesystem;

// A layer or module larger than this is refused before it is fetched.
constexpr uint64_t kMaxBlobBytes = 2ull << 30;
// An image's layers: at most this many, of at most this many bytes in all.
constexpr size_t kMaxLayers = 128;
constexpr uint64_t kMaxImageBytes = 8ull << 30;

bool is_tar_layer_type(std::string_view t) {
  return t == "application/vnd.oci.image.layer.v1.tar" ||
         t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.v1.tar+zstd" ||
         t == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
         t == "application/vnd.docker.image.rootfs.diff.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}

std::string short_digest(const std::string& digest) { return digest.substr(0, 7 + 12); }

Result<std::string> read_whole(const fs::path& p, uint64_t cap, const std::string& where) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error::io(where + ": cannot read " + p.string());
  std::string out;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > cap)
      return Error::limit(where + ": larger than " + std::to_string(cap) + " bytes");
  }
  return out;
}

// The digest and size of a file, read once.
Result<std::pair<std::string, uint64_t>> digest_file(const fs::path& p, const std::string& where) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error::io(where + ": cannot read " + p.string());
  Sha256 h;
  uint64_t size = 0;
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
    size += static_cast<uint64_t>(in.gcount());
  }
  return std::pair<std::string, uint64_t>(h.digest(), size);
}

Result<void> verify_file(const fs::path& p, const Descriptor& d, const std::string& where) {
  WEFT_TRY(auto got, digest_file(p, where));
  if (got.second != d.size)
    return Error::usage(where + ": " + std::to_string(got.second) +
                        " bytes where the descriptor says " + std::to_string(d.size));
  if (got.first != d.digest)
    return Error::usage(where + ": digest mismatch: the content is " + got.first +
                        ", the descriptor says " + d.digest + " (a corrupt or tampered blob)");
  return {};
}

Result<void> verify_bytes(std::string_view bytes, const Descriptor& d, const std::string& where) {
  if (bytes.size() != d.size)
    return Error::usage(where + ": " + std::to_string(bytes.size()) +
                        " bytes where the descriptor says " + std::to_string(d.size));
  const std::string got = sha256_digest(bytes);
  if (got != d.digest)
    return Error::usage(where + ": digest mismatch: the content is " + got +
                        ", the descriptor says " + d.digest + " (a corrupt or tampered blob)");
  return {};
}

Result<void> write_atomically(const fs::path& p, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  const fs::path tmp = p.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Error::io("cannot write " + tmp.string());
  }
  fs::rename(tmp, p, ec);
  if (ec) return Error::io("cannot write " + p.string() + ": " + ec.message());
  return {};
}

// Content by digest: blobs/sha256/HEX under the cache, each verified when
// it is stored and again when it is used.
class BlobCache {
 public:
  explicit BlobCache(fs::path root) : root_(std::move(root)) {}
  fs::path path_of(const std::string& digest) const {
    const size_t colon = digest.find(':');
    return root_ / "blobs" / digest.substr(0, colon) / digest.substr(colon + 1);
  }
  // The cached blob, if it is there and right (a wrong one is removed).
  std::optional<fs::path> find(const Descriptor& d) {
    const fs::path p = path_of(d.digest);
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return std::nullopt;
    if (verified_.count(d.digest + "/" + std::to_string(d.size))) return p;
    if (!verify_file(p, d, "cached blob")) {
      fs::remove(p, ec);
      return std::nullopt;
    }
    verified_.insert(d.digest + "/" + std::to_string(d.size));
    return p;
  }
  // The blob from the cache, or written by `fill` into a temporary beside
  // its place, verified there, and only then moved into the cache.
  Result<fs::path> fetch(const Descriptor& d, const std::string& where,
                         const std::function<Result<void>(const fs::path& tmp)>& fill) {
    if (auto cached = find(d)) return *cached;
    if (d.size > kMaxBlobBytes)
      return Error::limit(where + ": a blob of " + std::to_string(d.size) + " bytes (over " +
                          std::to_string(kMaxBlobBytes >> 20) + " MiB)");
    const fs::path dest = path_of(d.digest);
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    const fs::path tmp = dest.string() + ".tmp" + std::to_string(::getpid());
    auto got = fill(tmp);
    if (got) got = verify_file(tmp, d, where);
    if (!got) {
      fs::remove(tmp, ec);
      return got.error();
    }
    fs::rename(tmp, dest, ec);
    if (ec) return Error::io("cannot write " + dest.string() + ": " + ec.message());
    verified_.insert(d.digest + "/" + std::to_string(d.size));
    return dest;
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  std::set<std::string> verified_;  // this pull's: a blob listed twice is hashed once
};

// Where an image's documents and blobs come from.
class Source {
 public:
  virtual ~Source() = default;
  // The document the reference names: bytes, media type (if known), digest.
  struct Root {
    std::string bytes, media_type, digest;
  };
  virtual Result<Root> resolve() = 0;
  // A manifest an index lists, verified.
  virtual Result<std::string> manifest(const Descriptor& d, const std::string& where) = 0;
  // A blob, verified, as a file.
  virtual Result<fs::path> blob(const Descriptor& d, const std::string& where) = 0;
  virtual std::string name() const = 0;
};

class LayoutSource : public Source {
 public:
  LayoutSource(const ImageRef& ref, BlobCache& cache)
      : ref_(ref), dir_(ref.layout_dir), cache_(cache) {}
  std::string name() const override { return ref_.text; }

  Result<Root> resolve() override {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec))
      return Error::io(ref_.text + ": no such directory " + dir_.string());
    WEFT_TRY(std::string layout, read_whole(dir_ / "oci-layout", 4096, ref_.text + ": oci-layout"));
    nlohmann::json lj = nlohmann::json::parse(layout, nullptr, false);
    if (!lj.is_object() || !lj.contains("imageLayoutVersion"))
      return Error::usage(ref_.text + ": " + (dir_ / "oci-layout").string() +
                          " is not an OCI layout marker");
    const std::string where = ref_.text + ": index.json";
    WEFT_TRY(std::string index_bytes, read_whole(dir_ / "index.json", kMaxDocumentBytes, where));
    WEFT_TRY(ImageIndex index, parse_index(index_bytes, where));
    std::vector<const Descriptor*> matches;
    std::string tags;
    for (const Descriptor& d : index.manifests) {
      auto it = d.annotations.find(std::string(media::kRefNameAnnotation));
      const std::string tag = it == d.annotations.end() ? "" : it->second;
      if (!tag.empty()) tags += (tags.empty() ? "" : ", ") + tag;
      if (ref_.tag.empty() || tag == ref_.tag) matches.push_back(&d);
    }
    if (matches.empty())
      return Error::usage(ref_.text + ": no image " +
                          (ref_.tag.empty() ? "in the layout" : "tagged \"" + ref_.tag + "\"") +
                          (tags.empty() ? "" : " (tags: " + tags + ")"));
    if (matches.size() > 1)
      return Error::usage(ref_.text + ": " + std::to_string(matches.size()) +
                          " images; name one with oci:PATH:TAG (tags: " + tags + ")");
    const Descriptor& d = *matches.front();
    WEFT_TRY(std::string bytes, manifest(d, ref_.text + ": " + short_digest(d.digest)));
    return Root{std::move(bytes), d.media_type, d.digest};
  }

  Result<std::string> manifest(const Descriptor& d, const std::string& where) override {
    if (d.size > kMaxDocumentBytes)
      return Error::limit(where + ": a document of " + std::to_string(d.size) + " bytes");
    WEFT_TRY(fs::path p, blob_path(d, where));
    WEFT_TRY(std::string bytes, read_whole(p, kMaxDocumentBytes, where));
    WEFT_CHECK(verify_bytes(bytes, d, where));
    return bytes;
  }

  // Copied into the cache and the copy verified: the layout's own file
  // could change between a check and its use (a layout others can write).
  Result<fs::path> blob(const Descriptor& d, const std::string& where) override {
    return cache_.fetch(d, where, [&](const fs::path& tmp) -> Result<void> {
      WEFT_TRY(fs::path p, blob_path(d, where));
      std::error_code ec;
      fs::copy_file(p, tmp, fs::copy_options::overwrite_existing, ec);
      if (ec) return Error::io(where + ": cannot copy " + p.string() + ": " + ec.message());
      return {};
    });
  }

 private:
  Result<fs::path> blob_path(const Descriptor& d, const std::string& where) const {
    const size_t colon = d.digest.find(':');
    fs::path p = dir_ / "blobs" / d.digest.substr(0, colon) / d.digest.substr(colon + 1);
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
      return Error::io(where + ": blob " + d.digest + " is missing from the layout");
    return p;
  }

  ImageRef ref_;
  fs::path dir_;
  BlobCache& cache_;
};

class RegistrySource : public Source {
 public:
  RegistrySource(const ImageRef& ref, const PullOptions& options, BlobCache& cache)
      : ref_(ref), client_(ref.host, options.registry), cache_(cache), quiet_(options.quiet) {}
  std::string name() const override { return ref_.text; }

  Result<Root> resolve() override {
    if (!ref_.digest.empty()) {
      // By digest: the cache answers without the network.
      if (auto cached = cached_document(ref_.digest)) return Root{*cached, "", ref_.digest};
    }
    auto fetched = client_.get_manifest(ref_.repository, registry_reference(ref_));
    if (!fetched) {
      // Offline with a tag pulled before: what the tag named then.
      if (ref_.digest.empty() && fetched.error().kind == ErrorKind::Io &&
          fetched.error().message.find("unreachable") != std::string::npos) {
        if (auto digest = read_tag()) {
          if (auto cached = cached_document(*digest)) {
            std::fprintf(stderr, "weft: warning: %s; using %s as pulled before\n",
                         fetched.error().message.c_str(), digest->c_str());
            return Root{*cached, "", *digest};
          }
        }
      }
      return fetched.error();
    }
    const std::string digest = sha256_digest(fetched->body);
    const std::string where = ref_.text + ": manifest";
    if (!ref_.digest.empty() && digest != ref_.digest)
      return Error::usage(where + ": digest mismatch: the registry sent " + digest + " for " +
                          ref_.digest + " (a corrupt or tampered manifest)");
    if (!fetched->digest.empty() && fetched->digest != digest)
      return Error::usage(where + ": digest mismatch: the content is " + digest +
                          ", the registry says " + fetched->digest +
                          " (a corrupt or tampered manifest)");
    WEFT_CHECK(write_atomically(cache_.path_of(digest), fetched->body));
    if (ref_.digest.empty()) (void)write_atomically(tag_file(), digest);
    return Root{std::move(fetched->body), fetched->media_type, digest};
  }

  Result<std::string> manifest(const Descriptor& d, const std::string& where) override {
    if (d.size > kMaxDocumentBytes)
      return Error::limit(where + ": a document of " + std::to_string(d.size) + " bytes");
    if (auto cached = cache_.find(d)) return read_whole(*cached, kMaxDocumentBytes, where);
    WEFT_TRY(FetchedDocument fetched, client_.get_manifest(ref_.repository, d.digest));
    WEFT_CHECK(verify_bytes(fetched.body, d, where));
    WEFT_CHECK(write_atomically(cache_.path_of(d.digest), fetched.body));
    return std::move(fetched.body);
  }

  Result<fs::path> blob(const Descriptor& d, const std::string& where) override {
    return cache_.fetch(d, where, [&](const fs::path& tmp) {
      if (!quiet_)
        std::fprintf(stderr, "weft: pulling %s (%llu bytes)\n", short_digest(d.digest).c_str(),
                     static_cast<unsigned long long>(d.size));
      return client_.download_blob(ref_.repository, d.digest, d.size, tmp);
    });
  }

 private:
  std::optional<std::string> cached_document(const std::string& digest) {
    const fs::path p = cache_.path_of(digest);
    auto bytes = read_whole(p, kMaxDocumentBytes, "cache");
    if (!bytes || sha256_digest(*bytes) != digest) return std::nullopt;
    return *bytes;
  }
  fs::path tag_file() const {
    std::string host = ref_.host;
    for (char& c : host)
      if (c == ':' || c == '[' || c == ']') c = '_';
    return cache_.root() / "tags" / host / ref_.repository / ref_.tag;
  }
  std::optional<std::string> read_tag() const {
    auto text = read_whole(tag_file(), 200, "tag");
    if (!text || !parse_digest(*text)) return std::nullopt;
    return *text;
  }

  ImageRef ref_;
  RegistryClient client_;
  BlobCache& cache_;
  bool quiet_;
};

// From an index, the manifest to run: a wasm platform first (wasi/wasm),
// else the only one.
Result<Descriptor> choose_manifest(const ImageIndex& index, const std::string& where) {
  const Descriptor* only = nullptr;
  size_t candidates = 0;
  std::string platforms;
  for (const Descriptor& d : index.manifests) {
    if (!is_manifest_type(d.media_type) && !d.media_type.empty()) continue;
    platforms += (platforms.empty() ? "" : ", ") + (d.os.empty() ? "?" : d.os) + "/" +
                 (d.architecture.empty() ? "?" : d.architecture);
    if (d.architecture == "wasm" || d.os.starts_with("wasi")) return d;
    only = &d;
    ++candidates;
  }
  if (candidates == 1) return *only;
  if (candidates == 0) return Error::usage(where + ": the index lists no image manifest");
  return Error::usage(where + ": no wasi/wasm image among the index's platforms (" + platforms +
                      ")");
}

bool is_wasm_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == std::string_view("\0asm", 4);
}

// `path` (absolute in the image, or relative to its working directory) as a
// file under `root`, never outside it: links resolve as they would inside
// the container (an absolute target is in the image, not on this machine).
Result<fs::path> inside_root(const fs::path& root, const std::string& working_dir,
                             const std::string& path, const std::string& where, bool allow_root) {
  if (path.empty()) return Error::usage(where + ": an empty path is not a file in the image");
  auto resolved = resolve_in_root(root, working_dir.empty() ? "/" : working_dir, path);
  if (!resolved)
    return Error::usage(where + ": \"" + path +
                        "\" does not resolve in the image: it goes through more than 40 symbolic "
                        "links (a loop) or one that cannot be read");
  std::error_code ec;
  const bool is_root = fs::equivalent(*resolved, root, ec) && !ec;
  if (is_root && !allow_root)
    return Error::usage(where + ": \"" + path + "\" is not a file in the image");
  return *resolved;
}

// The files of an artifact: each wasm or weft.toml layer under its title
// (ORAS's and wkg's annotation), or a default name.
struct ArtifactFile {
  size_t layer;
  std::string name;
  bool wasm;
};
Result<std::vector<ArtifactFile>> artifact_files(const ImageManifest& m, const std::string& image) {
  std::vector<ArtifactFile> files;
  size_t untitled = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& d = m.layers[i];
    const bool wasm = is_wasm_layer_type(d.media_type);
    const bool toml = d.media_type == media::kWeftManifestLayer;
    if (!wasm && !toml) continue;  // other artifact content (a README, signatures)
    std::string name;
    if (auto t = d.annotations.find(std::string(media::kTitleAnnotation)); t != d.annotations.end())
      name = t->second;
    else if (toml)
      name = "weft.toml";
    else
      name = untitled++ == 0 ? "module.wasm" : "module-" + std::to_string(untitled) + ".wasm";
    const std::string where = image + ": layers[" + std::to_string(i) + "]";
    if (!is_safe_relative_path(name))
      return Error::usage(where + ": file name \"" + name + "\" is not a plain relative path");
    for (const ArtifactFile& f : files)
      if (f.name == name) return Error::usage(where + ": a second file named \"" + name + "\"");
    files.push_back({i, name, wasm});
  }
  if (std::none_of(files.begin(), files.end(), [](const ArtifactFile& f) { return f.wasm; }))
    return Error::usage(image + ": the artifact has no application/wasm layer (no module to run)");
  return files;
}

Result<void> unpack_artifact(Source& source, const ImageManifest& m, const fs::path& root) {
  WEFT_TRY(std::vector<ArtifactFile> files, artifact_files(m, source.name()));
  for (const ArtifactFile& f : files) {
    const Descriptor& d = m.layers[f.layer];
    const std::string where =
        source.name() + ": layers[" + std::to_string(f.layer) + "] " + short_digest(d.digest);
    WEFT_TRY(fs::path blob, source.blob(d, where));
    const fs::path dest = root / f.name;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    fs::copy_file(blob, dest, ec);
    if (ec) return Error::io(where + ": cannot write " + dest.string() + ": " + ec.message());
  }
  return {};
}

Result<void> describe_artifact(const ImageManifest& m, const fs::path& root, PulledImage& out) {
  WEFT_TRY(std::vector<ArtifactFile> files, artifact_files(m, out.ref));
  std::vector<fs::path> modules;
  for (const ArtifactFile& f : files)
    if (f.wasm) modules.push_back(root / f.name);
  std::error_code ec;
  if (fs::is_regular_file(root / "weft.toml", ec)) out.app_manifest = root / "weft.toml";
  if (modules.size() == 1) {
    out.wasm = modules.front();
  } else if (!out.app_manifest) {
    return Error::usage(out.ref + ": " + std::to_string(modules.size()) +
                        " modules and no weft.toml to say how they are served");
  }
  return {};
}

// The caps on unpacking; WEFT_OCI_MAX_UNPACK_MB lowers (or raises) the
// bytes one image may unpack to (default 4096 MiB).
UnpackLimits unpack_limits() {
  UnpackLimits limits;
  if (const char* env = std::getenv("WEFT_OCI_MAX_UNPACK_MB"); env != nullptr && *env != 0) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != nullptr && *end == 0 && mb > 0 && mb < (1ull << 24)) limits.max_bytes = mb << 20;
  }
  return limits;
}

// runwasi's images carry the module as a layer of its own.
std::string wasm_layer_name(const Descriptor& d) {
  auto title = d.annotations.find(std::string(media::kTitleAnnotation));
  return title != d.annotations.end() ? title->second : "module.wasm";
}

Result<void> unpack_container(Source& source, const ImageManifest& m, const fs::path& root) {
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return Error::io("cannot use " + root.string() + ": " + ec.message());
  UnpackTally tally;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& d = m.layers[i];
    const std::string where =
        source.name() + ": layers[" + std::to_string(i) + "] " + short_digest(d.digest);
    if (!is_tar_layer_type(d.media_type) && !is_wasm_layer_type(d.media_type))
      return Error::usage(where + ": unsupported layer media type \"" + d.media_type + "\"");
    WEFT_TRY(fs::path blob, source.blob(d, where));
    if (is_wasm_layer_type(d.media_type)) {
      const std::string name = wasm_layer_name(d);
      if (!is_safe_relative_path(name) || name.find('/') != std::string::npos)
        return Error::usage(where + ": file name \"" + name + "\" is not a plain file name");
      // Whatever a lower layer put at that name goes first (a link is
      // removed, never followed).
      const fs::path dest = canonical_root / name;
      fs::remove_all(dest, ec);
      fs::copy_file(blob, dest, ec);
      if (ec) return Error::io(where + ": " + ec.message());
      continue;
    }
    WEFT_CHECK(unpack_layer(blob, canonical_root, where, unpack_limits(), tally));
  }
  return {};
}

Result<void> describe_container(const ImageManifest& m, const ImageConfig& config,
                                const fs::path& root, PulledImage& out) {
  out.env = config.env;
  out.working_dir = config.working_dir;
  std::vector<std::string> argv = config.entrypoint;
  argv.insert(argv.end(), config.cmd.begin(), config.cmd.end());
  const std::string where = out.ref + ": config";
  std::error_code ec;
  // An app: a weft.toml in the working directory (or the root).
  WEFT_TRY(fs::path wd,
           inside_root(root, "/", config.working_dir.empty() ? "/" : config.working_dir, where,
                       /*allow_root=*/true));
  // Every path is resolved inside the image: a later layer may have made
  // any name a link.
  (void)wd;  // a working directory that leads out of the image was refused above
  if (auto toml = inside_root(root, config.working_dir.empty() ? "/" : config.working_dir,
                              "weft.toml", where, false);
      toml && fs::is_regular_file(*toml, ec))
    out.app_manifest = *toml;
  if (argv.empty()) {
    for (const Descriptor& d : m.layers)
      if (is_wasm_layer_type(d.media_type)) {
        WEFT_TRY(out.wasm, inside_root(root, "/", wasm_layer_name(d), where, false));
        if (!fs::is_regular_file(out.wasm, ec) || !is_wasm_file(out.wasm))
          return Error::usage(where + ": the module layer \"" + wasm_layer_name(d) +
                              "\" is not a WebAssembly module in the image");
        out.program = "/" + wasm_layer_name(d);
        return {};
      }
    if (out.app_manifest) return {};
    return Error::usage(where +
                        ": no Entrypoint or Cmd names a .wasm module to run, and the "
                        "image holds no weft.toml");
  }
  WEFT_TRY(fs::path program, inside_root(root, config.working_dir, argv.front(), where, false));
  if (!fs::is_regular_file(program, ec))
    return Error::usage(where + ": the entrypoint \"" + argv.front() + "\" is not in the image");
  if (!is_wasm_file(program))
    return Error::usage(where + ": the entrypoint \"" + argv.front() +
                        "\" is not a WebAssembly module (weft runs .wasm images)");
  out.wasm = program;
  out.program = argv.front();
  if (config.entrypoint.empty()) {
    out.cmd.assign(config.cmd.begin() + 1, config.cmd.end());
  } else {
    out.entrypoint_args.assign(config.entrypoint.begin() + 1, config.entrypoint.end());
    out.cmd = config.cmd;
  }
  return {};
}

}  // namespace

fs::path default_image_cache() {
  if (const char* env = std::getenv("WEFT_CACHE");
      env != nullptr && *env != 0 && std::string_view(env) != "off" && std::string_view(env) != "0")
    return fs::path(env) / "oci";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != 0)
    return fs::path(xdg) / "weft" / "oci";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0)
    return fs::path(home) / ".cache" / "weft" / "oci";
  // No home: a directory of this user's own under /tmp (made 0700 and
  // checked by pull_image).
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  return tmp / ("weft-oci-" + std::to_string(::getuid()));
}

Result<PulledImage> pull_image(const ImageRef& ref, const PullOptions& options) {
  const fs::path cache_root = options.cache_dir.empty() ? default_image_cache() : options.cache_dir;
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  if (ec) return Error::io("image cache " + cache_root.string() + ": " + ec.message());
  // Unpacked trees are trusted once complete: the cache must be this user's.
  struct stat st {};
  if (::lstat(cache_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
      (st.st_mode & 022) != 0) {
    if (st.st_uid == ::getuid() && S_ISDIR(st.st_mode))
      ::chmod(cache_root.c_str(), 0700);
    else
      return Error::io("image cache " + cache_root.string() +
                       ": not a directory of this user's that only they can write");
  }
  BlobCache cache(cache_root);
  std::unique_ptr<Source> source;
  if (ref.kind == ImageRef::Kind::Layout)
    source = std::make_unique<LayoutSource>(ref, cache);
  else
    source = std::make_unique<RegistrySource>(ref, options, cache);

  WEFT_TRY(Source::Root top, source->resolve());
  std::string manifest_bytes = std::move(top.bytes);
  std::string manifest_digest = top.digest;
  std::string where = ref.text + ": " + short_digest(top.digest);
  WEFT_TRY(DocumentKind kind, document_kind(manifest_bytes, top.media_type, where));
  if (kind == DocumentKind::Index) {
    WEFT_TRY(ImageIndex index, parse_index(manifest_bytes, where));
    WEFT_TRY(Descriptor chosen, choose_manifest(index, where));
    where = ref.text + ": " + short_digest(chosen.digest);
    WEFT_TRY(manifest_bytes, source->manifest(chosen, where));
    manifest_digest = chosen.digest;
    WEFT_TRY(DocumentKind inner, document_kind(manifest_bytes, chosen.media_type, where));
    if (inner != DocumentKind::Manifest)
      return Error::usage(where + ": an index inside an index is not supported");
  }
  WEFT_TRY(ImageManifest manifest, parse_image_manifest(manifest_bytes, where));
  if (manifest.layers.size() > kMaxLayers)
    return Error::limit(where + ": " + std::to_string(manifest.layers.size()) +
                        " layers (at most " + std::to_string(kMaxLayers) + ")");
  uint64_t total = 0;
  for (const Descriptor& d : manifest.layers)
    total += std::min<uint64_t>(d.size, kMaxBlobBytes + 1);
  if (total > kMaxImageBytes)
    return Error::limit(where + ": layers of " + std::to_string(total >> 20) + " MiB (at most " +
                        std::to_string(kMaxImageBytes >> 20) + " MiB)");

  PulledImage out;
  out.ref = ref.text;
  out.manifest_digest = manifest_digest;
  bool any_tar = false, any_wasm = false, any_toml = false;
  for (const Descriptor& d : manifest.layers) {
    any_tar |= is_tar_layer_type(d.media_type);
    any_wasm |= is_wasm_layer_type(d.media_type);
    any_toml |= d.media_type == media::kWeftManifestLayer;
  }
  out.artifact =
      !any_tar && (any_wasm || any_toml || manifest.config.media_type == media::kWasmConfig ||
                   !manifest.artifact_type.empty());
  ImageConfig config;
  if (!out.artifact) {
    const std::string config_where = ref.text + ": config " + short_digest(manifest.config.digest);
    if (manifest.config.size > kMaxDocumentBytes)
      return Error::limit(config_where + ": a config of " + std::to_string(manifest.config.size) +
                          " bytes");
    WEFT_TRY(fs::path config_file, source->blob(manifest.config, config_where));
    WEFT_TRY(std::string config_bytes, read_whole(config_file, kMaxDocumentBytes, config_where));
    WEFT_TRY(config, parse_image_config(config_bytes, config_where));
  }

  // Unpacked once per manifest digest: built beside, renamed into place.
  const std::string hex = manifest_digest.substr(manifest_digest.find(':') + 1);
  const fs::path final_dir = cache_root / "images" / hex;
  const fs::path root_name = out.artifact ? "files" : "rootfs";
  if (!fs::is_regular_file(final_dir / ".complete", ec)) {
    const fs::path building =
        cache_root / "images" / (".tmp-" + hex + "-" + std::to_string(::getpid()));
    fs::remove_all(building, ec);
    fs::create_directories(building / root_name, ec);
    if (ec) return Error::io("image cache: cannot make " + building.string() + ": " + ec.message());
    auto made = out.artifact ? unpack_artifact(*source, manifest, building / root_name)
                             : unpack_container(*source, manifest, building / root_name);
    if (!made) {
      fs::remove_all(building, ec);
      return made.error();
    }
    { std::ofstream(building / ".complete") << manifest_digest << "\n"; }
    // A tree without .complete is what a crashed pull left; a complete one
    // another weft renamed into place meanwhile is used (and may be running).
    if (!fs::is_regular_file(final_dir / ".complete", ec)) fs::remove_all(final_dir, ec);
    fs::rename(building, final_dir, ec);
    if (ec) fs::remove_all(building, ec);
  }
  // What is runnable, from the unpacked tree (made now or by an earlier pull).
  const fs::path root = fs::canonical(final_dir / root_name, ec);
  if (ec)
    return Error::io("image cache: " + (final_dir / root_name).string() + ": " + ec.message());
  out.root = root;
  if (out.artifact) {
    WEFT_CHECK(describe_artifact(manifest, root, out));
  } else {
    WEFT_CHECK(describe_container(manifest, config, root, out));
  }
  return out;
}

}  // namespace weft::oci
