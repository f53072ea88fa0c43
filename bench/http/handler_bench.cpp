// bench_handler: what one request costs inside the server, without the
// network: the wasi:http executor (a fresh component instance per request,
// handle_stream with the body drained as the server would) next to the
// WAGI executor on a module answering the same bytes, in the same run,
// interleaved. Prints microseconds per request and the ratio.
//
// usage: bench_handler WASI_HTTP_COMPONENT.wasm WAGI_MODULE.wasm [ITERATIONS]
// env:   WEFT_BENCH_ONLY=wasi-http|wagi (one side, for a profiler);
//        WEFT_BENCH_REUSE=N (the service's instance_reuse: N > 1 shares
//        instances, the default restores a checkpoint per request);
//        WEFT_BENCH_TIER=auto|interp|optimized (default auto, as weft up:
//        the warm-up rounds give the background compiler its time)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "serve/wagi.h"
#include "serve/wasi_http.h"
#include "wasm/native/native.h"
#include "weft/wasi.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace weft;

// Takes the head and drains the body on the guest's thread, as a quick
// client would.
class DrainingStream : public serve::ResponseStream, public Waker {
 public:
  void start(unsigned status, serve::HeaderList, std::optional<uint64_t>,
             std::shared_ptr<ByteChannel> body) override {
    status_ = status;
    body_ = std::move(body);
    body_->set_reader_waker(std::shared_ptr<Waker>(std::shared_ptr<Waker>(), this));
    wake();
  }
  void wake() override {
    if (!body_) return;
    while (!body_->read(64 * 1024).empty()) {
    }
  }
  ~DrainingStream() override {
    if (body_) body_->set_reader_waker(nullptr);
  }
  unsigned status_ = 0;
  std::shared_ptr<ByteChannel> body_;
};

serve::Request make_request() {
  serve::Request r;
  r.method = "GET";
  r.target = "/";
  r.path = "/";
  r.version = "HTTP/1.1";
  r.headers = {{"Host", "127.0.0.1:8080"}, {"User-Agent", "bench"}, {"Accept", "*/*"}};
  r.remote_addr = "127.0.0.1";
  r.remote_port = 40000;
  r.local_addr = "127.0.0.1";
  r.local_port = 8080;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s WASI_HTTP_COMPONENT.wasm WAGI_MODULE.wasm [ITERATIONS]\n",
                 argv[0]);
    return 2;
  }
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 20000;
  const char* tier_name = std::getenv("WEFT_BENCH_TIER");
  const std::optional<Tier> tier = parse_tier(tier_name ? tier_name : "auto");
  if (!tier) {
    std::fprintf(stderr, "WEFT_BENCH_TIER: expected auto, interp or optimized\n");
    return 2;
  }
  native::enable(*tier);
  app::ServiceSpec spec;
  spec.name = "bench";
  spec.source = argv[1];
  if (const char* reuse = std::getenv("WEFT_BENCH_REUSE")) spec.instance_reuse = std::atoi(reuse);
  auto component = serve::compile_component_file(argv[1]);
  if (!component) {
    std::fprintf(stderr, "%s\n", component.error().to_string().c_str());
    return 1;
  }
  auto wasi_http = serve::WasiHttpHandler::create(spec, std::move(component).value(),
                                                  serve::denying_transport("bench"), {});
  if (!wasi_http) {
    std::fprintf(stderr, "%s\n", wasi_http.error().to_string().c_str());
    return 1;
  }
  app::ServiceSpec wagi_spec = spec;
  wagi_spec.source = argv[2];
  auto module = serve::compile_file(argv[2]);
  if (!module) {
    std::fprintf(stderr, "%s\n", module.error().to_string().c_str());
    return 1;
  }
  auto linker = std::make_shared<Linker>();
  wasi::add_to_linker(*linker);
  auto wagi = serve::WagiHandler::create(wagi_spec, std::move(module).value(), linker);
  if (!wagi) {
    std::fprintf(stderr, "%s\n", wagi.error().to_string().c_str());
    return 1;
  }

  auto one_wasi_http = [&] {
    serve::Request request = make_request();
    auto body = std::make_shared<ByteChannel>();
    body->finish();
    serve::RequestControl control;
    DrainingStream sink;
    serve::Outcome out = (*wasi_http)->handle_stream(request, body, sink, control);
    if (sink.status_ != 200) {
      std::fprintf(stderr, "wasi-http: status %u (%s)\n", sink.status_, out.note.c_str());
      std::exit(1);
    }
  };
  auto one_wagi = [&] {
    serve::Request request = make_request();
    serve::RequestControl control;
    serve::Outcome out = (*wagi)->handle(request, control);
    if (out.response.status != 200) {
      std::fprintf(stderr, "wagi: status %u (%s)\n", out.response.status, out.note.c_str());
      std::exit(1);
    }
  };
  const char* only = std::getenv("WEFT_BENCH_ONLY");  // "wasi-http" or "wagi", for a profiler
  double wh_total = 0, wagi_total = 0;
  const int rounds = 5;
  for (int i = 0; i < iterations / 10; ++i) {  // warm up
    one_wasi_http();
    one_wagi();
  }
  for (int r = 0; r < rounds; ++r) {
    if (!only || std::string(only) == "wasi-http") {
      auto t0 = Clock::now();
      for (int i = 0; i < iterations / rounds; ++i) one_wasi_http();
      wh_total += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (!only || std::string(only) == "wagi") {
      auto t0 = Clock::now();
      for (int i = 0; i < iterations / rounds; ++i) one_wagi();
      wagi_total += std::chrono::duration<double>(Clock::now() - t0).count();
    }
  }
  const double n = iterations / rounds * rounds;
  std::printf("per request, in process (%d each, %d interleaved rounds):\n", iterations, rounds);
  if (wh_total > 0) std::printf("  wasi-http  %8.2f us\n", wh_total / n * 1e6);
  if (wagi_total > 0) std::printf("  wagi       %8.2f us\n", wagi_total / n * 1e6);
  if (wh_total > 0 && wagi_total > 0)
    std::printf("  wasi-http / wagi: %.2f\n", wh_total / wagi_total);
  return 0;
}
