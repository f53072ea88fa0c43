// Calls WASI 0.2 host functions directly, as the component runtime would:
// arguments as component values, results back as values.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "wasi/p2/state.h"
#include "weft/wasi_p2.h"

namespace weft::wasi::p2::testing {

using component::Val;
using component::ValKind;

inline Val borrow(uint64_t rep) {
  Val v;
  v.kind = ValKind::Borrow;
  v.bits = rep;
  return v;
}

inline Val flags(std::vector<std::string> set) { return Val::flags(std::move(set)); }

inline std::string as_bytes(const Val& list) {
  std::string out;
  for (size_t i = 0; i < list.list_size(); ++i)
    out.push_back(static_cast<char>(list.list_item(i).bits));
  return out;
}

inline Val bytes(const std::string& s) {
  return bytes_val(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class Host {
 public:
  explicit Host(Config config = {}) {
    auto s = P2State::create(std::move(config));
    if (!s) {
      ADD_FAILURE() << s.error().to_string();
      return;
    }
    state = *s;
    define_all(state, defs);
  }

  // The raw result of `iface` (unversioned) `name`.
  Result<std::optional<Val>> call(const std::string& iface, const std::string& name,
                                  std::vector<Val> args = {}) {
    const std::string versioned_iface = iface + "@" + kWasiP2Version;
    for (auto& f : defs.funcs) {
      if (f.interface_name == versioned_iface && f.name == name) {
        component::HostCall hc{store, f.interface_name, f.name};
        return f.fn(hc, args);
      }
    }
    ADD_FAILURE() << "no host function " << versioned_iface << " " << name;
    return Error::usage("missing");
  }

  // The value of a call expected to succeed with a result.
  Val value(const std::string& iface, const std::string& name, std::vector<Val> args = {}) {
    auto r = call(iface, name, std::move(args));
    if (!r) {
      ADD_FAILURE() << iface << " " << name << ": " << r.error().to_string();
      return {};
    }
    if (!r->has_value()) {
      ADD_FAILURE() << iface << " " << name << ": no result";
      return {};
    }
    return **r;
  }

  // ok(payload) of a result-returning call; fails the test on err.
  Val ok(const std::string& iface, const std::string& name, std::vector<Val> args = {}) {
    Val v = value(iface, name, std::move(args));
    EXPECT_EQ(v.kind, ValKind::Result);
    if (v.discriminant != 0) {
      ADD_FAILURE() << iface << " " << name << " returned " << component::to_string(v);
      return {};
    }
    return v.items.empty() ? Val{} : v.items[0];
  }

  // The error-code label of a call expected to fail with err(error-code).
  std::string err(const std::string& iface, const std::string& name, std::vector<Val> args = {}) {
    Val v = value(iface, name, std::move(args));
    if (v.kind != ValKind::Result || v.discriminant != 1 || v.items.empty()) {
      ADD_FAILURE() << iface << " " << name << " did not fail: " << component::to_string(v);
      return "";
    }
    return v.items[0].labels.empty() ? "" : v.items[0].labels[0];
  }

  void drop(const std::string& iface, const std::string& resource, uint64_t rep) {
    const std::string versioned_iface = iface + "@" + kWasiP2Version;
    for (auto& r : defs.resources) {
      if (r.interface_name == versioned_iface && r.name == resource) {
        r.drop(store, static_cast<uint32_t>(rep));
        return;
      }
    }
    ADD_FAILURE() << "no resource " << versioned_iface << " " << resource;
  }

  std::shared_ptr<P2State> state;
  Definitions defs;
  Store store;
};

}  // namespace weft::wasi::p2::testing
