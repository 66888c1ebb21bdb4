// Where legradmetapublish's messages go: a file, an MQTT broker (libmosquitto) or Kafka
// (librdkafka), behind one interface that only the client's thread calls. The settings carry
// gvametapublish's names where they mean the same.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/stream_analyzer.h"
#include "legradoutbox.h"

namespace legrad {

enum class PublishMethod { File, Mqtt, Kafka };
constexpr PublishMethod kDefaultPublishMethod = PublishMethod::File;
const std::vector<ChoiceInfo>& publish_methods();

// What is published: every frame's results (as gvametapublish), presence and camera events
// only, or both.
enum class PublishContent { Frames, Events, All };
constexpr PublishContent kDefaultPublishContent = PublishContent::Frames;
const std::vector<ChoiceInfo>& publish_contents();

constexpr unsigned kDefaultMaxConnectAttempts = 1;
constexpr double kDefaultMaxReconnectInterval = 30.0;  // seconds
constexpr unsigned kDefaultKeepAlive = 60;             // seconds
constexpr int kDefaultMqttPort = 1883;
constexpr int kDefaultKafkaPort = 9092;

struct PublishSettings {
  PublishMethod method = kDefaultPublishMethod;
  std::string address;    // host:port (Kafka: a comma-separated list); "": 127.0.0.1
  std::string file_path;  // method=file; "": standard output
  std::string client_id;  // MQTT
  int qos = 0;
  bool retain = false;
  unsigned keep_alive_s = kDefaultKeepAlive;
  std::string credentials_file;  // "user name\npassword"; else LEGRAD_MQTT_USERNAME/PASSWORD
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  std::string kafka_acks = "all";
  std::string kafka_compression = "none";
  std::string kafka_config_file;  // key=value lines for librdkafka
  std::string control_topic;      // subscribed to (MQTT, Kafka); "" none
};

// host:port pairs from an address ("" gives 127.0.0.1); throws legrad::Error naming the
// address and what is wrong with it.
std::vector<std::pair<std::string, int>> parse_address(const std::string& address,
                                                       int default_port);

// A topic to publish to: throws legrad::Error where it is empty or holds MQTT wildcards.
void check_publish_topic(const std::string& setting, const std::string& topic);

// The topic for a stream and, for events, a prompt: {stream-id} and {prompt} replaced (the
// prompt's '/', '+' and '#' made '_').
std::string expand_topic(const std::string& pattern, const std::string& stream_id,
                         const std::string& prompt);

class Transport {
 public:
  virtual ~Transport() = default;
  // Connects, bounded in time; "" or why it could not.
  virtual std::string connect() = 0;
  virtual bool connected() const = 0;
  // Hands one message over; false when it was not taken (no connection, or the client's own
  // queue is full): the caller keeps it.
  virtual bool send(const OutgoingMessage& message) = 0;
  // Lets the client library work for up to `ms` (network, acknowledgements, commands).
  virtual void service(int ms) = 0;
  // Messages acknowledged, and those handed over but now known never to arrive, since the
  // last call.
  virtual uint64_t take_delivered() = 0;
  virtual std::vector<OutgoingMessage::Kind> take_lost() { return {}; }
  // Why the connection went away, once ("" while it holds).
  virtual std::string take_disconnect_reason() { return ""; }
  // Waits until what was handed over is out (or `ms` passed): before stopping.
  virtual void drain(int ms) { service(ms); }
};

// Checks the settings (address, files, topics) and makes the transport; throws legrad::Error
// naming the setting and the problem. Control commands arrive on `on_command`.
std::unique_ptr<Transport> make_transport(const PublishSettings& settings,
                                          std::function<void(const std::string&)> on_command);

}  // namespace legrad
