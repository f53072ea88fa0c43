// wasi:http/types and wasi:http/outgoing-handler, 0.2, on the WASI 0.2
// resource table; the rules are the WIT's and, where it is silent,
// wasmtime-wasi-http's (forbidden headers, lower-case names, immutable
// child headers, a missing scheme meaning https).
#include <algorithm>
#include <charconv>
#include <cstring>

#include "wasi/http/objects.h"

namespace weft::wasi::http {

using component::Val;
using component::ValKind;
using p2::HostResult;
using p2::HostState;
using p2::trap;

struct HttpState::Impl {
  std::shared_ptr<OutboundTransport> transport;
  HttpLimits limits;
  ResponseSink* sink = nullptr;
  Outcome outcome;
  std::shared_ptr<ByteChannel> response_body;
  std::shared_ptr<BodyProgress> response_progress;
  std::vector<std::weak_ptr<PendingResponse>> outbound;
};

HttpState::HttpState(std::shared_ptr<P2State> p2, std::shared_ptr<OutboundTransport> transport,
                     HttpLimits limits)
    : p2_(std::move(p2)), impl_(std::make_unique<Impl>()) {
  impl_->transport = std::move(transport);
  impl_->limits = limits;
}

HttpState::~HttpState() { end_incoming(); }

namespace {

const std::string kTypes = std::string("wasi:http/types@") + kWasiP2Version;
const std::string kOutgoing = std::string("wasi:http/outgoing-handler@") + kWasiP2Version;

// ---- header rules -------------------------------------------------------------

bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (!is_tchar(c)) return false;
  return true;
}

// RFC 9110 field-value: visible bytes, obs-text, SP and HTAB; no CR, LF, NUL.
bool valid_value(std::string_view value) {
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// wasmtime-wasi-http's DEFAULT_FORBIDDEN_HEADERS: hop-by-hop fields that
// the host's HTTP layer owns.
bool forbidden(std::string_view lower_name) {
  static constexpr std::string_view kForbidden[] = {
      "connection",          "keep-alive",       "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te",
      "transfer-encoding",   "upgrade",          "host",
      "http2-settings"};
  for (auto f : kForbidden)
    if (f == lower_name) return true;
  return false;
}

Val header_error(uint32_t which) {
  static const char* kLabels[] = {"invalid-syntax", "forbidden", "immutable"};
  return Val::err(Val::variant(kLabels[which], std::nullopt, which));
}
constexpr uint32_t kInvalidSyntax = 0, kForbidden = 1, kImmutable = 2;

// Checks a guest-given name; the header-error index, or -1 when fine.
int check_name(std::string_view name) {
  if (!valid_name(name)) return kInvalidSyntax;
  if (forbidden(lower(name))) return kForbidden;
  return -1;
}

Result<std::string> string_arg(const Val& v, const char* what) {
  if (v.kind != ValKind::String) return trap(std::string(what) + " is not a string");
  return v.str;
}

// A content-length header's value, if there is exactly one and it is a
// number.
std::optional<uint64_t> content_length_of(const FieldList& fields) {
  std::optional<uint64_t> found;
  for (const auto& [name, value] : fields) {
    if (name != "content-length") continue;
    if (found) return std::nullopt;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty())
      return std::nullopt;
    found = n;
  }
  return found;
}

Val fields_list_val(const FieldList& list) {
  std::vector<Val> items;
  items.reserve(list.size());
  for (const auto& [name, value] : list) {
    items.push_back(Val::tuple({Val::string(name), Val::bytes(value)}));
  }
  return Val::list(std::move(items));
}

// ---- values ---------------------------------------------------------------------

Val opt_string(const std::optional<std::string>& s) {
  return s ? Val::some(Val::string(*s)) : Val::none();
}

Val field_size_payload(const HttpError& e) {
  return Val::record(
      {{"field-name", opt_string(e.text)},
       {"field-size",
        e.size ? Val::some(Val::u32(static_cast<uint32_t>(std::min<uint64_t>(*e.size, UINT32_MAX))))
               : Val::none()}});
}

Val opt_u32(const std::optional<uint64_t>& n) {
  return n ? Val::some(Val::u32(static_cast<uint32_t>(std::min<uint64_t>(*n, UINT32_MAX))))
           : Val::none();
}

}  // namespace

Val error_code_val(const HttpError& e) {
  const auto d = static_cast<uint32_t>(e.code);
  std::optional<Val> payload;
  switch (e.code) {
    case ErrorCode::DnsError:
      payload = Val::record({{"rcode", opt_string(e.text)}, {"info-code", Val::none()}});
      break;
    case ErrorCode::TlsAlertReceived:
      payload = Val::record({{"alert-id", Val::none()}, {"alert-message", opt_string(e.text)}});
      break;
    case ErrorCode::HttpRequestBodySize:
    case ErrorCode::HttpResponseBodySize:
      payload = e.size ? Val::some(Val::u64(*e.size)) : Val::none();
      break;
    case ErrorCode::HttpRequestHeaderSectionSize:
    case ErrorCode::HttpRequestTrailerSectionSize:
    case ErrorCode::HttpResponseHeaderSectionSize:
    case ErrorCode::HttpResponseTrailerSectionSize:
      payload = opt_u32(e.size);
      break;
    case ErrorCode::HttpRequestHeaderSize:
      payload = (e.text || e.size) ? Val::some(field_size_payload(e)) : Val::none();
      break;
    case ErrorCode::HttpRequestTrailerSize:
    case ErrorCode::HttpResponseHeaderSize:
    case ErrorCode::HttpResponseTrailerSize:
      payload = field_size_payload(e);
      break;
    case ErrorCode::HttpResponseTransferCoding:
    case ErrorCode::HttpResponseContentCoding:
    case ErrorCode::InternalError:
      payload = opt_string(e.text);
      break;
    default:
      break;
  }
  return Val::variant(label(e.code), std::move(payload), d);
}

namespace {

// A guest's error-code value back into an HttpError (for the log and the
// status the server answers with). Unknown shapes become internal-error.
HttpError error_from_val(const Val& v) {
  HttpError e;
  if (v.kind != ValKind::Variant ||
      v.discriminant > static_cast<uint32_t>(ErrorCode::InternalError))
    return e;
  e.code = static_cast<ErrorCode>(v.discriminant);
  if (!v.items.empty()) {
    const Val& p = v.items[0];
    if (p.kind == ValKind::Option && !p.items.empty() && p.items[0].kind == ValKind::String)
      e.text = p.items[0].str;
  }
  return e;
}

// ---- method and scheme ----------------------------------------------------------

constexpr const char* kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                    "CONNECT", "OPTIONS", "TRACE", "PATCH"};
constexpr const char* kMethodLabels[] = {"get",     "head",    "post",  "put",  "delete",
                                         "connect", "options", "trace", "patch"};

Val method_val(const std::string& method) {
  for (uint32_t i = 0; i < 9; ++i)
    if (method == kMethods[i]) return Val::variant(kMethodLabels[i], std::nullopt, i);
  return Val::variant("other", Val::string(method), 9);
}

Result<std::string> method_of(const Val& v) {
  int i = p2::case_index(
      v, {"get", "head", "post", "put", "delete", "connect", "options", "trace", "patch", "other"});
  if (i < 0) return trap("method: not a method variant");
  if (i < 9) return std::string(kMethods[i]);
  if (v.items.empty() || v.items[0].kind != ValKind::String) return trap("method.other: no string");
  return v.items[0].str;
}

Val scheme_val(const std::string& scheme) {
  if (scheme == "http") return Val::variant("HTTP", std::nullopt, 0);
  if (scheme == "https") return Val::variant("HTTPS", std::nullopt, 1);
  return Val::variant("other", Val::string(scheme), 2);
}

Result<std::string> scheme_of(const Val& v) {
  int i = p2::case_index(v, {"HTTP", "HTTPS", "other"});
  if (i == 0) return std::string("http");
  if (i == 1) return std::string("https");
  if (i == 2 && !v.items.empty() && v.items[0].kind == ValKind::String) return v.items[0].str;
  return trap("scheme: not a scheme variant");
}

// Option payload, if some.
const Val* some_of(const Val& v) {
  if (v.kind != ValKind::Option || v.discriminant == 0 || v.items.empty()) return nullptr;
  return &v.items[0];
}

bool valid_authority(std::string_view a) {
  if (a.empty() || a.size() > 4096) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '\\') return false;
  return true;
}

bool valid_path(std::string_view p) {
  if (p.size() > 64 * 1024) return false;
  for (unsigned char c : p)
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  return p.empty() || p[0] == '/' || p[0] == '*' || p[0] == '?';
}

// ---- definitions -------------------------------------------------------------------

struct Defs {
  component::ComponentLinker& linker;
  HttpStateLookup lookup;
  p2::Definitions resources;

  using Impl = std::function<HostResult(HttpState& http, HostState& host, std::vector<Val>& args)>;
  struct Func {
    std::string iface, name;
    component::HostFunction fn;
  };
  std::vector<Func> funcs;
  void func(const std::string& iface, std::string name, std::vector<ValKind> params, Impl impl) {
    auto find = lookup;
    funcs.push_back({iface, std::move(name),
                     [find, params = std::move(params), impl = std::move(impl)](
                         component::HostCall& call, std::vector<Val>& args) -> HostResult::Base {
                       if (auto ok = p2::check_args(call, args, params); !ok)
                         return std::move(ok).error();
                       HttpState* http = find(call.store);
                       if (!http) {
                         return trap(std::string(call.interface_name) + " " +
                                     std::string(call.function_name) +
                                     ": the store has no wasi:http state");
                       }
                       HostResult r = impl(*http, http->p2().host(), args);
                       return static_cast<HostResult::Base&&>(r);
                     }});
  }
};

template <class T>
Result<T*> get(HostState& host, const Val& handle, const char* what) {
  if (T* obj = p2::get_extension<T>(host, static_cast<uint32_t>(handle.bits))) return obj;
  return trap(std::string("unknown ") + what + " handle " + std::to_string(handle.bits));
}

// An own handle passed in: the object leaves the table (the guest gave it
// up).
template <class T>
Result<std::shared_ptr<T>> take(HostState& host, const Val& handle, const char* what) {
  if (auto obj = p2::take_extension<T>(host, static_cast<uint32_t>(handle.bits))) return obj;
  return trap(std::string("unknown ") + what + " handle " + std::to_string(handle.bits));
}

Result<Val> new_fields(HostState& host, std::shared_ptr<FieldList> list, bool immutable) {
  auto f = std::make_shared<FieldsObj>();
  f->list = std::move(list);
  f->immutable = immutable;
  return p2::push_extension(host, std::move(f));
}

HostResult fields_result(Result<Val> r) {
  if (!r) return std::move(r).error();
  return std::move(r).value();
}

std::shared_ptr<ByteChannel> finished_channel() {
  auto ch = std::make_shared<ByteChannel>(1);
  ch->finish();
  return ch;
}

// What a body's stream leaves behind when the guest drops it: the body
// learns its child is gone (finish traps while it lives, as the WIT says),
// and for a body the guest reads, the producer learns no one will.
std::shared_ptr<void> stream_guard(std::shared_ptr<bool> alive,
                                   std::shared_ptr<ByteChannel> consumer_of) {
  return std::shared_ptr<void>(new char(0), [alive, consumer_of](void* p) {
    delete static_cast<char*>(p);
    *alive = false;
    if (consumer_of) consumer_of->close_consumer();
  });
}

void define_fields(Defs& d) {
  using K = ValKind;
  d.resources.extension_resource<FieldsObj>(kTypes, "fields");
  d.func(kTypes, "[constructor]fields", {}, [](HttpState&, HostState& host, std::vector<Val>&) {
    return fields_result(new_fields(host, std::make_shared<FieldList>(), false));
  });
  d.func(kTypes, "[static]fields.from-list", {K::List},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto list = std::make_shared<FieldList>();
           const Val& entries = args[0];
           for (size_t i = 0; i < entries.list_size(); ++i) {
             Val entry = entries.list_item(i);
             if (entry.kind != K::Tuple || entry.items.size() != 2)
               return trap("fields.from-list: an entry is not a (name, value) tuple");
             auto name = string_arg(entry.items[0], "a field name");
             if (!name) return std::move(name).error();
             auto value = p2::bytes_arg(entry.items[1]);
             if (!value) return std::move(value).error();
             if (int e = check_name(*name); e >= 0) return header_error(static_cast<uint32_t>(e));
             if (!valid_value(*value)) return header_error(kInvalidSyntax);
             list->emplace_back(lower(*name), std::move(value).value());
           }
           auto f = new_fields(host, std::move(list), false);
           if (!f) return std::move(f).error();
           return Val::ok(std::move(f).value());
         });
  d.func(kTypes, "[method]fields.get", {K::Borrow, K::String},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           const std::string name = lower(args[1].str);
           std::vector<Val> out;
           for (const auto& [n, v] : *(*f)->list)
             if (n == name) out.push_back(Val::bytes(v));
           return Val::list(std::move(out));
         });
  d.func(kTypes, "[method]fields.has", {K::Borrow, K::String},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           const std::string name = lower(args[1].str);
           for (const auto& entry : *(*f)->list)
             if (entry.first == name) return Val::boolean(true);
           return Val::boolean(false);
         });
  d.func(kTypes, "[method]fields.set", {K::Borrow, K::String, K::List},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           if ((*f)->immutable) return header_error(kImmutable);
           if (int e = check_name(args[1].str); e >= 0)
             return header_error(static_cast<uint32_t>(e));
           std::vector<std::string> values;
           for (size_t i = 0; i < args[2].list_size(); ++i) {
             auto v = p2::bytes_arg(args[2].list_item(i));
             if (!v) return std::move(v).error();
             if (!valid_value(*v)) return header_error(kInvalidSyntax);
             values.push_back(std::move(v).value());
           }
           const std::string name = lower(args[1].str);
           auto& list = *(*f)->list;
           std::erase_if(list, [&](const auto& entry) { return entry.first == name; });
           for (auto& v : values) list.emplace_back(name, std::move(v));
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]fields.delete", {K::Borrow, K::String},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           if ((*f)->immutable) return header_error(kImmutable);
           if (int e = check_name(args[1].str); e >= 0)
             return header_error(static_cast<uint32_t>(e));
           const std::string name = lower(args[1].str);
           std::erase_if(*(*f)->list, [&](const auto& entry) { return entry.first == name; });
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]fields.append", {K::Borrow, K::String, K::List},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           if ((*f)->immutable) return header_error(kImmutable);
           if (int e = check_name(args[1].str); e >= 0)
             return header_error(static_cast<uint32_t>(e));
           auto v = p2::bytes_arg(args[2]);
           if (!v) return std::move(v).error();
           if (!valid_value(*v)) return header_error(kInvalidSyntax);
           (*f)->list->emplace_back(lower(args[1].str), std::move(v).value());
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]fields.entries", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           return fields_list_val(*(*f)->list);
         });
  d.func(kTypes, "[method]fields.clone", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FieldsObj>(host, args[0], "fields");
           if (!f) return std::move(f).error();
           return fields_result(new_fields(host, std::make_shared<FieldList>(*(*f)->list), false));
         });
}

// The fields behind an own<fields> argument, moved out of the table.
Result<std::shared_ptr<FieldList>> take_fields(HostState& host, const Val& handle) {
  auto f = take<FieldsObj>(host, handle, "fields");
  if (!f) return std::move(f).error();
  // A child (immutable) view shares its parent's list: copy, so that the
  // parent's headers do not change under it.
  if ((*f)->immutable) return std::make_shared<FieldList>(*(*f)->list);
  return std::move((*f)->list);
}

void define_incoming(Defs& d) {
  using K = ValKind;
  d.resources.extension_resource<IncomingRequestObj>(kTypes, "incoming-request");
  d.resources.extension_resource<IncomingBodyObj>(kTypes, "incoming-body");
  d.resources.extension_resource<FutureTrailersObj>(kTypes, "future-trailers");
  d.func(kTypes, "[method]incoming-request.method", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           return method_val((*r)->method);
         });
  d.func(kTypes, "[method]incoming-request.path-with-query", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           return Val::some(Val::string((*r)->path_with_query));
         });
  d.func(kTypes, "[method]incoming-request.scheme", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           return Val::some(scheme_val((*r)->scheme));
         });
  d.func(kTypes, "[method]incoming-request.authority", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           if ((*r)->authority.empty()) return Val::none();
           return Val::some(Val::string((*r)->authority));
         });
  d.func(kTypes, "[method]incoming-request.headers", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           return fields_result(new_fields(host, (*r)->headers, true));
         });
  d.func(kTypes, "[method]incoming-request.consume", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingRequestObj>(host, args[0], "incoming-request");
           if (!r) return std::move(r).error();
           if ((*r)->consumed) return Val::err(std::nullopt);
           (*r)->consumed = true;
           auto body = std::make_shared<IncomingBodyObj>();
           body->channel = (*r)->body ? (*r)->body : finished_channel();
           auto rep = p2::push_extension(host, std::move(body));
           if (!rep) return std::move(rep).error();
           return Val::ok(std::move(rep).value());
         });

  d.func(kTypes, "[method]incoming-body.stream", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto b = get<IncomingBodyObj>(host, args[0], "incoming-body");
           if (!b) return std::move(b).error();
           if ((*b)->stream_taken) return Val::err(std::nullopt);
           (*b)->stream_taken = true;
           (*b)->stream_alive = std::make_shared<bool>(true);
           auto s = p2::push_channel_input(host, (*b)->channel,
                                           stream_guard((*b)->stream_alive, (*b)->channel));
           if (!s) return std::move(s).error();
           return Val::ok(std::move(s).value());
         });
  d.func(kTypes, "[static]incoming-body.finish", {K::Own},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto b = take<IncomingBodyObj>(host, args[0], "incoming-body");
           if (!b) return std::move(b).error();
           if ((*b)->stream_alive && *(*b)->stream_alive) {
             return trap("incoming-body.finish: its input-stream is still alive (drop it first)");
           }
           auto t = std::make_shared<FutureTrailersObj>();
           t->channel = (*b)->channel;
           t->channel->set_reader_waker(host.guest_waker());
           auto rep = p2::push_extension(host, std::move(t));
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  d.func(kTypes, "[method]future-trailers.subscribe", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto t = get<FutureTrailersObj>(host, args[0], "future-trailers");
           if (!t) return std::move(t).error();
           p2::Pollable p;
           p.kind = p2::Pollable::Kind::Custom;
           // The trailers come after the body: a guest that did not read it
           // all is answered as soon as it gave the body up.
           p.ready = [ch = (*t)->channel] { return ch->at_end() || ch->consumer_gone(); };
           auto rep = p2::push_own(host, std::move(p));
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  d.func(kTypes, "[method]future-trailers.get", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto t = get<FutureTrailersObj>(host, args[0], "future-trailers");
           if (!t) return std::move(t).error();
           ByteChannel& ch = *(*t)->channel;
           if (!(ch.at_end() || ch.consumer_gone())) return Val::none();
           if ((*t)->taken) return Val::some(Val::err(std::nullopt));
           (*t)->taken = true;
           if (ch.failed()) {
             return Val::some(Val::ok(Val::err(
                 error_code_val({ErrorCode::ConnectionTerminated, std::nullopt, std::nullopt}))));
           }
           auto trailers = ch.take_trailers();
           if (!trailers || trailers->empty()) return Val::some(Val::ok(Val::ok(Val::none())));
           auto list = std::make_shared<FieldList>();
           for (auto& [n, v] : *trailers) list->emplace_back(lower(n), std::move(v));
           auto f = new_fields(host, std::move(list), true);
           if (!f) return std::move(f).error();
           return Val::some(Val::ok(Val::ok(Val::some(std::move(f).value()))));
         });
}

// outgoing-body.write's stream and finish, for responses and requests.
HostResult body_write(HostState& host, std::vector<Val>& args) {
  auto b = get<OutgoingBodyObj>(host, args[0], "outgoing-body");
  if (!b) return std::move(b).error();
  if ((*b)->stream_taken) return Val::err(std::nullopt);
  (*b)->stream_taken = true;
  (*b)->stream_alive = std::make_shared<bool>(true);
  HttpError too_long{
      (*b)->is_request ? ErrorCode::HttpRequestBodySize : ErrorCode::HttpResponseBodySize,
      std::nullopt, (*b)->content_length};
  auto s = p2::push_channel_output(host, (*b)->channel, (*b)->content_length.value_or(UINT64_MAX),
                                   std::any(too_long), stream_guard((*b)->stream_alive, nullptr));
  if (!s) return std::move(s).error();
  return Val::ok(std::move(s).value());
}

HostResult body_finish(HostState& host, std::vector<Val>& args) {
  auto b = take<OutgoingBodyObj>(host, args[0], "outgoing-body");
  if (!b) return std::move(b).error();
  OutgoingBodyObj& body = **b;
  if (body.stream_alive && *body.stream_alive) {
    // The body goes with the trap: its destructor fails the channel.
    return trap("outgoing-body.finish: its output-stream is still alive (drop it first)");
  }
  ByteChannel::Trailers trailers;
  if (const Val* t = some_of(args[1])) {
    auto f = take_fields(host, *t);
    if (!f) return std::move(f).error();
    trailers = std::move(**f);
  }
  const uint64_t written = body.channel->total_written();
  if (body.content_length && written != *body.content_length) {
    HttpError e{body.is_request ? ErrorCode::HttpRequestBodySize : ErrorCode::HttpResponseBodySize,
                std::nullopt, written};
    body.channel->fail("body of " + std::to_string(written) + " bytes, content-length " +
                       std::to_string(*body.content_length));
    return Val::err(error_code_val(e));
  }
  body.progress->finished = true;
  body.channel->finish(std::move(trailers));
  return p2::unit_ok();
}

Result<Val> new_outgoing_body(HostState& host, std::shared_ptr<ByteChannel> channel,
                              std::shared_ptr<BodyProgress> progress,
                              std::optional<uint64_t> content_length, bool is_request) {
  auto body = std::make_shared<OutgoingBodyObj>();
  body->channel = std::move(channel);
  body->progress = std::move(progress);
  body->content_length = content_length;
  body->is_request = is_request;
  return p2::push_extension(host, std::move(body));
}

void define_outgoing_response(Defs& d) {
  using K = ValKind;
  d.resources.extension_resource<OutgoingResponseObj>(kTypes, "outgoing-response");
  d.resources.extension_resource<OutgoingBodyObj>(kTypes, "outgoing-body");
  d.resources.extension_resource<ResponseOutparamObj>(kTypes, "response-outparam");
  d.func(kTypes, "[constructor]outgoing-response", {K::Own},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto headers = take_fields(host, args[0]);
           if (!headers) return std::move(headers).error();
           auto r = std::make_shared<OutgoingResponseObj>();
           r->headers = std::move(headers).value();
           auto rep = p2::push_extension(host, std::move(r));
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  d.func(kTypes, "[method]outgoing-response.status-code", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<OutgoingResponseObj>(host, args[0], "outgoing-response");
           if (!r) return std::move(r).error();
           return Val::u16((*r)->status);
         });
  d.func(kTypes, "[method]outgoing-response.set-status-code", {K::Borrow, K::U16},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<OutgoingResponseObj>(host, args[0], "outgoing-response");
           if (!r) return std::move(r).error();
           const uint64_t code = args[1].bits;
           if (code < 100 || code > 999) return Val::err(std::nullopt);
           (*r)->status = static_cast<uint16_t>(code);
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]outgoing-response.headers", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<OutgoingResponseObj>(host, args[0], "outgoing-response");
           if (!r) return std::move(r).error();
           return fields_result(new_fields(host, (*r)->headers, true));
         });
  d.func(kTypes, "[method]outgoing-response.body", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<OutgoingResponseObj>(host, args[0], "outgoing-response");
           if (!r) return std::move(r).error();
           OutgoingResponseObj& resp = **r;
           if (resp.body_taken) return Val::err(std::nullopt);
           resp.body_taken = true;
           resp.body = std::make_shared<ByteChannel>();
           resp.progress = std::make_shared<BodyProgress>();
           resp.content_length = content_length_of(*resp.headers);
           auto b = new_outgoing_body(host, resp.body, resp.progress, resp.content_length, false);
           if (!b) return std::move(b).error();
           return Val::ok(std::move(b).value());
         });
  d.func(
      kTypes, "[method]outgoing-body.write", {K::Borrow},
      [](HttpState&, HostState& host, std::vector<Val>& args) { return body_write(host, args); });
  d.func(
      kTypes, "[static]outgoing-body.finish", {K::Own, K::Option},
      [](HttpState&, HostState& host, std::vector<Val>& args) { return body_finish(host, args); });

  d.func(kTypes, "[static]response-outparam.set", {K::Own, K::Result},
         [](HttpState& http, HostState& host, std::vector<Val>& args) -> HostResult {
           auto param = take<ResponseOutparamObj>(host, args[0], "response-outparam");
           if (!param) return std::move(param).error();
           HttpState::Impl& st = http.impl();
           const Val& result = args[1];
           if (result.discriminant == 1) {
             st.outcome.error =
                 result.items.empty() ? HttpError{} : error_from_val(result.items[0]);
             return std::optional<Val>();
           }
           if (result.items.empty()) return trap("response-outparam.set: ok without a response");
           auto resp = take<OutgoingResponseObj>(host, result.items[0], "outgoing-response");
           if (!resp) return std::move(resp).error();
           OutgoingResponseObj& r = **resp;
           if (!r.body) {  // no body() before set: the body is empty
             r.body = finished_channel();
             r.progress = std::make_shared<BodyProgress>();
             r.progress->finished = true;
             r.content_length = content_length_of(*r.headers);
           }
           st.outcome.responded = true;
           st.response_body = r.body;
           st.response_progress = r.progress;
           if (st.sink) st.sink->start(r.status, *r.headers, r.content_length, r.body);
           return std::optional<Val>();
         });
}

void define_outgoing_request(Defs& d) {
  using K = ValKind;
  d.resources.extension_resource<OutgoingRequestObj>(kTypes, "outgoing-request");
  d.resources.extension_resource<RequestOptionsObj>(kTypes, "request-options");
  d.resources.extension_resource<FutureResponseObj>(kTypes, "future-incoming-response");
  d.resources.extension_resource<IncomingResponseObj>(kTypes, "incoming-response");
  auto request = [](HostState& host, const Val& v) {
    return get<OutgoingRequestObj>(host, v, "outgoing-request");
  };
  d.func(kTypes, "[constructor]outgoing-request", {K::Own},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto headers = take_fields(host, args[0]);
           if (!headers) return std::move(headers).error();
           auto r = std::make_shared<OutgoingRequestObj>();
           r->headers = std::move(headers).value();
           auto rep = p2::push_extension(host, std::move(r));
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  d.func(kTypes, "[method]outgoing-request.body", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           OutgoingRequestObj& req = **r;
           if (req.body_taken) return Val::err(std::nullopt);
           req.body_taken = true;
           req.body = std::make_shared<ByteChannel>();
           req.progress = std::make_shared<BodyProgress>();
           req.content_length = content_length_of(*req.headers);
           auto b = new_outgoing_body(host, req.body, req.progress, req.content_length, true);
           if (!b) return std::move(b).error();
           return Val::ok(std::move(b).value());
         });
  d.func(kTypes, "[method]outgoing-request.method", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           return method_val((*r)->method);
         });
  d.func(kTypes, "[method]outgoing-request.set-method", {K::Borrow, K::Variant},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           auto m = method_of(args[1]);
           if (!m) return std::move(m).error();
           if (!valid_name(*m)) return Val::err(std::nullopt);
           (*r)->method = std::move(m).value();
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]outgoing-request.path-with-query", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           return opt_string((*r)->path_with_query);
         });
  d.func(kTypes, "[method]outgoing-request.set-path-with-query", {K::Borrow, K::Option},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           const Val* p = some_of(args[1]);
           if (!p) {
             (*r)->path_with_query.reset();
             return p2::unit_ok();
           }
           if (p->kind != K::String) return trap("set-path-with-query: not a string");
           if (!valid_path(p->str)) return Val::err(std::nullopt);
           (*r)->path_with_query = p->str;
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]outgoing-request.scheme", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           return (*r)->scheme ? Val::some(scheme_val(*(*r)->scheme)) : Val::none();
         });
  d.func(kTypes, "[method]outgoing-request.set-scheme", {K::Borrow, K::Option},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           const Val* s = some_of(args[1]);
           if (!s) {
             (*r)->scheme.reset();
             return p2::unit_ok();
           }
           auto scheme = scheme_of(*s);
           if (!scheme) return std::move(scheme).error();
           if (!valid_name(*scheme)) return Val::err(std::nullopt);
           (*r)->scheme = std::move(scheme).value();
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]outgoing-request.authority", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           return opt_string((*r)->authority);
         });
  d.func(kTypes, "[method]outgoing-request.set-authority", {K::Borrow, K::Option},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           const Val* a = some_of(args[1]);
           if (!a) {
             (*r)->authority.reset();
             return p2::unit_ok();
           }
           if (a->kind != K::String) return trap("set-authority: not a string");
           if (!valid_authority(a->str)) return Val::err(std::nullopt);
           (*r)->authority = a->str;
           return p2::unit_ok();
         });
  d.func(kTypes, "[method]outgoing-request.headers", {K::Borrow},
         [request](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = request(host, args[0]);
           if (!r) return std::move(r).error();
           return fields_result(new_fields(host, (*r)->headers, true));
         });

  d.func(kTypes, "[constructor]request-options", {},
         [](HttpState&, HostState& host, std::vector<Val>&) -> HostResult {
           auto rep = p2::push_extension(host, std::make_shared<RequestOptionsObj>());
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  using Member = std::optional<uint64_t> Timeouts::*;
  const std::pair<const char*, Member> timeouts[] = {
      {"connect-timeout", &Timeouts::connect_ns},
      {"first-byte-timeout", &Timeouts::first_byte_ns},
      {"between-bytes-timeout", &Timeouts::between_bytes_ns}};
  for (const auto& [name, member] : timeouts) {
    const Member m = member;
    d.func(kTypes, std::string("[method]request-options.") + name, {K::Borrow},
           [m](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
             auto o = get<RequestOptionsObj>(host, args[0], "request-options");
             if (!o) return std::move(o).error();
             const auto& value = (*o)->timeouts.*m;
             return value ? Val::some(Val::u64(*value)) : Val::none();
           });
    d.func(kTypes, std::string("[method]request-options.set-") + name, {K::Borrow, K::Option},
           [m](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
             auto o = get<RequestOptionsObj>(host, args[0], "request-options");
             if (!o) return std::move(o).error();
             if ((*o)->immutable) return Val::err(std::nullopt);
             const Val* v = some_of(args[1]);
             if (v && v->kind != K::U64) return trap("request-options: duration is not a u64");
             (*o)->timeouts.*m = v ? std::optional<uint64_t>(v->bits) : std::nullopt;
             return p2::unit_ok();
           });
  }

  d.func(kTypes, "[method]future-incoming-response.subscribe", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FutureResponseObj>(host, args[0], "future-incoming-response");
           if (!f) return std::move(f).error();
           p2::Pollable p;
           p.kind = p2::Pollable::Kind::Custom;
           p.ready = [pending = (*f)->pending] { return pending->ready(); };
           auto rep = p2::push_own(host, std::move(p));
           if (!rep) return std::move(rep).error();
           return std::move(rep).value();
         });
  d.func(kTypes, "[method]future-incoming-response.get", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto f = get<FutureResponseObj>(host, args[0], "future-incoming-response");
           if (!f) return std::move(f).error();
           FutureResponseObj& fut = **f;
           if (!fut.pending->ready()) return Val::none();
           if (fut.taken) return Val::some(Val::err(std::nullopt));
           fut.taken = true;
           auto outcome = fut.pending->take();
           if (!outcome) return Val::some(Val::err(std::nullopt));
           if (outcome->second || !outcome->first) {
             HttpError e = outcome->second ? *outcome->second : HttpError{};
             return Val::some(Val::ok(Val::err(error_code_val(e))));
           }
           IncomingResponse& r = *outcome->first;
           auto resp = std::make_shared<IncomingResponseObj>();
           resp->status = r.status;
           resp->headers = std::make_shared<FieldList>();
           for (auto& [n, v] : r.headers) resp->headers->emplace_back(lower(n), std::move(v));
           resp->body = r.body ? std::move(r.body) : finished_channel();
           auto rep = p2::push_extension(host, std::move(resp));
           if (!rep) return std::move(rep).error();
           return Val::some(Val::ok(Val::ok(std::move(rep).value())));
         });

  d.func(kTypes, "[method]incoming-response.status", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingResponseObj>(host, args[0], "incoming-response");
           if (!r) return std::move(r).error();
           return Val::u16((*r)->status);
         });
  d.func(kTypes, "[method]incoming-response.headers", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingResponseObj>(host, args[0], "incoming-response");
           if (!r) return std::move(r).error();
           return fields_result(new_fields(host, (*r)->headers, true));
         });
  d.func(kTypes, "[method]incoming-response.consume", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto r = get<IncomingResponseObj>(host, args[0], "incoming-response");
           if (!r) return std::move(r).error();
           if ((*r)->consumed) return Val::err(std::nullopt);
           (*r)->consumed = true;
           auto body = std::make_shared<IncomingBodyObj>();
           body->channel = (*r)->body;
           auto rep = p2::push_extension(host, std::move(body));
           if (!rep) return std::move(rep).error();
           return Val::ok(std::move(rep).value());
         });

  d.func(kTypes, "http-error-code", {K::Borrow},
         [](HttpState&, HostState& host, std::vector<Val>& args) -> HostResult {
           auto e = p2::lookup<p2::ErrorObj>(host, args[0], "error");
           if (!e) return std::move(e).error();
           if (const auto* http = std::any_cast<HttpError>(&(*e)->detail))
             return Val::some(error_code_val(*http));
           if (std::any_cast<std::string>(&(*e)->detail)) {
             // A body channel failed; the transport names the code first
             // ("connection-read-timeout: ...").
             const std::string& message = (*e)->message;
             const std::string_view head(message.data(), message.find(':') == std::string::npos
                                                             ? message.size()
                                                             : message.find(':'));
             for (uint8_t i = 0; i <= static_cast<uint8_t>(ErrorCode::InternalError); ++i) {
               if (head == label(static_cast<ErrorCode>(i))) {
                 return Val::some(
                     error_code_val({static_cast<ErrorCode>(i), std::nullopt, std::nullopt}));
               }
             }
             return Val::some(
                 error_code_val({ErrorCode::ConnectionTerminated, std::nullopt, std::nullopt}));
           }
           return Val::none();
         });

  d.func(kOutgoing, "handle", {K::Own, K::Option},
         [](HttpState& http, HostState& host, std::vector<Val>& args) -> HostResult {
           auto req = take<OutgoingRequestObj>(host, args[0], "outgoing-request");
           if (!req) return std::move(req).error();
           Timeouts timeouts;
           if (const Val* o = some_of(args[1])) {
             auto opts = take<RequestOptionsObj>(host, *o, "request-options");
             if (!opts) return std::move(opts).error();
             timeouts = (*opts)->timeouts;
           }
           HttpState::Impl& st = http.impl();
           OutgoingRequestObj& r = **req;
           auto deny = [](ErrorCode code, std::optional<std::string> text = std::nullopt) {
             return Val::err(error_code_val({code, std::move(text), std::nullopt}));
           };
           if (!r.authority) return deny(ErrorCode::HttpRequestUriInvalid);
           const std::string scheme = r.scheme.value_or("https");
           if (scheme != "http" && scheme != "https") return deny(ErrorCode::HttpProtocolError);
           if (!st.transport) return deny(ErrorCode::HttpRequestDenied);
           std::erase_if(st.outbound, [](const std::weak_ptr<PendingResponse>& w) {
             auto p = w.lock();
             return !p || p->ready();
           });
           if (st.outbound.size() >= st.limits.max_outbound_in_flight)
             return deny(ErrorCode::ConnectionLimitReached);
           OutgoingRequest out;
           out.method = r.method;
           out.scheme = scheme;
           out.authority = *r.authority;
           out.path_with_query = r.path_with_query.value_or("/");
           out.headers = *r.headers;
           out.body = r.body;  // null when the guest never asked for one: no body at all
           out.timeouts.connect_ns = timeouts.connect_ns.value_or(st.limits.default_connect_ns);
           out.timeouts.first_byte_ns =
               timeouts.first_byte_ns.value_or(st.limits.default_first_byte_ns);
           out.timeouts.between_bytes_ns =
               timeouts.between_bytes_ns.value_or(st.limits.default_between_bytes_ns);
           auto pending = st.transport->send(std::move(out));
           if (!pending) return deny(ErrorCode::InternalError, "the transport refused");
           pending->set_waker(host.guest_waker());
           st.outbound.push_back(pending);
           auto fut = std::make_shared<FutureResponseObj>();
           fut->pending = std::move(pending);
           auto rep = p2::push_extension(host, std::move(fut));
           if (!rep) return std::move(rep).error();
           return Val::ok(std::move(rep).value());
         });
}

}  // namespace

Result<std::pair<Val, Val>> HttpState::begin_incoming(IncomingRequest request, ResponseSink& sink) {
  HostState& host = p2_->host();
  impl_->sink = &sink;
  impl_->outcome = {};
  // A guest that blocks (on a read, a poll, an outbound response) after
  // setting its response gets its head sent first.
  host.before_block = [&sink] { sink.flush(); };
  impl_->response_body.reset();  // a reused instance's last response is no longer ours
  impl_->response_progress.reset();
  auto req = std::make_shared<IncomingRequestObj>();
  req->method = std::move(request.method);
  req->scheme = std::move(request.scheme);
  req->authority = std::move(request.authority);
  req->path_with_query = std::move(request.path_with_query);
  req->headers = std::make_shared<FieldList>();
  req->headers->reserve(request.headers.size());
  for (auto& [n, v] : request.headers) req->headers->emplace_back(lower(n), std::move(v));
  req->body = std::move(request.body);
  auto r = p2::push_extension(host, std::move(req));
  if (!r) return std::move(r).error();
  auto param = p2::push_extension(host, std::make_shared<ResponseOutparamObj>());
  if (!param) return std::move(param).error();
  return std::make_pair(std::move(r).value(), std::move(param).value());
}

HttpState::Outcome HttpState::outcome() const {
  Outcome o = impl_->outcome;
  o.body_finished = impl_->response_progress && impl_->response_progress->finished;
  return o;
}

void HttpState::end_incoming() {
  if (impl_->response_body && !(impl_->response_progress && impl_->response_progress->finished)) {
    impl_->response_body->fail("the guest did not finish the response body");
  }
  for (auto& w : impl_->outbound)
    if (auto p = w.lock()) p->cancel();
  impl_->outbound.clear();
  impl_->sink = nullptr;
  p2_->host().before_block = nullptr;
}

void add_wasi_http(component::ComponentLinker& linker, HttpStateLookup lookup) {
  auto p2_lookup = [lookup](Store& store) -> P2State* {
    HttpState* http = lookup(store);
    return http ? &http->p2() : nullptr;
  };
  add_wasi_p2(linker, p2_lookup);
  Defs defs{linker, lookup, {}, {}};
  defs.resources.lookup = p2_lookup;
  define_fields(defs);
  define_incoming(defs);
  define_outgoing_response(defs);
  define_outgoing_request(defs);
  // Resources first: the functions' types name them.
  for (auto& r : defs.resources.resources) {
    (void)linker.resource(std::move(r.interface_name), std::move(r.name), std::move(r.drop));
  }
  for (auto& f : defs.funcs) linker.func(std::move(f.iface), std::move(f.name), std::move(f.fn));
}

Result<std::string> incoming_handler_export(const component::Component& component) {
  std::string names;
  for (const auto& e : component.exports()) {
    if (e.name.rfind("wasi:http/incoming-handler@0.2.", 0) == 0 && e.kind == "instance")
      return e.name;
    if (e.name == "wasi:http/incoming-handler") return e.name;
    names += (names.empty() ? "" : ", ") + e.name;
  }
  return Error::usage("the component exports no wasi:http/incoming-handler@0.2.x (it exports: " +
                      (names.empty() ? std::string("nothing") : names) + ")");
}

}  // namespace weft::wasi::http
