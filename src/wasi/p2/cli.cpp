// wasi:cli — environment, exit, stdio streams and the terminal interfaces.
#include "wasi/p2/state.h"

namespace weft::wasi::p2 {

namespace {

using K = ValKind;

// Strings handed to the guest must be UTF-8 (the canonical ABI lowers
// them as such); host environment values need not be, so invalid bytes
// become U+FFFD.
std::string to_utf8(const std::string& s) {
  if (sandbox::valid_utf8(s)) return s;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    // The longest valid sequence starting at i, if any.
    size_t len = 0;
    for (size_t n = 1; n <= 4 && i + n <= s.size(); ++n) {
      if (sandbox::valid_utf8(s.substr(i, n))) {
        len = n;
        break;
      }
    }
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, len);
      i += len;
    }
  }
  return out;
}

HostResult new_output(HostState& host, OutputStream::Kind kind) {
  OutputStream s;
  s.kind = kind;
  auto rep = push_own(host, std::move(s));
  if (!rep) return std::move(rep).error();
  return std::move(rep).value();
}

}  // namespace

void define_cli(Definitions& defs) {
  const std::string env = "wasi:cli/environment";
  defs.func(env, "get-environment", {}, [](HostState& host, std::vector<Val>&) -> HostResult {
    std::vector<Val> out;
    for (const auto& [name, value] : host.ctx->config().env) {
      out.push_back(Val::tuple({Val::string(to_utf8(name)), Val::string(to_utf8(value))}));
    }
    return Val::list(std::move(out));
  });
  defs.func(env, "get-arguments", {}, [](HostState& host, std::vector<Val>&) -> HostResult {
    std::vector<std::string> args;
    for (const auto& a : host.ctx->config().args) args.push_back(to_utf8(a));
    return string_list(args);
  });
  // No cwd is granted: paths are relative to the preopens only.
  defs.func(env, "initial-cwd", {},
            [](HostState&, std::vector<Val>&) -> HostResult { return Val::none(); });

  const std::string exit = "wasi:cli/exit";
  defs.func(exit, "exit", {K::Result}, [](HostState&, std::vector<Val>& args) -> HostResult {
    return Error::exit(args[0].discriminant == 0 ? 0 : 1);
  });
  // In jco's 0.2.12 WIT without an @unstable gate; wasmtime offers it too.
  defs.func(exit, "exit-with-code", {K::U8}, [](HostState&, std::vector<Val>& args) -> HostResult {
    return Error::exit(static_cast<int>(args[0].bits & 0xff));
  });

  defs.func("wasi:cli/stdin", "get-stdin", {},
            [](HostState& host, std::vector<Val>&) -> HostResult {
              auto rep = push_own(host, InputStream{});
              if (!rep) return std::move(rep).error();
              return std::move(rep).value();
            });
  defs.func("wasi:cli/stdout", "get-stdout", {}, [](HostState& host, std::vector<Val>&) {
    return new_output(host, OutputStream::Kind::Stdout);
  });
  defs.func("wasi:cli/stderr", "get-stderr", {}, [](HostState& host, std::vector<Val>&) {
    return new_output(host, OutputStream::Kind::Stderr);
  });

  // No terminal is ever exposed: a guest cannot tell a tty from a pipe,
  // which keeps it from emitting escape codes into captured output.
  defs.resource<TerminalInput>("wasi:cli/terminal-input", "terminal-input");
  defs.resource<TerminalOutput>("wasi:cli/terminal-output", "terminal-output");
  defs.func("wasi:cli/terminal-stdin", "get-terminal-stdin", {},
            [](HostState&, std::vector<Val>&) -> HostResult { return Val::none(); });
  defs.func("wasi:cli/terminal-stdout", "get-terminal-stdout", {},
            [](HostState&, std::vector<Val>&) -> HostResult { return Val::none(); });
  defs.func("wasi:cli/terminal-stderr", "get-terminal-stderr", {},
            [](HostState&, std::vector<Val>&) -> HostResult { return Val::none(); });
}

}  // namespace weft::wasi::p2
