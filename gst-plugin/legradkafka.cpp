#include "legradkafka.h"

#include <librdkafka/rdkafka.h>

#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/file.h"

namespace legrad {

namespace {

constexpr int kMetadataTimeoutMs = 5000;

class KafkaTransport : public Transport {
 public:
  explicit KafkaTransport(const PublishSettings& s) {
    std::string servers;
    for (const auto& [host, port] : parse_address(s.address, kDefaultKafkaPort))
      servers += (servers.empty() ? "" : ",") + host + ":" + std::to_string(port);
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    try {
      set(conf, "bootstrap.servers", servers, "address");
      set(conf, "acks", s.kafka_acks, "kafka-acks");
      set(conf, "compression.type", s.kafka_compression, "kafka-compression");
      set(conf, "linger.ms", "5", "linger.ms");  // latency first: frames come one by one
      set(conf, "queue.buffering.max.messages", std::to_string(kDefaultOutboxMessages),
          "queue.buffering.max.messages");
      if (!s.kafka_config_file.empty()) read_config(conf, s.kafka_config_file);
    } catch (...) {
      rd_kafka_conf_destroy(conf);
      throw;
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaTransport::on_delivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaTransport::on_error);
    char error[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      throw Error(std::string("kafka: ") + error);
    }
  }
  ~KafkaTransport() override {
    rd_kafka_flush(rk_, 2000);
    rd_kafka_destroy(rk_);
  }

  std::string connect() override {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk_, 0, nullptr, &metadata, kMetadataTimeoutMs);
    if (err) return std::string("kafka: ") + rd_kafka_err2str(err);
    rd_kafka_metadata_destroy(metadata);
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
  void service(int ms) override { rd_kafka_poll(rk_, ms); }
  void drain(int ms) override { rd_kafka_flush(rk_, ms); }
  uint64_t take_delivered() override { return std::exchange(delivered_, 0); }
  std::vector<OutgoingMessage::Kind> take_lost() override { return std::exchange(lost_, {}); }
  std::string take_disconnect_reason() override { return std::exchange(reason_, ""); }

 private:
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

  rd_kafka_t* rk_ = nullptr;
  bool connected_ = false;
  uint64_t delivered_ = 0;
  std::vector<OutgoingMessage::Kind> lost_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Transport> make_kafka_transport(const PublishSettings& settings) {
  return std::make_unique<KafkaTransport>(settings);
}

}  // namespace legrad
