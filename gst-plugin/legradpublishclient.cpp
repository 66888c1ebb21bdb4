#include "legradpublishclient.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace legrad {

namespace {
constexpr int kDrainOnStopMs = 2000;
// How long the thread sleeps with nothing queued (a message wakes it at once) before it looks
// at the connection again (acknowledgements, commands, keep-alive): each wake-up takes a core
// from the model's threads for a moment, and a host may run dozens of publishers.
constexpr auto kIdleWait = std::chrono::milliseconds(100);
constexpr auto kPollWait = std::chrono::milliseconds(10);
}  // namespace

PublishClient::PublishClient(std::unique_ptr<Transport> transport, Outbox& outbox,
                             double max_reconnect_interval_s,
                             std::function<void(const ConnectionChange&)> on_change)
    : transport_(std::move(transport)),
      outbox_(outbox),
      max_wait_s_(std::max(1.0, max_reconnect_interval_s)),
      on_change_(std::move(on_change)) {}

void PublishClient::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  outbox_.close();
  if (thread_.joinable()) thread_.join();
  outbox_.discard_waiting();
}

bool PublishClient::wait(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stop_; });
}

std::string PublishClient::try_connect() {
  ConnectionChange change;
  change.reason = transport_->connect();
  change.connected = change.reason.empty();
  if (change.connected) {
    next_wait_s_ = 1.0;
    failed_ = 0;
    std::lock_guard<std::mutex> lock(mutex_);
    counts_.connected = true;
    if (ever_connected_) ++counts_.reconnections;
    ever_connected_ = true;
  } else {
    change.attempt = ++failed_;
  }
  on_change_(change);
  return change.reason;
}

bool PublishClient::back_off() {
  if (!wait(next_wait_s_)) return false;
  next_wait_s_ = std::min(next_wait_s_ * 2, max_wait_s_);
  return true;
}

std::string PublishClient::connect_now(unsigned attempts) {
  std::string reason;
  for (unsigned i = 0; i < std::max(1u, attempts); ++i) {
    if (i > 0 && !back_off()) break;
    reason = try_connect();
    if (reason.empty()) break;
  }
  return reason;
}

void PublishClient::start() {
  thread_ = std::thread([this] {
    // Named for top -H and perf (it would carry the name of the thread that started it).
    pthread_setname_np(pthread_self(), "legrad-publish");
    run();
  });
}

void PublishClient::settle() {
  const uint64_t delivered = transport_->take_delivered();
  for (OutgoingMessage::Kind kind : transport_->take_lost()) outbox_.count_lost(kind);
  std::lock_guard<std::mutex> lock(mutex_);
  counts_.published += delivered;
}

void PublishClient::drain_some() {
  for (int i = 0; i < 64 && transport_->connected(); ++i) {
    auto message = outbox_.pop(i == 0 ? kIdleWait : std::chrono::milliseconds(0));
    if (!message) break;
    if (!transport_->send(*message)) {
      outbox_.put_back(std::move(*message));
      transport_->service(5);
      break;
    }
  }
  transport_->service(0);
  settle();
}

void PublishClient::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) break;
    }
    if (!transport_->connected()) {
      const bool connected = try_connect().empty();
      if (!connected && !back_off()) break;
      if (!connected) continue;
    }
    drain_some();
    if (!transport_->connected()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        counts_.connected = false;
      }
      on_change_({false, transport_->take_disconnect_reason(), 0});
      if (!wait(next_wait_s_)) break;
    }
  }
  // What is queued gets a last chance, bounded, before the transport closes.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainOnStopMs);
  while (transport_->connected() && outbox_.counts().waiting > 0 &&
         std::chrono::steady_clock::now() < until)
    drain_some();
  transport_->drain(kDrainOnStopMs);
  settle();
}

void PublishClient::wait_until_sent(int ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (outbox_.counts().waiting > 0 && counts().connected &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(kPollWait);
}

PublishCounts PublishClient::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace legrad
