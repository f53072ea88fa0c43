#include "weft/byte_channel.h"

#include <algorithm>

namespace weft {

ByteChannel::ByteChannel(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

bool ByteChannel::readable_locked() const { return buffered_ > 0 || finished_ || failed_; }

bool ByteChannel::has_space_locked() const {
  return buffered_ < capacity_ || finished_ || failed_ || consumer_gone_;
}

// The waker runs unlocked: it may take other locks (an io_context's), and
// a waker that touches this channel from its own thread must not deadlock.
void ByteChannel::wake_reader(std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<Waker> waker = reader_waker_;
  lock.unlock();
  cv_.notify_all();
  if (waker) waker->wake();
}

void ByteChannel::wake_writer(std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<Waker> waker = writer_waker_;
  lock.unlock();
  cv_.notify_all();
  if (waker) waker->wake();
}

size_t ByteChannel::write(std::string_view bytes) {
  std::unique_lock lock(mutex_);
  if (finished_ || failed_ || consumer_gone_ || bytes.empty()) return 0;
  size_t n = std::min(bytes.size(), capacity_ - std::min(capacity_, buffered_));
  if (n == 0) return 0;
  chunks_.emplace_back(bytes.substr(0, n));
  buffered_ += n;
  written_ += n;
  wake_reader(lock);
  return n;
}

size_t ByteChannel::writable() const {
  std::lock_guard lock(mutex_);
  if (finished_ || failed_ || consumer_gone_) return 0;
  return capacity_ - std::min(capacity_, buffered_);
}

void ByteChannel::finish(Trailers trailers) {
  std::unique_lock lock(mutex_);
  if (finished_ || failed_) return;
  finished_ = true;
  trailers_ = std::move(trailers);
  wake_reader(lock);
}

void ByteChannel::fail(std::string reason) {
  std::unique_lock lock(mutex_);
  if (finished_ || failed_) return;
  failed_ = true;
  failure_ = std::move(reason);
  wake_reader(lock);
}

bool ByteChannel::consumer_gone() const {
  std::lock_guard lock(mutex_);
  return consumer_gone_;
}

std::string ByteChannel::read(size_t max) {
  std::unique_lock lock(mutex_);
  std::string out;
  while (max > 0 && !chunks_.empty()) {
    std::string& front = chunks_.front();
    size_t left = front.size() - front_offset_;
    size_t n = std::min(left, max);
    if (out.empty() && front_offset_ == 0 && n == front.size()) {
      out = std::move(front);  // the common case: a whole chunk, no copy
    } else {
      out.append(front, front_offset_, n);
    }
    max -= n;
    if (n == left) {
      chunks_.pop_front();
      front_offset_ = 0;
    } else {
      front_offset_ += n;
    }
  }
  if (out.empty()) return out;
  buffered_ -= out.size();
  read_ += out.size();
  wake_writer(lock);
  return out;
}

size_t ByteChannel::buffered() const {
  std::lock_guard lock(mutex_);
  return buffered_;
}

bool ByteChannel::at_end() const {
  std::lock_guard lock(mutex_);
  return buffered_ == 0 && (finished_ || failed_);
}

bool ByteChannel::failed() const {
  std::lock_guard lock(mutex_);
  return buffered_ == 0 && failed_;
}

std::string ByteChannel::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::optional<ByteChannel::Trailers> ByteChannel::take_trailers() {
  std::lock_guard lock(mutex_);
  if (buffered_ != 0 || !finished_ || !trailers_) return std::nullopt;
  auto t = std::move(trailers_);
  trailers_.reset();
  return t;
}

void ByteChannel::close_consumer() {
  std::unique_lock lock(mutex_);
  if (consumer_gone_) return;
  consumer_gone_ = true;
  chunks_.clear();
  front_offset_ = 0;
  buffered_ = 0;
  wake_writer(lock);
}

bool ByteChannel::producer_done() const {
  std::lock_guard lock(mutex_);
  return finished_ || failed_;
}

bool ByteChannel::readable() const {
  std::lock_guard lock(mutex_);
  return readable_locked();
}

bool ByteChannel::has_space() const {
  std::lock_guard lock(mutex_);
  return has_space_locked();
}

namespace {
// Waits on `cv` for `ready`, waking at least every 50 ms to ask
// `interrupted` (an interrupt is a flag set on another thread that knows
// nothing of this channel).
template <class Ready>
bool wait_for(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
              ByteChannel::Clock::time_point deadline, const std::function<bool()>& interrupted,
              Ready ready) {
  while (!ready()) {
    if (interrupted && interrupted()) return false;
    auto now = ByteChannel::Clock::now();
    if (now >= deadline) return false;
    auto slice =
        std::min<ByteChannel::Clock::duration>(deadline - now, std::chrono::milliseconds(50));
    cv.wait_for(lock, slice);
  }
  return true;
}
}  // namespace

bool ByteChannel::wait_readable(Clock::time_point deadline,
                                const std::function<bool()>& interrupted) {
  std::unique_lock lock(mutex_);
  return wait_for(cv_, lock, deadline, interrupted, [&] { return readable_locked(); });
}

bool ByteChannel::wait_writable(Clock::time_point deadline,
                                const std::function<bool()>& interrupted) {
  std::unique_lock lock(mutex_);
  return wait_for(cv_, lock, deadline, interrupted, [&] { return has_space_locked(); });
}

void ByteChannel::set_reader_waker(std::shared_ptr<Waker> waker) {
  std::unique_lock lock(mutex_);
  reader_waker_ = std::move(waker);
  bool now = readable_locked() && reader_waker_;
  if (now) wake_reader(lock);
}

void ByteChannel::set_writer_waker(std::shared_ptr<Waker> waker) {
  std::unique_lock lock(mutex_);
  writer_waker_ = std::move(waker);
  bool now = has_space_locked() && writer_waker_;
  if (now) wake_writer(lock);
}

uint64_t ByteChannel::total_written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

uint64_t ByteChannel::total_read() const {
  std::lock_guard lock(mutex_);
  return read_;
}

}  // namespace weft
