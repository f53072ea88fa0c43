// Component Model name syntax (Explainer.md, "Import and Export
// Definitions"): kebab-case labels, plain and interface extern names, and
// the strong-uniqueness rule for the names of one component or type.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace weft::component {

// `label`: words or acronyms joined by '-' ("a-b", "XML-http", "a1-2").
bool is_kebab_label(std::string_view s);

struct ExternNameInfo {
  enum class Kind : uint8_t { Plain, Constructor, Method, Static, Interface };
  Kind kind = Kind::Plain;
  std::string resource;                   // Constructor/Method/Static: the resource's label
  std::string label;                      // Plain, Method/Static: the function's label
  std::string interface_without_version;  // Interface: "ns:pkg/iface"
  std::string version;                    // Interface: after '@', may be ""
};

// Parses an import or export name, or returns nullopt with `why` set.
std::optional<ExternNameInfo> parse_extern_name(std::string_view name, std::string& why);

// Strong uniqueness of the names of one scope (see insert).
class NameSet {
 public:
  // False if `name` clashes with an earlier one.
  bool insert(const ExternNameInfo& info, std::string_view name);
  // After a failed insert: the earlier name it clashed with.
  const std::string& previous() const { return previous_; }

 private:
  std::map<std::string, std::string> seen_;  // canonical form → the name as given
  std::string previous_;
};

}  // namespace weft::component
