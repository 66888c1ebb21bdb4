#include "legradoutbox.h"

#include <algorithm>

namespace legrad {

Outbox::Outbox(size_t max_messages, size_t max_bytes)
    : max_messages_(std::max<size_t>(1, max_messages)), max_bytes_(max_bytes) {}

void Outbox::count_dropped(OutgoingMessage::Kind kind) {
  if (kind == OutgoingMessage::Kind::Frame)
    ++counts_.dropped_frames;
  else
    ++counts_.dropped_events;
}

bool Outbox::drop_one(bool events_too) {
  auto it = std::find_if(queue_.begin(), queue_.end(), [](const OutgoingMessage& m) {
    return m.kind == OutgoingMessage::Kind::Frame;
  });
  if (it == queue_.end()) {
    if (!events_too || queue_.empty()) return false;
    it = queue_.begin();
  }
  count_dropped(it->kind);
  counts_.waiting_bytes -= it->payload.size();
  queue_.erase(it);
  return true;
}

void Outbox::push(OutgoingMessage message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_.queued;
    const bool is_frame = message.kind == OutgoingMessage::Kind::Frame;
    auto full = [&] {
      return queue_.size() + 1 > max_messages_ ||
             counts_.waiting_bytes + message.payload.size() > max_bytes_;
    };
    // A frame makes room only among frames; an event may push out older events too.
    while (full() && drop_one(!is_frame)) {
    }
    if (full() || message.payload.size() > max_bytes_) {
      count_dropped(message.kind);
      return;
    }
    counts_.waiting_bytes += message.payload.size();
    queue_.push_back(std::move(message));
    counts_.waiting = queue_.size();
  }
  ready_.notify_one();
}

std::optional<OutgoingMessage> Outbox::pop(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  OutgoingMessage m = std::move(queue_.front());
  queue_.pop_front();
  counts_.waiting = queue_.size();
  counts_.waiting_bytes -= m.payload.size();
  return m;
}

void Outbox::put_back(OutgoingMessage message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.size() + 1 > max_messages_ ||
      counts_.waiting_bytes + message.payload.size() > max_bytes_) {
    count_dropped(message.kind);
    return;
  }
  counts_.waiting_bytes += message.payload.size();
  queue_.push_front(std::move(message));
  counts_.waiting = queue_.size();
}

void Outbox::discard_waiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const OutgoingMessage& m : queue_) count_dropped(m.kind);
  queue_.clear();
  counts_.waiting = 0;
  counts_.waiting_bytes = 0;
}

void Outbox::count_lost(OutgoingMessage::Kind kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  count_dropped(kind);
}

void Outbox::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

OutboxCounts Outbox::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace legrad
