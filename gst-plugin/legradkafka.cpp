#include "legradkafka.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/file.h"

namespace legrad {

namespace {

constexpr int kMetadataTimeoutMs = 5000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class KafkaTransport : public Transport {
 public:
  KafkaTransport(const PublishSettings& s, std::function<void(const std::string&)> on_command)
      : control_topic_(s.control_topic), on_command_(std::move(on_command)) {
    rd_kafka_conf_t* conf =
        new_conf(s, {{"acks", s.kafka_acks, "kafka-acks"},
                     {"compression.type", s.kafka_compression, "kafka-compression"},
                     // latency first: frames come one by one
                     {"linger.ms", "5", "linger.ms"},
                     {"queue.buffering.max.messages", std::to_string(kDefaultOutboxMessages),
                      "queue.buffering.max.messages"}});
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaTransport::on_delivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaTransport::on_error);
    rk_ = new_client(RD_KAFKA_PRODUCER, conf);
    if (control_topic_.empty()) return;
    // A group of its own, so that every element hears every command, and nothing committed:
    // a command is for the streams running when it is sent (see service()).
    char group[32];
    std::snprintf(group, sizeof group, "legrad-control-%08x", unsigned(std::random_device()()));
    conf = new_conf(s, {{"group.id", group, "group.id"},
                        {"auto.offset.reset", "earliest", "auto.offset.reset"},
                        {"enable.auto.commit", "false", "enable.auto.commit"}});
    try {
      control_ = new_client(RD_KAFKA_CONSUMER, conf);
    } catch (...) {
      rd_kafka_destroy(rk_);
      throw;
    }
  }
  ~KafkaTransport() override {
    if (control_) {
      rd_kafka_consumer_close(control_);
      rd_kafka_destroy(control_);
    }
    rd_kafka_flush(rk_, 2000);
    rd_kafka_destroy(rk_);
  }

  std::string connect() override {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_, 0, nullptr, &metadata, kMetadataTimeoutMs);
    if (err) return std::string("kafka: ") + rd_kafka_err2str(err);
    rd_kafka_metadata_destroy(metadata);
    if (control_ && !subscribed_) {
      rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(topics, control_topic_.c_str(), RD_KAFKA_PARTITION_UA);
      const rd_kafka_resp_err_t sub = rd_kafka_subscribe(control_, topics);
      rd_kafka_topic_partition_list_destroy(topics);
      if (sub) return "kafka: control-topic '" + control_topic_ + "': " + rd_kafka_err2str(sub);
      subscribed_ = true;
    }
    connected_ = true;
    return "";
  }
  bool connected() const override { return connected_; }

  bool send(const OutgoingMessage& m) override {
    if (!connected_) return false;
    auto* kind = new OutgoingMessage::Kind(m.kind);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(m.payload.data()), m.payload.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(kind), RD_KAFKA_V_END);
    if (err) {
      delete kind;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        lost_.push_back(m.kind);  // refused for good (e.g. an invalid topic)
        reason_ = std::string("kafka: ") + rd_kafka_err2str(err);
        return true;
      }
      return false;
    }
    return true;
  }
  void service(int ms) override {
    rd_kafka_poll(rk_, ms);
    if (control_) take_commands();
  }
  void drain(int ms) override { rd_kafka_flush(rk_, ms); }
  uint64_t take_delivered() override { return std::exchange(delivered_, 0); }
  std::vector<OutgoingMessage::Kind> take_lost() override { return std::exchange(lost_, {}); }
  std::string take_disconnect_reason() override { return std::exchange(reason_, ""); }

 private:
  struct Setting {
    std::string key, value, name;
  };
  // The servers, `ours`, then the kafka-config file, which may override them.
  static rd_kafka_conf_t* new_conf(const PublishSettings& s, const std::vector<Setting>& ours) {
    std::string servers;
    for (const auto& [host, port] : parse_address(s.address, kDefaultKafkaPort))
      servers += (servers.empty() ? "" : ",") + host + ":" + std::to_string(port);
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    try {
      set(conf, "bootstrap.servers", servers, "address");
      for (const Setting& o : ours) set(conf, o.key, o.value, o.name);
      if (!s.kafka_config_file.empty()) read_config(conf, s.kafka_config_file);
    } catch (...) {
      rd_kafka_conf_destroy(conf);
      throw;
    }
    return conf;
  }
  static rd_kafka_t* new_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      throw Error(std::string("kafka: ") + error);
    }
    if (type == RD_KAFKA_CONSUMER) rd_kafka_poll_set_consumer(rk);
    return rk;
  }

  // The control topic is read from its start (a new group), and what was sent before this
  // element started (by the sender's clock) is passed over: no command is replayed, and none
  // sent while the group was still being joined is missed.
  void take_commands() {
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(control_, 0)) {
      rd_kafka_timestamp_type_t type;
      const int64_t sent_ms = rd_kafka_message_timestamp(m, &type);
      if (!m->err && m->payload && (sent_ms < 0 || sent_ms >= started_ms_) && on_command_)
        on_command_(std::string(static_cast<const char*>(m->payload), m->len));
      rd_kafka_message_destroy(m);
    }
  }

  static void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                  const std::string& setting) {
    char error[512];
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK)
      throw Error(setting + " '" + value + "': " + error);
  }
  static void read_config(rd_kafka_conf_t* conf, const std::string& path) {
    std::istringstream lines(read_file(path, "kafka-config", 1 << 20));
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      const size_t eq = line.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(path + ":" + std::to_string(number) + ": kafka-config lines are key=value");
      set(conf, line.substr(0, eq), line.substr(eq + 1),
          "kafka-config " + path + ":" + std::to_string(number) + " " + line.substr(0, eq));
    }
  }
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* self_ptr) {
    auto* self = static_cast<KafkaTransport*>(self_ptr);
    auto* kind = static_cast<OutgoingMessage::Kind*>(m->_private);
    if (m->err) {
      self->lost_.push_back(kind ? *kind : OutgoingMessage::Kind::Frame);
      self->reason_ = std::string("kafka: ") + rd_kafka_err2str(m->err);
    } else {
      ++self->delivered_;
    }
    delete kind;
  }
  static void on_error(rd_kafka_t*, int err, const char* reason, void* self_ptr) {
    auto* self = static_cast<KafkaTransport*>(self_ptr);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      self->connected_ = false;
      self->reason_ = std::string("kafka: ") + reason;
    }
  }

  const std::string control_topic_;
  const std::function<void(const std::string&)> on_command_;
  const int64_t started_ms_ = now_ms();
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_t* control_ = nullptr;  // the control topic's consumer, where one is asked
  bool subscribed_ = false;
  bool connected_ = false;
  uint64_t delivered_ = 0;
  std::vector<OutgoingMessage::Kind> lost_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Transport> make_kafka_transport(
    const PublishSettings& settings, std::function<void(const std::string&)> on_command) {
  return std::make_unique<KafkaTransport>(settings, std::move(on_command));
}

}  // namespace legrad
