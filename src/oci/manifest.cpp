#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "wasm/binary/reader.h"  // WEFT_TRY

namespace weft::oci {
namespace {

using Json = nlohmann::json;

Error bad(const std::string& where, const std::string& what) {
  return Error::usage(where + ": " + what);
}

Result<Json> parse_json(std::string_view text, const std::string& where) {
  if (text.size() > kMaxDocumentBytes)
    return bad(where, "document of " + std::to_string(text.size()) + " bytes (over the " +
                          std::to_string(kMaxDocumentBytes) + "-byte limit)");
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad(where, "not valid JSON");
  if (!j.is_object()) return bad(where, "not a JSON object");
  return j;
}

Result<std::string> string_field(const Json& j, const char* key, const std::string& where,
                                 bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return bad(where, std::string("no \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return bad(where, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> string_list(const Json& j, const char* key,
                                             const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return bad(where, std::string("\"") + key + "\" is not a list");
  for (const Json& v : *it) {
    if (!v.is_string()) return bad(where, std::string("\"") + key + "\" holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Descriptor> parse_descriptor(const Json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "not a descriptor object");
  Descriptor d;
  WEFT_TRY(d.media_type, string_field(j, "mediaType", where, true));
  WEFT_TRY(d.digest, string_field(j, "digest", where, true));
  if (auto ok = parse_digest(d.digest); !ok) return bad(where, ok.error().message);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    return bad(where, "\"size\" is missing or not a non-negative integer");
  d.size = size->get<uint64_t>();
  if (auto a = j.find("annotations"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return bad(where, "\"annotations\" is not an object");
    for (auto& [k, v] : a->items()) {
      if (!v.is_string()) return bad(where, "annotation \"" + k + "\" is not a string");
      d.annotations[k] = v.get<std::string>();
    }
  }
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
    if (!p->is_object()) return bad(where, "\"platform\" is not an object");
    WEFT_TRY(d.os, string_field(*p, "os", where + ": platform", false));
    WEFT_TRY(d.architecture, string_field(*p, "architecture", where + ": platform", false));
  }
  return d;
}

}  // namespace

bool is_index_type(std::string_view t) { return t == media::kOciIndex || t == media::kDockerList; }
bool is_manifest_type(std::string_view t) {
  return t == media::kOciManifest || t == media::kDockerManifest;
}
bool is_wasm_layer_type(std::string_view t) {
  return t == media::kWasmLayer || t == media::kWasmContentLayer;
}

Result<DocumentKind> document_kind(std::string_view json, std::string_view media_type,
                                   const std::string& where) {
  WEFT_TRY(Json j, parse_json(json, where));
  std::string own;
  WEFT_TRY(own, string_field(j, "mediaType", where, false));
  if (!own.empty() && !media_type.empty() && own != media_type &&
      !(is_index_type(own) && is_index_type(media_type)) &&
      !(is_manifest_type(own) && is_manifest_type(media_type)))
    return bad(where, "served as " + std::string(media_type) + " but says it is " + own);
  const std::string_view t = own.empty() ? media_type : std::string_view(own);
  if (is_index_type(t)) return DocumentKind::Index;
  if (is_manifest_type(t)) return DocumentKind::Manifest;
  if (t.empty() || t == "application/json") {
    // An OCI document may leave mediaType out: its fields tell.
    if (j.contains("manifests")) return DocumentKind::Index;
    if (j.contains("config") && j.contains("layers")) return DocumentKind::Manifest;
  }
  return bad(where, "not an image index or manifest (media type \"" + std::string(t) + "\")");
}

Result<ImageIndex> parse_index(std::string_view json, const std::string& where) {
  WEFT_TRY(Json j, parse_json(json, where));
  auto list = j.find("manifests");
  if (list == j.end() || !list->is_array()) return bad(where, "no \"manifests\" list");
  ImageIndex index;
  for (size_t i = 0; i < list->size(); ++i) {
    WEFT_TRY(Descriptor d,
             parse_descriptor((*list)[i], where + ": manifests[" + std::to_string(i) + "]"));
    index.manifests.push_back(std::move(d));
  }
  return index;
}

Result<ImageManifest> parse_image_manifest(std::string_view json, const std::string& where) {
  WEFT_TRY(Json j, parse_json(json, where));
  ImageManifest m;
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != 2)
    return bad(where, "\"schemaVersion\" is not 2");
  WEFT_TRY(m.media_type, string_field(j, "mediaType", where, false));
  WEFT_TRY(m.artifact_type, string_field(j, "artifactType", where, false));
  auto config = j.find("config");
  if (config == j.end()) return bad(where, "no \"config\"");
  WEFT_TRY(m.config, parse_descriptor(*config, where + ": config"));
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) return bad(where, "no \"layers\" list");
  for (size_t i = 0; i < layers->size(); ++i) {
    WEFT_TRY(Descriptor d,
             parse_descriptor((*layers)[i], where + ": layers[" + std::to_string(i) + "]"));
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<ImageConfig> parse_image_config(std::string_view json, const std::string& where) {
  WEFT_TRY(Json j, parse_json(json, where));
  ImageConfig c;
  WEFT_TRY(c.os, string_field(j, "os", where, false));
  WEFT_TRY(c.architecture, string_field(j, "architecture", where, false));
  auto config = j.find("config");
  if (config == j.end() || config->is_null()) return c;
  if (!config->is_object()) return bad(where, "\"config\" is not an object");
  const std::string at = where + ": config";
  WEFT_TRY(c.entrypoint, string_list(*config, "Entrypoint", at));
  WEFT_TRY(c.cmd, string_list(*config, "Cmd", at));
  WEFT_TRY(c.env, string_list(*config, "Env", at));
  WEFT_TRY(c.working_dir, string_field(*config, "WorkingDir", at, false));
  return c;
}

}  // namespace weft::oci
