// What legradmetapublish has yet to send: a queue bounded in messages and bytes between the
// streaming thread, which never waits on it, and the client's thread, which drains it. When it
// is full, per-frame messages go first (the oldest), events only where no frame is left; every
// message dropped is counted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace legrad {

constexpr unsigned kDefaultOutboxMessages = 1000;
constexpr unsigned kDefaultOutboxBytes = 16u << 20;

struct OutgoingMessage {
  enum class Kind { Frame, Event, Status };
  Kind kind = Kind::Frame;
  std::string topic;
  std::string key;  // Kafka's message key: the stream id
  std::string payload;
};

struct OutboxCounts {
  uint64_t queued = 0;  // accepted so far
  uint64_t dropped_frames = 0;
  uint64_t dropped_events = 0;  // events and status answers
  size_t waiting = 0;
  size_t waiting_bytes = 0;
};

class Outbox {
 public:
  Outbox(size_t max_messages, size_t max_bytes);

  // Queues the message, making room as the bounds say; never waits.
  void push(OutgoingMessage message);
  // The oldest message, waiting up to `timeout` for one; nothing if none came or on close.
  std::optional<OutgoingMessage> pop(std::chrono::milliseconds timeout);
  // Puts back at the front a message that could not be sent (the broker went away), unless
  // it no longer fits: then it counts as dropped.
  void put_back(OutgoingMessage message);
  // Counts a message that was taken but is lost (sent to a broker that went away).
  void count_lost(OutgoingMessage::Kind kind);
  // Wakes pop() for good.
  void close();
  // Counts what still waits as dropped and lets it go: nothing will send it any more.
  void discard_waiting();
  OutboxCounts counts() const;

 private:
  bool drop_one(bool events_too);  // called with mutex_ held
  void count_dropped(OutgoingMessage::Kind kind);

  const size_t max_messages_, max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<OutgoingMessage> queue_;
  OutboxCounts counts_;
  bool closed_ = false;
};

}  // namespace legrad
