#include "legradtransport.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/error.h"
#include "legradkafka.h"
#include "legradmqtt.h"

namespace legrad {

const std::vector<ChoiceInfo>& publish_methods() {
  static const std::vector<ChoiceInfo> methods = {
      {"file", "JSON lines to file-path (standard output where empty)"},
      {"mqtt", "an MQTT broker at address (libmosquitto)"},
      {"kafka", "Kafka bootstrap servers at address (librdkafka)"},
  };
  return methods;
}

const std::vector<ChoiceInfo>& publish_contents() {
  static const std::vector<ChoiceInfo> contents = {
      {"frames", "every frame's results (each frame-interval-th)"},
      {"events", "presence, camera and clip events only"},
      {"all", "frames and events"},
  };
  return contents;
}

std::vector<std::pair<std::string, int>> parse_address(const std::string& address,
                                                       int default_port) {
  std::vector<std::pair<std::string, int>> out;
  const std::string text = address.empty() ? "127.0.0.1" : address;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    const std::string one = text.substr(begin, end - begin);
    const size_t colon = one.rfind(':');
    const std::string host = colon == std::string::npos ? one : one.substr(0, colon);
    int port = default_port;
    if (colon != std::string::npos) {
      const std::string digits = one.substr(colon + 1);
      char* rest = nullptr;
      errno = 0;
      const long value = std::strtol(digits.c_str(), &rest, 10);
      if (digits.empty() || *rest || errno || value < 1 || value > 65535)
        throw Error("address '" + address + "': bad port '" + digits + "' (1 to 65535)");
      port = int(value);
    }
    if (host.empty() || host.find_first_of(" /\t") != std::string::npos)
      throw Error("address '" + address + "': bad host '" + host + "' (host:port)");
    out.push_back({host, port});
    begin = end + 1;
  }
  return out;
}

void check_publish_topic(const std::string& setting, const std::string& topic) {
  if (topic.empty()) throw Error(setting + " is empty");
  if (topic.find_first_of("+#") != std::string::npos)
    throw Error(setting + " '" + topic +
                "' holds a wildcard ('+' or '#'), which only "
                "subscriptions may use");
}

std::string expand_topic(const std::string& pattern, const std::string& stream_id,
                         const std::string& prompt) {
  std::string safe_prompt = prompt;
  for (char& c : safe_prompt)
    if (c == '/' || c == '+' || c == '#') c = '_';
  std::string out = pattern;
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"{stream-id}", stream_id}, {"{prompt}", safe_prompt}}) {
    for (size_t at = out.find(name); at != std::string::npos;
         at = out.find(name, at + value.size()))
      out.replace(at, name.size(), value);
  }
  return out;
}

namespace {

// JSON lines into a file, or standard output; "connected" once it is open.
class FileTransport : public Transport {
 public:
  explicit FileTransport(std::string path) : path_(std::move(path)) {}
  ~FileTransport() override {
    if (out_ && out_ != stdout) std::fclose(out_);
  }
  std::string connect() override {
    out_ = path_.empty() ? stdout : std::fopen(path_.c_str(), "w");
    if (!out_) return "file-path '" + path_ + "': " + std::strerror(errno);
    return "";
  }
  bool connected() const override { return out_ != nullptr; }
  bool send(const OutgoingMessage& m) override {
    const std::string line = m.payload + "\n";
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_)) {
      reason_ = "file-path '" + path_ + "': " + std::strerror(errno);
      lost_.push_back(m.kind);
      return true;  // taken, and lost: a full disk does not fill again by waiting
    }
    ++delivered_;
    return true;
  }
  void service(int) override {}
  uint64_t take_delivered() override { return std::exchange(delivered_, 0); }
  std::vector<OutgoingMessage::Kind> take_lost() override { return std::exchange(lost_, {}); }
  std::string take_disconnect_reason() override { return std::exchange(reason_, ""); }

 private:
  std::string path_;
  std::FILE* out_ = nullptr;
  uint64_t delivered_ = 0;
  std::vector<OutgoingMessage::Kind> lost_;
  std::string reason_;
};

void check_readable(const std::string& setting, const std::string& path) {
  if (path.empty()) return;
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw Error(setting + " '" + path + "': " + std::strerror(errno));
  std::fclose(f);
}

}  // namespace

std::unique_ptr<Transport> make_transport(const PublishSettings& s,
                                          std::function<void(const std::string&)> on_command) {
  check_readable("tls-ca-file", s.tls_ca_file);
  check_readable("tls-cert-file", s.tls_cert_file);
  check_readable("tls-key-file", s.tls_key_file);
  check_readable("credentials-file", s.credentials_file);
  check_readable("kafka-config", s.kafka_config_file);
  if (s.tls_cert_file.empty() != s.tls_key_file.empty())
    throw Error("tls-cert-file and tls-key-file go together");
  if (!s.control_topic.empty() && s.method == PublishMethod::File)
    throw Error("control-topic needs method=mqtt or kafka");
  switch (s.method) {
    case PublishMethod::Mqtt: return make_mqtt_transport(s, std::move(on_command));
    case PublishMethod::Kafka: return make_kafka_transport(s, std::move(on_command));
    case PublishMethod::File: break;
  }
  return std::make_unique<FileTransport>(s.file_path);
}

}  // namespace legrad
