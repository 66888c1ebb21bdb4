// Real MQTT brokers for the tests: Debian's mosquitto on 127.0.0.1 and a free port, that a
// test stops and starts again; and a subscriber (libmosquitto) that reconnects at once and
// keeps every message it got.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace legrad {
namespace test {

// A TCP port nothing listens on now.
int free_port();
bool have_mosquitto();

// TLS files for a broker on 127.0.0.1: a CA and a server certificate it signed (openssl).
struct TlsFiles {
  std::string ca, cert, key;
};
TlsFiles make_tls_files(const std::string& dir);

class MqttBroker {
 public:
  // `dir` holds its config and log; with `tls`, the listener takes TLS only.
  explicit MqttBroker(const std::string& dir, const TlsFiles* tls = nullptr);
  ~MqttBroker() { stop(); }
  MqttBroker(const MqttBroker&) = delete;
  MqttBroker& operator=(const MqttBroker&) = delete;
  void start();  // waits until it listens
  void stop();   // SIGKILL: the broker goes away as a crash would
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

struct MqttMessage {
  std::string topic, payload;
};

class MqttSubscriber {
 public:
  MqttSubscriber(int port, std::string topic, const TlsFiles* tls = nullptr);
  ~MqttSubscriber();
  std::vector<MqttMessage> messages();
  size_t count();
  // Waits until `n` messages arrived (or `seconds` passed); true if they did.
  bool wait_for(size_t n, double seconds);
  bool connected() const { return connected_; }
  void publish(const std::string& topic, const std::string& payload);

 private:
  void run();
  static void on_message(mosquitto*, void*, const mosquitto_message*);
  static void on_connect(mosquitto*, void*, int);

  std::string topic_;
  int port_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> stop_{false}, connected_{false};
  std::mutex mutex_;
  std::vector<MqttMessage> messages_;
  std::thread thread_;
};

}  // namespace test
}  // namespace legrad
