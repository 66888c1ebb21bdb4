#include "broker_support.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace legrad {
namespace test {

namespace {
const char* kMosquitto = "/usr/sbin/mosquitto";

bool listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}
}  // namespace

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool have_mosquitto() { return access(kMosquitto, X_OK) == 0; }

TlsFiles make_tls_files(const std::string& dir) {
  TlsFiles f{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  const std::string ext = dir + "/san.ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1\n";
  const std::string q = " > " + dir + "/openssl.log 2>&1";
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=legrad-test-ca -keyout " + dir +
      "/ca.key -out " + f.ca + q +
      " && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
      "-keyout " +
      f.key + " -out " + dir + "/server.csr" + q + " && openssl x509 -req -in " + dir +
      "/server.csr -CA " + f.ca + " -CAkey " + dir + "/ca.key -CAcreateserial -days 2 -extfile " +
      ext + " -out " + f.cert + q;
  if (std::system(cmd.c_str()) != 0) return {};
  // Readable by the user a broker started as root turns into.
  for (const std::string& path : {dir, f.ca, f.cert, f.key})
    chmod(path.c_str(), path == dir ? 0755 : 0644);
  return f;
}

MqttBroker::MqttBroker(const std::string& dir, const TlsFiles* tls)
    : dir_(dir), port_(free_port()) {
  std::ofstream conf(dir_ + "/mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
  if (tls)
    conf << "cafile " << tls->ca << "\ncertfile " << tls->cert << "\nkeyfile " << tls->key << "\n";
  conf.close();
  start();
}

void MqttBroker::start() {
  if (pid_ > 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    const std::string log = dir_ + "/mosquitto.log";
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    execl(kMosquitto, "mosquitto", "-c", (dir_ + "/mosquitto.conf").c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 200 && !listening(port_); ++i) usleep(10000);
}

void MqttBroker::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

MqttSubscriber::MqttSubscriber(int port, std::string topic, const TlsFiles* tls)
    : topic_(std::move(topic)), port_(port) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(nullptr, true, this);
  if (tls) mosquitto_tls_set(mosq_, tls->ca.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_message_callback_set(mosq_, &MqttSubscriber::on_message);
  mosquitto_connect_callback_set(mosq_, &MqttSubscriber::on_connect);
  thread_ = std::thread([this] { run(); });
  for (int i = 0; i < 300 && !connected_; ++i) usleep(10000);
}

MqttSubscriber::~MqttSubscriber() {
  stop_ = true;
  thread_.join();
  mosquitto_destroy(mosq_);
}

// Connects, and connects again every 20 ms while the broker is away.
void MqttSubscriber::run() {
  bool started = false, linked = false;
  while (!stop_) {
    if (!linked) {
      const int rc =
          started ? mosquitto_reconnect(mosq_) : mosquitto_connect(mosq_, "127.0.0.1", port_, 30);
      started = started || rc == MOSQ_ERR_SUCCESS;
      linked = rc == MOSQ_ERR_SUCCESS;
      if (!linked) {
        usleep(20000);
        continue;
      }
    }
    if (mosquitto_loop(mosq_, 20, 1) != MOSQ_ERR_SUCCESS) {
      connected_ = false;
      linked = false;
      usleep(20000);
    }
  }
}

void MqttSubscriber::on_connect(mosquitto* mosq, void* self, int rc) {
  if (rc != 0) return;
  auto* s = static_cast<MqttSubscriber*>(self);
  mosquitto_subscribe(mosq, nullptr, s->topic_.c_str(), 1);
  s->connected_ = true;
}

void MqttSubscriber::on_message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* s = static_cast<MqttSubscriber*>(self);
  std::lock_guard<std::mutex> lock(s->mutex_);
  s->messages_.push_back(
      {m->topic, std::string(static_cast<const char*>(m->payload), size_t(m->payloadlen))});
}

std::vector<MqttMessage> MqttSubscriber::messages() {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

size_t MqttSubscriber::count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.size();
}

bool MqttSubscriber::wait_for(size_t n, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (count() < n && std::chrono::steady_clock::now() < until) usleep(10000);
  return count() >= n;
}

void MqttSubscriber::publish(const std::string& topic, const std::string& payload) {
  // From another thread than the loop's: libmosquitto takes it (its own locks).
  mosquitto_publish(mosq_, nullptr, topic.c_str(), int(payload.size()), payload.data(), 1, false);
}

}  // namespace test
}  // namespace legrad
