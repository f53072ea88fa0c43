// The wasi:http error-code labels and PendingResponse, the part of the
// host that a transport (src/serve/outbound) sees.
#include <array>

#include "weft/wasi_http.h"

namespace weft::wasi::http {

namespace {
constexpr std::array<const char*, 39> kErrorLabels = {
    "DNS-timeout",
    "DNS-error",
    "destination-not-found",
    "destination-unavailable",
    "destination-IP-prohibited",
    "destination-IP-unroutable",
    "connection-refused",
    "connection-terminated",
    "connection-timeout",
    "connection-read-timeout",
    "connection-write-timeout",
    "connection-limit-reached",
    "TLS-protocol-error",
    "TLS-certificate-error",
    "TLS-alert-received",
    "HTTP-request-denied",
    "HTTP-request-length-required",
    "HTTP-request-body-size",
    "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid",
    "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size",
    "HTTP-request-header-size",
    "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size",
    "HTTP-response-incomplete",
    "HTTP-response-header-section-size",
    "HTTP-response-header-size",
    "HTTP-response-body-size",
    "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding",
    "HTTP-response-content-coding",
    "HTTP-response-timeout",
    "HTTP-upgrade-failed",
    "HTTP-protocol-error",
    "loop-detected",
    "configuration-error",
    "internal-error",
};
}  // namespace

const char* label(ErrorCode code) {
  auto i = static_cast<size_t>(code);
  return i < kErrorLabels.size() ? kErrorLabels[i] : "internal-error";
}

std::string HttpError::describe() const {
  std::string out = label(code);
  if (text) out += ": " + *text;
  if (size) out += " (" + std::to_string(*size) + ")";
  return out;
}

void PendingResponse::complete(IncomingResponse response) {
  std::shared_ptr<Waker> waker;
  {
    std::lock_guard lock(mutex_);
    if (ready_) return;
    ready_ = true;
    response_ = std::move(response);
    waker = waker_;
  }
  cv_.notify_all();
  if (waker) waker->wake();
}

void PendingResponse::fail(HttpError error) {
  std::shared_ptr<Waker> waker;
  {
    std::lock_guard lock(mutex_);
    if (ready_) return;
    ready_ = true;
    error_ = std::move(error);
    waker = waker_;
  }
  cv_.notify_all();
  if (waker) waker->wake();
}

bool PendingResponse::ready() const {
  std::lock_guard lock(mutex_);
  return ready_;
}

void PendingResponse::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
}

bool PendingResponse::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

std::optional<std::pair<std::optional<IncomingResponse>, std::optional<HttpError>>>
PendingResponse::take() {
  std::lock_guard lock(mutex_);
  if (!ready_ || taken_) return std::nullopt;
  taken_ = true;
  return std::make_pair(std::move(response_), std::move(error_));
}

void PendingResponse::set_waker(std::shared_ptr<Waker> waker) {
  std::shared_ptr<Waker> now;
  {
    std::lock_guard lock(mutex_);
    waker_ = std::move(waker);
    if (ready_) now = waker_;
  }
  if (now) now->wake();
}

bool PendingResponse::wait(ByteChannel::Clock::time_point deadline,
                           const std::function<bool()>& interrupted) {
  std::unique_lock lock(mutex_);
  while (!ready_) {
    if (interrupted && interrupted()) return false;
    auto now = ByteChannel::Clock::now();
    if (now >= deadline) return false;
    cv_.wait_for(lock, std::min<ByteChannel::Clock::duration>(deadline - now,
                                                              std::chrono::milliseconds(50)));
  }
  return true;
}

}  // namespace weft::wasi::http
