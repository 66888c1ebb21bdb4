// legradmetapublish method=kafka against librdkafka's own in-process mock cluster (the README
// says so: no real Kafka broker is tested).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "plugin_support.h"

namespace legrad {
namespace {

// A mock cluster of one broker, held by a producer handle of its own.
class MockCluster {
 public:
  MockCluster() {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    cluster_ = rd_kafka_mock_cluster_new(rk_, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
  }
  std::string servers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void set_down(bool down) {
    if (down)
      rd_kafka_mock_broker_set_down(cluster_, 1);
    else
      rd_kafka_mock_broker_set_up(cluster_, 1);
  }

  // One message, sent (with the time it was sent) before this returns.
  void produce(const std::string& topic, const std::string& value) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", servers().c_str(), error, sizeof error);
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(producer, 5000);
    rd_kafka_destroy(producer);
  }

  // The messages of `topic` from the start: key and value.
  std::vector<std::pair<std::string, std::string>> read(const std::string& topic, size_t want) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", servers().c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", ("test-" + topic).c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof error);
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < 200 && out.size() < want; ++i) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (!m) continue;
      if (!m->err)
        out.push_back({std::string(static_cast<const char*>(m->key), m->key_len),
                       std::string(static_cast<const char*>(m->payload), m->len)});
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return out;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// Plays `desc`, calls `meanwhile` a second in, and waits up to `seconds` for the end: whether
// it ended in EOS. `after` reads the pipeline (in its final state) before it is freed.
bool plays_to_eos(const std::string& desc, const std::function<void()>& meanwhile, int seconds,
                  const std::function<void(GstElement*)>& after = {}) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  if (!pipeline) return false;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_usleep(G_USEC_PER_SEC);
  meanwhile();
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, seconds * GST_SECOND, (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool eos = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (msg) gst_message_unref(msg);
  if (after) after(pipeline);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return eos;
}

TEST_F(Plugin, KafkaMessagesArriveWithTheStreamAsKey) {
  MockCluster kafka;
  const std::string desc =
      "videotestsrc num-buffers=20 ! video/x-raw,width=64,height=48 ! "
      "legrad model=" +
      model() +
      " prompts=\"a cat\" ! legradmetapublish "
      "method=kafka stream-id=dock-3 address=" +
      kafka.servers() + " ! fakesink";
  EXPECT_EQ(notices_of(desc, GST_MESSAGE_WARNING), "");
  const auto messages = kafka.read("legrad.frames", 20);
  ASSERT_EQ(messages.size(), 20u);
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].first, "dock-3");
    const auto j = nlohmann::json::parse(messages[i].second);
    EXPECT_EQ(j["seq"], i);
    EXPECT_EQ(j["prompts"][0]["prompt"], "a cat");
  }
}

// The broker taken down: what cannot be delivered (message.timeout.ms from kafka-config) is
// counted, and the pipeline goes on.
TEST_F(Plugin, KafkaABrokerTakenDownIsCounted) {
  MockCluster kafka;
  test::TempDir dir;
  std::ofstream(dir.file("kafka.conf")) << "# short, for the test\nmessage.timeout.ms=500\n";
  const std::string desc =
      "videotestsrc is-live=true num-buffers=45 ! video/x-raw,width=64,"
      "height=48,framerate=15/1 ! legrad model=" +
      model() +
      " prompts=\"a cat\" ! legradmetapublish name=pub method=kafka "
      "stream-id=s kafka-config=" +
      dir.file("kafka.conf") + " address=" + kafka.servers() + " ! fakesink";
  guint64 published = 0, dropped = 0;
  EXPECT_TRUE(plays_to_eos(
      desc, [&] { kafka.set_down(true); }, 30,
      [&](GstElement* pipeline) {
        g_usleep(G_USEC_PER_SEC);  // the delivery timeouts
        GstElement* pub = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
        g_object_get(pub, "messages-published", &published, "frames-dropped", &dropped, nullptr);
        gst_object_unref(pub);
      }))
      << "the pipeline stalled or failed";
  EXPECT_GT(published, 0u);
  EXPECT_GT(dropped, 0u) << "a broker down for 2 s with a 0.5 s timeout loses messages";
}

// Prompts from afar over Kafka: a command sent while the stream plays changes its prompts and
// is answered on the status topic; one sent before the element started is not replayed.
TEST_F(Plugin, KafkaPromptCommandsFromTheControlTopic) {
  MockCluster kafka;
  kafka.produce("legrad.control", R"({"prompts": ["a bird"], "request_id": "old"})");
  g_usleep(50 * 1000);  // the clock moves on: the element starts after it was sent
  const std::string desc =
      "videotestsrc is-live=true num-buffers=120 ! video/x-raw,width=64,height=48,"
      "framerate=15/1 ! legrad model=" +
      model() +
      " prompts=\"a cat\" ! legradmetapublish method=kafka stream-id=gate "
      "control-topic=legrad.control address=" +
      kafka.servers() + " ! fakesink";
  ASSERT_TRUE(plays_to_eos(
      desc,
      [&] { kafka.produce("legrad.control", R"({"prompts": ["a dog"], "request_id": "r1"})"); },
      60))
      << "the pipeline stalled or failed";

  const auto answers = kafka.read("legrad.status", 1);
  ASSERT_EQ(answers.size(), 1u) << "one answer: the old command is passed over";
  const auto answer = nlohmann::json::parse(answers[0].second);
  EXPECT_EQ(answer["request_id"], "r1");
  EXPECT_TRUE(answer["accepted"].get<bool>()) << answer;
  EXPECT_EQ(answers[0].first, "gate");
  const auto frames = kafka.read("legrad.frames", 120);
  ASSERT_EQ(frames.size(), 120u);
  EXPECT_EQ(nlohmann::json::parse(frames.front().second)["prompts"][0]["prompt"], "a cat");
  EXPECT_EQ(nlohmann::json::parse(frames.back().second)["prompts"][0]["prompt"], "a dog");
  for (const auto& f : frames)
    EXPECT_NE(nlohmann::json::parse(f.second)["prompts"][0]["prompt"], "a bird");
}

}  // namespace
}  // namespace legrad
