// legradmetapublish against real brokers on 127.0.0.1: Debian's mosquitto (started, killed and
// started again by the tests) and librdkafka's in-process mock cluster.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker_support.h"
#include "json_lines.h"
#include "json_schema.h"
#include "plugin_support.h"

namespace legrad {
namespace {

using Clock = std::chrono::steady_clock;

// A playing pipeline whose bus is read as it runs; frames reaching `fakesink name=out`
// counted.
class Running {
 public:
  explicit Running(const std::string& desc) {
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(desc.c_str(), &error);
    if (error) {
      ADD_FAILURE() << error->message;
      g_error_free(error);
      return;
    }
    if (GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline_), "out")) {
      g_object_set(out, "signal-handoffs", TRUE, nullptr);
      g_signal_connect(out, "handoff",
                       G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer n) {
                         ++*static_cast<std::atomic<int>*>(n);
                       }),
                       &frames);
      gst_object_unref(out);
    }
    bus_ = gst_element_get_bus(pipeline_);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~Running() {
    if (!pipeline_) return;
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }
  // Reads the bus for `seconds`, or until EOS or an error; true at EOS.
  bool run(double seconds) {
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      GstMessage* msg = gst_bus_timed_pop(bus_, 20 * GST_MSECOND);
      if (!msg) continue;
      const GstMessageType type = GST_MESSAGE_TYPE(msg);
      if (type == GST_MESSAGE_ERROR) errors += error_text(msg) + "\n";
      if (type == GST_MESSAGE_WARNING) {
        GError* e = nullptr;
        gst_message_parse_warning(msg, &e, nullptr);
        warnings += std::string(e->message) + "\n";
        g_error_free(e);
      }
      if (type == GST_MESSAGE_ELEMENT)
        messages.push_back(gst_structure_get_name(gst_message_get_structure(msg)));
      gst_message_unref(msg);
      if (type == GST_MESSAGE_EOS) return true;
      if (type == GST_MESSAGE_ERROR) return false;
    }
    return false;
  }
  template <typename T>
  T get(const char* property) {
    GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline_), "pub");
    T value{};
    g_object_get(e, property, &value, nullptr);
    gst_object_unref(e);
    return value;
  }
  void stop() { gst_element_set_state(pipeline_, GST_STATE_NULL); }

  std::atomic<int> frames{0};
  std::string errors, warnings;
  std::vector<std::string> messages;

 private:
  GstElement* pipeline_ = nullptr;
  GstBus* bus_ = nullptr;
};

class Publish : public Plugin {
 protected:
  void SetUp() override {
    if (!test::have_mosquitto()) GTEST_SKIP() << "no /usr/sbin/mosquitto (Debian's mosquitto)";
  }
  // The legrad part of a pipeline: `frames` frames (0: endless) of 64x48 at 30 fps.
  std::string analysed(int frames, bool live, const std::string& prompts = "a cat;a dog") {
    return "videotestsrc " + (frames ? "num-buffers=" + std::to_string(frames) : std::string()) +
           (live ? " is-live=true" : "") +
           " ! video/x-raw,width=64,height=48,framerate=30/1 ! legrad model=" + model() +
           " prompts=\"" + prompts + "\" event-min-frames=2";
  }
};

std::vector<nlohmann::json> payloads(const std::vector<test::MqttMessage>& messages,
                                     const std::string& topic_part) {
  std::vector<nlohmann::json> out;
  for (const auto& m : messages)
    if (m.topic.find(topic_part) != std::string::npos)
      out.push_back(nlohmann::json::parse(m.payload));
  return out;
}

// Every message once, in order, each frame's with its pts; events on their own topic.
TEST_F(Publish, EveryMessageArrivesOnceInOrderWithItsFramesPts) {
  test::TempDir dir;
  test::MqttBroker broker(dir.path());
  test::MqttSubscriber sub(broker.port(), "legrad/#");
  ASSERT_TRUE(sub.connected());
  {
    Running p(analysed(30, false) +
              " ! legradmetapublish name=pub method=mqtt qos=1 publish=all "
              "stream-id=cam-1 address=" +
              broker.address() + " ! fakesink name=out");
    ASSERT_TRUE(p.run(60)) << p.errors;
    EXPECT_EQ(p.errors, "");
  }
  ASSERT_TRUE(sub.wait_for(34, 10)) << sub.count();  // 30 frames, two prompts' start and end
  const auto messages = sub.messages();
  const auto frames = payloads(messages, "legrad/cam-1/frames");
  const auto events = payloads(messages, "legrad/cam-1/events");
  ASSERT_EQ(frames.size(), 30u);
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]["pts"].get<uint64_t>(), i * GST_SECOND / 30) << i;
    EXPECT_EQ(frames[i]["stream_id"], "cam-1");
    EXPECT_EQ(frames[i]["prompts"].size(), 2u);
  }
  // One sequence over both topics, each number once, in order.
  std::vector<uint64_t> seqs;
  for (const auto& m : messages) seqs.push_back(nlohmann::json::parse(m.payload)["seq"]);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i);
  EXPECT_EQ(events[0]["event"], "presence");
  EXPECT_EQ(events[0]["state"], "start");
  EXPECT_EQ(events[3]["state"], "end");
}

// At QoS 0 too, far more messages than libmosquitto holds in flight: each arrives once and is
// counted as published (libmosquitto may write a QoS 0 message before its publish call returns).
TEST_F(Publish, AtQos0ManyMessagesArriveOnceAndAreCounted) {
  test::TempDir dir;
  test::MqttBroker broker(dir.path());
  test::MqttSubscriber sub(broker.port(), "legrad/s/frames");
  ASSERT_TRUE(sub.connected());
  Running p(analysed(600, false) + " ! legradmetapublish name=pub method=mqtt qos=0 stream-id=s " +
            "address=" + broker.address() + " ! fakesink name=out");
  ASSERT_TRUE(p.run(120)) << p.errors;
  EXPECT_EQ(p.messages.back(), "legrad-publish-stats") << "none at EOS";
  p.stop();
  const auto published = p.get<guint64>("messages-published");
  const auto dropped = p.get<guint64>("frames-dropped");
  EXPECT_EQ(published + dropped, 600u);
  sub.wait_for(published, 10);
  std::set<uint64_t> seqs;
  for (const auto& j : payloads(sub.messages(), "frames"))
    EXPECT_TRUE(seqs.insert(j["seq"].get<uint64_t>()).second) << "twice: " << j["seq"];
  EXPECT_EQ(seqs.size(), published);
  EXPECT_LT(dropped, 60u) << "a local broker keeps up with a small model";
}

// The broker killed mid-stream and started again 3 s later: the live pipeline keeps its
// frame rate, publishing resumes, and what never arrived is what the counters say.
TEST_F(Publish, ABrokerRestartNeitherStallsNorSlowsAndTheLossIsCounted) {
  test::TempDir dir;
  test::MqttBroker broker(dir.path());
  test::MqttSubscriber sub(broker.port(), "legrad/cam-1/frames");
  ASSERT_TRUE(sub.connected());
  Running p(analysed(0, true) +
            " ! legradmetapublish name=pub method=mqtt qos=1 stream-id=cam-1 "
            "max-queued-messages=20 address=" +
            broker.address() + " ! fakesink name=out");
  const auto start = Clock::now();
  p.run(2);
  broker.stop();
  p.run(3);
  broker.start();
  for (int i = 0; i < 100 && !p.get<gboolean>("connected"); ++i) p.run(0.1);
  EXPECT_TRUE(p.get<gboolean>("connected")) << p.warnings;
  p.run(2);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const int frames = p.frames;
  EXPECT_GE(p.get<guint64>("reconnections"), 1u);
  p.stop();  // drains the outbox
  EXPECT_GE(frames, 0.9 * 30 * seconds)
      << "the pipeline slowed down: " << frames << " frames in " << seconds << " s";
  EXPECT_NE(p.warnings.find("Lost the connection to '" + broker.address() + "'"), std::string::npos)
      << p.warnings;
  const auto frames_dropped = p.get<guint64>("frames-dropped");
  EXPECT_GT(frames_dropped, 0u) << "3 s of 30 fps do not fit 20 messages";
  sub.wait_for(size_t(frames) - frames_dropped, 5);
  const auto got = payloads(sub.messages(), "frames");
  std::set<uint64_t> seqs;
  uint64_t last = 0;
  for (const auto& j : got) {
    EXPECT_TRUE(seqs.insert(j["seq"].get<uint64_t>()).second) << "twice: " << j["seq"];
    last = std::max(last, j["seq"].get<uint64_t>());
  }
  ASSERT_FALSE(got.empty());
  EXPECT_GT(last, 30u * 5) << "publishing resumed";
  // Published frames are 0..frames-1: those missing are those counted.
  EXPECT_EQ(uint64_t(frames) - seqs.size(), frames_dropped);
}

// TLS with a CA and a server certificate the test makes with openssl.
TEST_F(Publish, PublishesOverTlsToABrokerWithTheTestsCertificate) {
  test::TempDir dir;
  const test::TlsFiles tls = test::make_tls_files(dir.path());
  ASSERT_FALSE(tls.ca.empty()) << "openssl failed: see " << dir.file("openssl.log");
  test::MqttBroker broker(dir.path(), &tls);
  test::MqttSubscriber sub(broker.port(), "legrad/#", &tls);
  ASSERT_TRUE(sub.connected());
  Running p(analysed(10, false) + " ! legradmetapublish name=pub method=mqtt qos=1 stream-id=s " +
            "tls-ca-file=" + tls.ca + " address=" + broker.address() + " ! fakesink name=out");
  ASSERT_TRUE(p.run(60)) << p.errors;
  p.stop();
  EXPECT_TRUE(sub.wait_for(10, 10)) << sub.count();
  // Without the CA the broker's certificate is not trusted: no connection.
  Running plain(analysed(5, false) +
                " ! legradmetapublish name=pub method=mqtt "
                "require-connection=true address=" +
                broker.address() + " ! fakesink name=out");
  EXPECT_FALSE(plain.run(30));
  EXPECT_NE(plain.errors.find("Cannot connect to '" + broker.address() + "'"), std::string::npos)
      << plain.errors;
}

// A command on the control topic: the frames carry the new prompts within two analysed frames
// of the answer, which says they are in use; bad commands are refused with their reason and
// change nothing.
TEST_F(Publish, PromptsFromAfarAndCommandsRefusedWithTheirReasons) {
  test::TempDir dir;
  test::MqttBroker broker(dir.path());
  test::MqttSubscriber sub(broker.port(), "legrad/#");
  ASSERT_TRUE(sub.connected());
  Running p(analysed(0, true) +
            " ! legradmetapublish name=pub method=mqtt qos=1 stream-id=cam-1 "
            "control-topic=legrad/control address=" +
            broker.address() + " ! fakesink name=out");
  p.run(1.5);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"stream_id": "cam-1", "prompts": "a dog"})", "must be an array"},
      {R"({"stream_id": "cam-1", "prompts": []})", "empty"},
      {R"({"stream_id": "cam-1", "prompts": [7]})", "array of strings"},
      {R"({"stream_id": "cam-1", "prompts": [")" + std::string(2000, 'a') + R"("]})",
       "longer than"},
      {R"({"stream_id": "cam-9", "prompts": ["a dog"]})", "no stream 'cam-9'"},
  };
  for (const auto& [command, reason] : bad) {
    sub.publish("legrad/control", command);
    p.run(0.3);
  }
  sub.publish("legrad/control",
              R"({"stream_id": "cam-1", "prompts": ["a dog"], "request_id": "r1"})");
  p.run(2);
  p.stop();
  const auto messages = sub.messages();
  const auto answers = payloads(messages, "legrad/cam-1/status");
  ASSERT_EQ(answers.size(), bad.size() + 1);
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(answers[i]["accepted"].get<bool>()) << answers[i];
    EXPECT_NE(answers[i]["reason"].get<std::string>().find(bad[i].second), std::string::npos)
        << answers[i];
    EXPECT_EQ(answers[i]["prompts"], nlohmann::json({"a cat", "a dog"}));  // unchanged
  }
  const auto& ok = answers.back();
  EXPECT_TRUE(ok["accepted"].get<bool>()) << ok;
  EXPECT_EQ(ok["request_id"], "r1");
  EXPECT_EQ(ok["prompts"], nlohmann::json({"a dog"}));
  // It went upstream at one frame; analyses of frames after that one carry it, but for at most
  // one already under way (a live source's frames pass while an analysis runs, carrying the
  // analysis before them: count analyses by their source frame, not frames).
  const uint64_t applied = ok["applied_pts"], effective = ok["effective_pts"];
  std::set<uint64_t> old_analyses_after;
  for (const auto& f : payloads(messages, "legrad/cam-1/frames")) {
    const uint64_t pts = f["pts"];
    if (pts >= effective) EXPECT_EQ(f["prompts"].size(), 1u) << "back to the old prompts";
    for (const auto& p : f["prompts"])
      if (f["prompts"].size() == 2 && p["source_pts"].get<uint64_t>() > applied)
        old_analyses_after.insert(p["source_pts"].get<uint64_t>());
  }
  EXPECT_LT(applied, effective);
  const size_t old_after = old_analyses_after.size();
  EXPECT_LE(old_after, 1u) << "more than two analysed frames after it went upstream";
}

// method=file: the lines of legradmetaconvert with the stream, a sequence and the time, all of
// them what the repository's JSON Schema says; the schema itself refuses what is not.
TEST_F(Publish, FileLinesFollowTheSchema) {
  test::TempDir dir;
  Running p(analysed(12, false) +
            " attach-roi=true ! legradmetapublish name=pub publish=all "
            "stream-id=yard file-path=" +
            dir.file("out.jsonl") + " ! fakesink name=out");
  ASSERT_TRUE(p.run(60)) << p.errors;
  p.stop();
  const auto lines = test::json_lines(dir.file("out.jsonl"));
  ASSERT_EQ(lines.size(), 12u + 4u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(test::metadata_problem(lines[i]), "") << lines[i];
    EXPECT_EQ(lines[i]["stream_id"], "yard");
    EXPECT_EQ(lines[i]["seq"], i);
  }
  nlohmann::json broken = lines[0];
  broken.erase("pts");
  EXPECT_NE(test::metadata_problem(broken), "");
  broken = lines[0];
  broken["prompts"][0]["score"] = "high";
  EXPECT_NE(test::metadata_problem(broken), "");
}

// Bad settings: element errors naming the setting and the reason.
TEST_F(Publish, BadSettingsAreElementErrorsNamingThem) {
  const std::string head = "videotestsrc num-buffers=3 ! legradmetapublish method=mqtt ";
  EXPECT_NE(element_error_of(head + "address=127.0.0.1:99999 ! fakesink").find("bad port '99999'"),
            std::string::npos);
  EXPECT_NE(element_error_of(head + "address=:1883 ! fakesink").find("bad host"),
            std::string::npos);
  EXPECT_NE(element_error_of(head + "topic=legrad/+/x ! fakesink")
                .find("topic 'legrad/+/x' holds a wildcard"),
            std::string::npos);
  EXPECT_NE(element_error_of(head + "tls-ca-file=/nonexistent/ca.pem ! fakesink")
                .find("tls-ca-file '/nonexistent/ca.pem'"),
            std::string::npos);
  EXPECT_NE(
      element_error_of(head + "credentials-file=/nonexistent ! fakesink").find("credentials-file"),
      std::string::npos);
  EXPECT_NE(element_error_of("videotestsrc num-buffers=3 ! legradmetapublish method=file "
                             "control-topic=c ! fakesink")
                .find("control-topic needs method=mqtt or kafka"),
            std::string::npos);
  const int closed = test::free_port();
  EXPECT_NE(element_error_of(head + "require-connection=true address=127.0.0.1:" +
                             std::to_string(closed) + " ! fakesink")
                .find("Cannot connect to '127.0.0.1:" + std::to_string(closed) + "'"),
            std::string::npos);
}

// A broker down at start: a warning, retried until it comes, then published to.
TEST_F(Publish, ABrokerDownAtStartIsAWarningAndWaitedFor) {
  test::TempDir dir;
  test::MqttBroker broker(dir.path());
  broker.stop();
  Running p(analysed(0, true) +
            " ! legradmetapublish name=pub method=mqtt qos=1 stream-id=s "
            "address=" +
            broker.address() + " ! fakesink name=out");
  p.run(1.5);
  EXPECT_NE(p.warnings.find("Cannot connect to '" + broker.address() + "'"), std::string::npos)
      << p.warnings;
  EXPECT_EQ(p.errors, "");
  broker.start();
  test::MqttSubscriber sub(broker.port(), "legrad/#");
  for (int i = 0; i < 100 && !p.get<gboolean>("connected"); ++i) p.run(0.1);
  EXPECT_TRUE(p.get<gboolean>("connected"));
  EXPECT_TRUE(sub.wait_for(5, 5));
}

}  // namespace
}  // namespace legrad
