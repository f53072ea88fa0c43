// bench_handler: what one request costs inside the server, without the
// network: the wasi:http executor (a fresh component instance per request,
// handle_stream with the body drained as the server would) next to the
// WAGI executor on a module answering the same bytes, in the same run,
// interleaved. Prints microseconds per request (mean, p50, p99, max) and
// the ratio of the means: a tail here is the handler's own, one beyond it in
// bench/http/run.sh's wrk -c1 figures is the server's or the kernel's.
//
// usage: bench_handler WASI_HTTP_COMPONENT.wasm WAGI_MODULE.wasm [ITERATIONS]
// env:   WEFT_BENCH_ONLY=wasi-http|wagi (one side, for a profiler);
//        WEFT_BENCH_REUSE=N (the service's instance_reuse: N > 1 shares
//        instances, the default restores a checkpoint per request);
//        WEFT_BENCH_TIER=auto|interp|optimized (default auto, as weft up:
//        the warm-up rounds give the background compiler its time)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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
  const int rounds = 5;
  const int per_round = std::max(1, iterations / rounds);
  std::vector<double> wh_us, wagi_us;  // each request's time
  wh_us.reserve(size_t(per_round) * rounds);
  wagi_us.reserve(size_t(per_round) * rounds);
  auto timed = [](auto& one, std::vector<double>& into) {
    auto t0 = Clock::now();
    one();
    into.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  };
  for (int i = 0; i < iterations / 10; ++i) {  // warm up
    one_wasi_http();
    one_wagi();
  }
  for (int r = 0; r < rounds; ++r) {
    if (!only || std::string(only) == "wasi-http")
      for (int i = 0; i < per_round; ++i) timed(one_wasi_http, wh_us);
    if (!only || std::string(only) == "wagi")
      for (int i = 0; i < per_round; ++i) timed(one_wagi, wagi_us);
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / double(v.size());
  };
  auto report = [&](const char* name, std::vector<double>& v) {
    if (v.empty()) return;
    const double avg = mean(v);
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size())))]; };
    std::printf("  %-10s %8.2f us   p50 %7.2f   p99 %7.2f   max %8.1f\n", name, avg, at(0.5),
                at(0.99), v.back());
  };
  std::printf("per request, in process (%d each, %d interleaved rounds):\n", per_round * rounds,
              rounds);
  const double wh_mean = mean(wh_us), wagi_mean = mean(wagi_us);
  report("wasi-http", wh_us);
  report("wagi", wagi_us);
  if (wh_mean > 0 && wagi_mean > 0) std::printf("  wasi-http / wagi: %.2f\n", wh_mean / wagi_mean);
  return 0;
}
