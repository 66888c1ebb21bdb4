// legradmetapublish's own thread: connects (and connects again with a doubling wait), drains
// the outbox into the transport, and counts what arrived and what was lost. The streaming
// thread only pushes to the outbox, so the video never waits for the network.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "legradoutbox.h"
#include "legradtransport.h"

namespace legrad {

struct ConnectionChange {
  bool connected = false;
  std::string reason;    // why not, or why it went away
  unsigned attempt = 0;  // failed attempts in a row (0 on a connection)
};

struct PublishCounts {
  uint64_t published = 0;      // acknowledged (QoS 1, Kafka acks) or written
  uint64_t reconnections = 0;  // connections after the first
  bool connected = false;
};

class PublishClient {
 public:
  PublishClient(std::unique_ptr<Transport> transport, Outbox& outbox,
                double max_reconnect_interval_s,
                std::function<void(const ConnectionChange&)> on_change);
  ~PublishClient() { stop(); }

  // Joins the thread, having given what was queued two seconds to go out; counts() stays
  // readable after it.
  void stop();

  // Tries `attempts` times on the calling thread (waiting 1 s, 2 s, ... between them): "" or
  // the last reason. For require-connection=true, before the thread starts.
  std::string connect_now(unsigned attempts);
  void start();
  // Waits (at most `ms`) until the outbox is empty or the connection is gone: for EOS.
  void wait_until_sent(int ms) const;
  PublishCounts counts() const;

 private:
  void run();
  std::string try_connect();  // "" or why not
  bool back_off();            // waits, doubling the next wait; false when stopping
  void drain_some();
  void settle();              // delivered and lost counts from the transport
  bool wait(double seconds);  // false when stopping

  std::unique_ptr<Transport> transport_;
  Outbox& outbox_;
  const double max_wait_s_;
  std::function<void(const ConnectionChange&)> on_change_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  bool ever_connected_ = false;
  unsigned failed_ = 0;
  double next_wait_s_ = 1.0;
  PublishCounts counts_;
};

}  // namespace legrad
