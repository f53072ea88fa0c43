// Image references in skopeo's transport syntax:
//   oci:PATH[:TAG]                                 an OCI image layout on disk
//   docker://HOST[:PORT]/REPO[:TAG|@DIGEST]        a registry (distribution v2 API)
#pragma once

#include <string>
#include <string_view>

#include "weft/result.h"

namespace weft::oci {

struct ImageRef {
  enum class Kind : uint8_t { Layout, Registry };
  Kind kind = Kind::Layout;
  std::string text;  // as given, for messages

  // Layout: the directory and the tag (its index.json's
  // org.opencontainers.image.ref.name); an empty tag means the layout's
  // only image.
  std::string layout_dir;

  // Registry: "HOST[:PORT]", the repository ("team/app"), and a tag or a
  // digest ("sha256:..."); neither given means the tag "latest".
  std::string host;
  std::string repository;
  std::string digest;

  std::string tag;  // both kinds
};

// Whether `text` is meant as an image reference rather than a file path.
bool looks_like_image_ref(std::string_view text);

// Parses an image reference; the error says what is wrong with which part.
Result<ImageRef> parse_image_ref(std::string_view text);

// The registry host without its port ("127.0.0.1", "::1", "localhost").
std::string host_without_port(std::string_view host);

// Whether `host` (with or without a port) is this machine: plain HTTP is
// allowed only there unless the user says --insecure-registry.
bool is_loopback_host(std::string_view host);

// The reference's tag or digest as a registry path element.
std::string registry_reference(const ImageRef& ref);

}  // namespace weft::oci
