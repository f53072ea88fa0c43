#include "component/validate/names.h"

#include <cctype>

namespace weft::component {

namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A fragment is all lower-case-or-digits or all upper-case-or-digits.
bool is_fragment(std::string_view f, bool first) {
  if (f.empty()) return false;
  if (first && !std::isalpha(static_cast<unsigned char>(f[0]))) return false;
  bool lower = true, upper = true;
  for (char c : f) {
    lower = lower && is_lower_or_digit(c);
    upper = upper && is_upper_or_digit(c);
  }
  return lower || upper;
}

// `words`: lower-case words only ("wasi", "http-types").
bool is_words(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t dash = s.find('-', start);
    std::string_view f = s.substr(start, dash == std::string_view::npos ? s.npos : dash - start);
    if (f.empty()) return false;
    if (first && !(f[0] >= 'a' && f[0] <= 'z')) return false;
    for (char c : f)
      if (!is_lower_or_digit(c)) return false;
    first = false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

bool is_semver_ident(std::string_view s, bool numeric_no_leading_zero) {
  if (s.empty()) return false;
  bool all_digits = true;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (!std::isdigit(static_cast<unsigned char>(c))) all_digits = false;
  }
  if (numeric_no_leading_zero && all_digits && s.size() > 1 && s[0] == '0') return false;
  return true;
}

bool is_numeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return s.size() == 1 || s[0] != '0';
}

// Semantic Versioning 2.0: MAJOR.MINOR.PATCH(-pre)?(+build)?
bool is_valid_semver(std::string_view v) {
  size_t plus = v.find('+');
  std::string_view build = plus == v.npos ? std::string_view() : v.substr(plus + 1);
  std::string_view rest = v.substr(0, plus);
  if (plus != v.npos) {
    size_t s = 0;
    while (true) {
      size_t dot = build.find('.', s);
      if (!is_semver_ident(build.substr(s, dot == build.npos ? build.npos : dot - s), false))
        return false;
      if (dot == build.npos) break;
      s = dot + 1;
    }
  }
  size_t dash = rest.find('-');
  std::string_view core = rest.substr(0, dash);
  if (dash != rest.npos) {
    std::string_view pre = rest.substr(dash + 1);
    size_t s = 0;
    while (true) {
      size_t dot = pre.find('.', s);
      if (!is_semver_ident(pre.substr(s, dot == pre.npos ? pre.npos : dot - s), true)) return false;
      if (dot == pre.npos) break;
      s = dot + 1;
    }
  }
  size_t d1 = core.find('.');
  if (d1 == core.npos) return false;
  size_t d2 = core.find('.', d1 + 1);
  if (d2 == core.npos) return false;
  return is_numeric(core.substr(0, d1)) && is_numeric(core.substr(d1 + 1, d2 - d1 - 1)) &&
         is_numeric(core.substr(d2 + 1));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_kebab_label(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t dash = s.find('-', start);
    std::string_view f = s.substr(start, dash == std::string_view::npos ? s.npos : dash - start);
    if (!is_fragment(f, first)) return false;
    first = false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

std::optional<ExternNameInfo> parse_extern_name(std::string_view name, std::string& why) {
  ExternNameInfo info;
  auto bad = [&](std::string reason) -> std::optional<ExternNameInfo> {
    why = "`" + std::string(name) + "` is not a valid extern name: " + reason;
    return std::nullopt;
  };
  if (name.find(':') != std::string_view::npos) {
    // interfacename ::= namespace words projection interfaceversion?
    info.kind = ExternNameInfo::Kind::Interface;
    std::string_view rest = name;
    std::string_view version;
    size_t at = rest.find('@');
    if (at != rest.npos) {
      version = rest.substr(at + 1);
      rest = rest.substr(0, at);
      if (!is_valid_semver(version))
        return bad("`" + std::string(version) + "` is not a valid version");
    }
    size_t colon = rest.find(':');
    size_t slash = rest.find('/', colon);
    if (slash == rest.npos) return bad("an interface name needs `/`");
    if (!is_words(rest.substr(0, colon))) return bad("bad namespace");
    if (!is_words(rest.substr(colon + 1, slash - colon - 1))) return bad("bad package name");
    if (!is_kebab_label(rest.substr(slash + 1))) return bad("bad interface name");
    info.interface_without_version = std::string(rest);
    info.version = std::string(version);
    return info;
  }
  auto strip = [&](std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return false;
    name.remove_prefix(prefix.size());
    return true;
  };
  std::string_view full = name;
  if (strip("[constructor]")) {
    info.kind = ExternNameInfo::Kind::Constructor;
    if (!is_kebab_label(name)) return bad("`" + std::string(name) + "` is not a kebab-case label");
    info.resource = std::string(name);
    return info;
  }
  bool method = strip("[method]");
  bool stat = !method && strip("[static]");
  if (method || stat) {
    info.kind = method ? ExternNameInfo::Kind::Method : ExternNameInfo::Kind::Static;
    size_t dot = name.find('.');
    if (dot == name.npos) return bad("expected `resource.name`");
    if (!is_kebab_label(name.substr(0, dot)) || !is_kebab_label(name.substr(dot + 1)))
      return bad("not kebab-case labels");
    info.resource = std::string(name.substr(0, dot));
    info.label = std::string(name.substr(dot + 1));
    return info;
  }
  if (!name.empty() && name[0] == '[') return bad("unknown annotation");
  if (!is_kebab_label(full)) return bad("`" + std::string(full) + "` is not in kebab case");
  info.label = std::string(full);
  return info;
}

bool NameSet::insert(const ExternNameInfo& info, std::string_view name) {
  // Explainer.md, "Name Uniqueness": lower-case; `[method]l.l` and
  // `[static]l.l` become `l`; other annotations but `[constructor]` are
  // stripped.
  std::string key;
  switch (info.kind) {
    case ExternNameInfo::Kind::Method:
    case ExternNameInfo::Kind::Static:
      key = lower(info.resource) == lower(info.label) ? lower(info.label)
                                                      : lower(info.resource + "." + info.label);
      break;
    default:
      key = lower(name);
      break;
  }
  auto [it, inserted] = seen_.emplace(key, std::string(name));
  if (!inserted) previous_ = it->second;
  return inserted;
}

}  // namespace weft::component
