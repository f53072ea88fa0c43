// wasi:sockets — every interface and function of the WIT, with no network
// granted: creating a socket and resolving a name fail with access-denied,
// so no socket handle can exist and every socket method traps on the
// (necessarily unknown) handle it is given. The network handle from
// instance-network exists, as the WIT's signature requires, and opens
// nothing.
#include "wasi/p2/state.h"

namespace weft::wasi::p2 {

namespace {

using K = ValKind;

// wasi:sockets/network error-code: access-denied is case 1.
Val access_denied() { return Val::err(enum_val("access-denied", 1)); }

// A method on a socket resource: never reachable with a valid handle.
void socket_methods(Definitions& defs, const std::string& iface, const std::string& resource,
                    std::initializer_list<const char*> methods) {
  for (const char* m : methods) {
    const std::string name = "[method]" + resource + "." + m;
    // Host functions are registered untyped; these only read args[0], so
    // the wrapper's arity check is left to the generic lambda below.
    defs.funcs.push_back(
        {versioned(iface), name,
         [resource, name](component::HostCall&, std::vector<Val>& args) -> HostResult {
           const std::string handle = args.empty() ? "none" : std::to_string(args[0].bits);
           return trap(name + ": unknown " + resource + " handle " + handle +
                       " (no sockets are granted)");
         }});
  }
}

// A resource no host object ever backs: nothing to release on drop.
void no_objects(Definitions& defs, const std::string& iface, std::string name) {
  defs.resources.push_back({versioned(iface), std::move(name), [](Store&, uint32_t) {}});
}

}  // namespace

void define_sockets(Definitions& defs) {
  const std::string network = "wasi:sockets/network";
  defs.resource<Network>(network, "network");
  defs.func("wasi:sockets/instance-network", "instance-network", {},
            [](HostState& host, std::vector<Val>&) -> HostResult {
              auto rep = push_own(host, Network{});
              if (!rep) return std::move(rep).error();
              return std::move(rep).value();
            });

  // jco's own 0.2.10 sockets WIT (which componentize-js guests are built
  // against) gives network a method `noop` that is never called, and has
  // network-error-code without 0.2.12's @unstable gate: define both so
  // such guests link. No socket error exists, so no error has a code.
  defs.func(network, "[method]network.noop", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto n = lookup<Network>(host, args[0], "network");
              if (!n) return std::move(n).error();
              return std::optional<Val>();
            });
  defs.func(network, "network-error-code", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto e = lookup<ErrorObj>(host, args[0], "error");
              if (!e) return std::move(e).error();
              return Val::none();
            });

  const std::string lookup_iface = "wasi:sockets/ip-name-lookup";
  no_objects(defs, lookup_iface, "resolve-address-stream");
  defs.func(lookup_iface, "resolve-addresses", {K::Borrow, K::String},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto n = lookup<Network>(host, args[0], "network");
              if (!n) return std::move(n).error();
              return access_denied();
            });
  socket_methods(defs, lookup_iface, "resolve-address-stream",
                 {"resolve-next-address", "subscribe"});

  defs.func("wasi:sockets/tcp-create-socket", "create-tcp-socket", {K::Enum},
            [](HostState&, std::vector<Val>&) -> HostResult { return access_denied(); });
  defs.func("wasi:sockets/udp-create-socket", "create-udp-socket", {K::Enum},
            [](HostState&, std::vector<Val>&) -> HostResult { return access_denied(); });

  const std::string tcp = "wasi:sockets/tcp";
  no_objects(defs, tcp, "tcp-socket");
  socket_methods(defs, tcp, "tcp-socket",
                 {"start-bind",
                  "finish-bind",
                  "start-connect",
                  "finish-connect",
                  "start-listen",
                  "finish-listen",
                  "accept",
                  "local-address",
                  "remote-address",
                  "is-listening",
                  "address-family",
                  "set-listen-backlog-size",
                  "keep-alive-enabled",
                  "set-keep-alive-enabled",
                  "keep-alive-idle-time",
                  "set-keep-alive-idle-time",
                  "keep-alive-interval",
                  "set-keep-alive-interval",
                  "keep-alive-count",
                  "set-keep-alive-count",
                  "hop-limit",
                  "set-hop-limit",
                  "receive-buffer-size",
                  "set-receive-buffer-size",
                  "send-buffer-size",
                  "set-send-buffer-size",
                  "subscribe",
                  "shutdown"});

  const std::string udp = "wasi:sockets/udp";
  no_objects(defs, udp, "udp-socket");
  no_objects(defs, udp, "incoming-datagram-stream");
  no_objects(defs, udp, "outgoing-datagram-stream");
  socket_methods(
      defs, udp, "udp-socket",
      {"start-bind", "finish-bind", "stream", "local-address", "remote-address", "address-family",
       "unicast-hop-limit", "set-unicast-hop-limit", "receive-buffer-size",
       "set-receive-buffer-size", "send-buffer-size", "set-send-buffer-size", "subscribe"});
  socket_methods(defs, udp, "incoming-datagram-stream", {"receive", "subscribe"});
  socket_methods(defs, udp, "outgoing-datagram-stream", {"check-send", "send", "subscribe"});
}

}  // namespace weft::wasi::p2
