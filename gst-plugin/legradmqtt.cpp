#include "legradmqtt.h"

#include <mosquitto.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/file.h"

namespace legrad {

namespace {

constexpr int kConnectTimeoutMs = 5000;
constexpr size_t kMaxInFlight = 200;  // handed to libmosquitto, not yet acknowledged

class MqttTransport : public Transport {
 public:
  MqttTransport(const PublishSettings& s, std::function<void(const std::string&)> on_command)
      : settings_(s), on_command_(std::move(on_command)) {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
    const auto hosts = parse_address(s.address, kDefaultMqttPort);
    if (hosts.size() != 1) throw Error("address '" + s.address + "': MQTT takes one host:port");
    host_ = hosts[0].first;
    port_ = hosts[0].second;
    mosq_ = mosquitto_new(s.client_id.empty() ? nullptr : s.client_id.c_str(), true, this);
    if (!mosq_) throw Error("mqtt-client-id '" + s.client_id + "': libmosquitto refused it");
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    const auto [user, password] = mqtt_credentials(s.credentials_file);
    if (!user.empty())
      mosquitto_username_pw_set(mosq_, user.c_str(), password.empty() ? nullptr : password.c_str());
    if (!s.tls_ca_file.empty() || !s.tls_cert_file.empty()) set_tls();
    mosquitto_connect_callback_set(mosq_, &MqttTransport::on_connect);
    mosquitto_disconnect_callback_set(mosq_, &MqttTransport::on_disconnect);
    mosquitto_publish_callback_set(mosq_, &MqttTransport::on_publish);
    mosquitto_message_callback_set(mosq_, &MqttTransport::on_message);
  }
  ~MqttTransport() override {
    mosquitto_disconnect(mosq_);
    mosquitto_loop(mosq_, 10, 1);
    mosquitto_destroy(mosq_);
  }

  std::string connect() override {
    connack_ = -1;
    const int rc = started_ ? mosquitto_reconnect_async(mosq_)
                            : mosquitto_connect_async(mosq_, host_.c_str(), port_,
                                                      int(settings_.keep_alive_s));
    started_ = true;
    if (rc != MOSQ_ERR_SUCCESS) return where() + mosquitto_strerror(rc);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kConnectTimeoutMs);
    while (connack_ < 0 && std::chrono::steady_clock::now() < until) {
      const int loop = mosquitto_loop(mosq_, 50, 1);
      if (loop != MOSQ_ERR_SUCCESS && connack_ < 0)
        return where() +
               (loop == MOSQ_ERR_ERRNO ? "connection refused or lost" : mosquitto_strerror(loop));
    }
    if (connack_ < 0) return where() + "no answer within 5 s";
    if (connack_ != 0) return where() + mosquitto_connack_string(connack_);
    return "";
  }
  bool connected() const override { return connected_; }

  bool send(const OutgoingMessage& m) override {
    if (!connected_ || in_flight_.size() >= kMaxInFlight) return false;
    int mid = 0;
    const int rc = mosquitto_publish(mosq_, &mid, m.topic.c_str(), int(m.payload.size()),
                                     m.payload.data(), settings_.qos, settings_.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      lost_connection(rc);
      return false;
    }
    // At QoS 0 libmosquitto may write the message, and call on_publish, before it returns.
    if (written_early_.erase(mid))
      ++delivered_;
    else
      in_flight_[mid] = m.kind;
    return true;
  }

  void service(int ms) override {
    if (!started_) return;
    const int rc = mosquitto_loop(mosq_, ms, 1);
    if (rc != MOSQ_ERR_SUCCESS) lost_connection(rc);
  }
  void drain(int ms) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (connected_ && !in_flight_.empty() && std::chrono::steady_clock::now() < until)
      service(20);
  }
  uint64_t take_delivered() override { return std::exchange(delivered_, 0); }
  std::string take_disconnect_reason() override { return std::exchange(reason_, ""); }

 private:
  std::string where() const { return host_ + ":" + std::to_string(port_) + ": "; }

  void set_tls() {
    const auto c = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const int rc =
        mosquitto_tls_set(mosq_, c(settings_.tls_ca_file), nullptr, c(settings_.tls_cert_file),
                          c(settings_.tls_key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      throw Error(std::string("tls-ca-file, tls-cert-file, tls-key-file: ") +
                  mosquitto_strerror(rc));
  }

  // Messages in flight at QoS 1 are sent again by libmosquitto after reconnecting; at QoS 0
  // they are gone.
  void lost_connection(int rc) {
    if (!connected_) return;
    connected_ = false;
    reason_ = where() + (rc == MOSQ_ERR_ERRNO ? "connection lost" : mosquitto_strerror(rc));
    if (settings_.qos == 0) {
      for (const auto& [mid, kind] : in_flight_) lost_.push_back(kind);
      in_flight_.clear();
    }
  }
  std::vector<OutgoingMessage::Kind> take_lost() override { return std::exchange(lost_, {}); }

  static void on_connect(mosquitto* mosq, void* self_ptr, int rc) {
    auto* self = static_cast<MqttTransport*>(self_ptr);
    self->connack_ = rc;
    self->connected_ = rc == 0;
    if (rc == 0 && !self->settings_.control_topic.empty())
      mosquitto_subscribe(mosq, nullptr, self->settings_.control_topic.c_str(), 1);
  }
  static void on_disconnect(mosquitto*, void* self_ptr, int rc) {
    auto* self = static_cast<MqttTransport*>(self_ptr);
    if (rc != 0) self->lost_connection(MOSQ_ERR_CONN_LOST);
    self->connected_ = false;
  }
  static void on_publish(mosquitto*, void* self_ptr, int mid) {
    auto* self = static_cast<MqttTransport*>(self_ptr);
    if (self->in_flight_.erase(mid))
      ++self->delivered_;
    else
      self->written_early_.insert(mid);
  }
  static void on_message(mosquitto*, void* self_ptr, const mosquitto_message* m) {
    auto* self = static_cast<MqttTransport*>(self_ptr);
    if (self->on_command_ && m->payload)
      self->on_command_(std::string(static_cast<const char*>(m->payload), size_t(m->payloadlen)));
  }

  PublishSettings settings_;
  std::function<void(const std::string&)> on_command_;
  std::string host_;
  int port_ = kDefaultMqttPort;
  mosquitto* mosq_ = nullptr;
  bool started_ = false, connected_ = false;
  int connack_ = -1;
  std::map<int, OutgoingMessage::Kind> in_flight_;
  std::set<int> written_early_;  // published inside mosquitto_publish, before in_flight_ knew
  uint64_t delivered_ = 0;
  std::vector<OutgoingMessage::Kind> lost_;
  std::string reason_;
};

}  // namespace

std::pair<std::string, std::string> mqtt_credentials(const std::string& credentials_file) {
  if (!credentials_file.empty()) {
    std::istringstream lines(read_file(credentials_file, "credentials-file", 64 * 1024));
    std::string user, password;
    std::getline(lines, user);
    std::getline(lines, password);
    if (user.empty()) throw Error(credentials_file + ": credentials-file has no user name line");
    return {user, password};
  }
  const char* user = std::getenv("LEGRAD_MQTT_USERNAME");
  const char* password = std::getenv("LEGRAD_MQTT_PASSWORD");
  return {user ? user : "", password ? password : ""};
}

std::unique_ptr<Transport> make_mqtt_transport(const PublishSettings& settings,
                                               std::function<void(const std::string&)> on_command) {
  return std::make_unique<MqttTransport>(settings, std::move(on_command));
}

}  // namespace legrad
