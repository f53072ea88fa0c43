// `weft push FILE.wasm|DIR docker://HOST/REPO:TAG`: publish a module, or an
// app (DIR/weft.toml and the modules it names), as a Wasm OCI artifact, so
// that `weft run` or `weft up docker://HOST/REPO:TAG` deploys it elsewhere.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "app/manifest.h"
#include "cli/cli.h"
#include "oci/image.h"
#include "oci/manifest.h"

namespace weft::cli {

namespace {

namespace fs = std::filesystem;

// The app's files, named relative to its directory (so its weft.toml works
// unchanged where it is pulled).
Result<std::vector<oci::PushFile>> app_files(const fs::path& dir) {
  auto manifest = app::load_manifest(dir);
  if (!manifest) return std::move(manifest).error();
  const fs::path base = manifest->dir.lexically_normal();
  std::vector<oci::PushFile> files;
  std::set<std::string> seen;
  // Each file under the name weft.toml gives it, relative to its directory
  // (so the pulled app's weft.toml finds it): never above it.
  auto add = [&](const fs::path& source, const std::string& what) -> Result<void> {
    std::error_code ec;
    if (!fs::is_regular_file(source, ec))
      return Error::io(what + ": " + source.string() + ": not a file");
    const fs::path rel = source.lexically_normal().lexically_relative(base);
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..")
      return Error::usage(what + ": " + source.string() + " is outside the app's directory " +
                          base.string() + "; weft push carries only files beneath it");
    if (seen.insert(rel.generic_string()).second)
      files.push_back({rel.generic_string(), source, std::string(oci::media::kWasmLayer)});
    return {};
  };
  files.push_back({"weft.toml", manifest->file, std::string(oci::media::kWeftManifestLayer)});
  if (manifest->file.filename() != "weft.toml")
    return Error::usage(manifest->file.string() +
                        ": weft push takes an app directory whose "
                        "manifest is weft.toml");
  for (const auto& [name, service] : manifest->services) {
    const std::string what = manifest->file.filename().string() + ": service \"" + name + "\"";
    if (!service.files.empty())
      return Error::usage(what + " is granted the directory " + service.files.front().host_path +
                          "; weft push carries modules and weft.toml, not directories");
    if (auto ok = add(service.source, what); !ok) return ok.error();
    for (const app::DependencySpec& dep : service.dependencies)
      if (auto ok = add(dep.source, what + ": dependency \"" + dep.interface_name + "\""); !ok)
        return ok.error();
  }
  for (const auto& [name, filter] : manifest->filters)
    if (auto ok = add(filter.source, "filter \"" + name + "\""); !ok) return ok.error();
  return files;
}

}  // namespace

Subcommand add_push_command(CLI::App& parent) {
  struct Options {
    std::string source;
    std::string image;
    bool insecure_registry = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "push", "Publish a module or an app (a directory with weft.toml) to a registry");
  app->add_option("source", options->source, "FILE.wasm, or a directory holding weft.toml")
      ->required();
  app->add_option("image", options->image, "docker://HOST[:PORT]/REPO:TAG")->required();
  app->add_flag("--insecure-registry", options->insecure_registry,
                "Allow plain HTTP to a registry that is not on this machine");
  return {app, [options]() -> int {
            auto ref = oci::parse_image_ref(options->image);
            if (!ref) {
              std::fprintf(stderr, "weft push: %s\n", ref.error().message.c_str());
              return kExitUsage;
            }
            std::error_code ec;
            std::vector<oci::PushFile> files;
            if (fs::is_directory(options->source, ec)) {
              auto listed = app_files(options->source);
              if (!listed) {
                std::fprintf(stderr, "weft push: %s\n", listed.error().message.c_str());
                return kExitError;
              }
              files = std::move(*listed);
            } else if (fs::is_regular_file(options->source, ec)) {
              files.push_back({fs::path(options->source).filename().string(),
                               fs::path(options->source), std::string(oci::media::kWasmLayer)});
            } else {
              std::fprintf(stderr, "weft push: %s: no such file or directory\n",
                           options->source.c_str());
              return kExitError;
            }
            oci::PushOptions push;
            push.registry.insecure = options->insecure_registry;
            auto digest = oci::push_artifact(files, *ref, push);
            if (!digest) {
              std::fprintf(stderr, "weft push: %s\n", digest.error().message.c_str());
              return kExitError;
            }
            std::printf("docker://%s/%s@%s\n", ref->host.c_str(), ref->repository.c_str(),
                        digest->c_str());
            return kExitOk;
          }};
}

}  // namespace weft::cli
