// legradclipsink on a live source: clips around triggered events, as long as asked within a
// GOP, from a key frame, playable to their end; overlapping events share a clip, whose path
// reaches the messages and, upstream, legradmetaconvert's lines.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "media_support.h"
#include "support.h"

namespace legrad {
namespace {

// 15 fps, a key frame every 15 frames (a GOP of 1 s).
constexpr double kGop = 1.0;
const char* kLiveH264 =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 "
    "! videoconvert ! video/x-raw,format=I420 ! legradmetaconvert name=meta ! "
    "x264enc tune=zerolatency key-int-max=15";

struct Step {
  double at_s;         // seconds after PLAYING
  const char* signal;  // "start-event" / "end-event"
  const char* id;
};

struct ClipRun {
  std::vector<std::string> opened, closed_events;
  std::vector<std::string> errors;
};

// Plays the live source into legradclipsink (pre-roll 2 s, post-roll 1 s) in `dir`, emits the
// steps, and ends with EOS at `end_s`.
ClipRun run(const test::TempDir& dir, const std::vector<Step>& steps, double end_s) {
  const std::string desc = std::string(kLiveH264) +
                           " ! legradclipsink name=clips stream-id=gate pre-roll=2 post-roll=1 "
                           "location=" +
                           dir.path();
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  ClipRun out;
  if (!pipeline) return out;
  GstElement* meta = gst_bin_get_by_name(GST_BIN(pipeline), "meta");
  g_object_set(meta, "location", dir.file("meta.jsonl").c_str(), nullptr);
  gst_object_unref(meta);
  GstElement* clips = gst_bin_get_by_name(GST_BIN(pipeline), "clips");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  const auto started = std::chrono::steady_clock::now();
  for (const Step& step : steps) {
    std::this_thread::sleep_until(started + std::chrono::duration<double>(step.at_s));
    g_signal_emit_by_name(clips, step.signal, step.id);
  }
  std::this_thread::sleep_until(started + std::chrono::duration<double>(end_s));
  gst_element_send_event(pipeline, gst_event_new_eos());
  // Until EOS and every clip opened is finished (their files are, on the writers' threads).
  GstBus* bus = gst_element_get_bus(pipeline);
  bool eos = false;
  while (!eos || out.closed_events.size() < out.opened.size()) {
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 20 * GST_SECOND,
        (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (!msg) {
      out.errors.push_back("timed out");
      break;
    }
    const GstStructure* s = gst_message_get_structure(msg);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) out.errors.push_back("error");
    eos |= GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
    if (s && gst_structure_has_name(s, "legrad-clip-opened"))
      out.opened.push_back(gst_structure_get_string(s, "location"));
    if (s && gst_structure_has_name(s, "legrad-clip-closed")) {
      out.closed_events.push_back(gst_structure_get_string(s, "events"));
      if (gst_structure_has_field(s, "error")) out.errors.push_back("clip error");
    }
    gst_message_unref(msg);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(clips);
  gst_object_unref(pipeline);
  return out;
}

// How long a clip plays, from its first frame to the end of its last (15 fps).
double seconds_of(const test::Decoded& d) {
  return (double)(d.last_pts - d.first_pts) / GST_SECOND + 1.0 / 15;
}

// One event of 1 s: a clip of pre-roll + 1 s + post-roll (4 s), longer by less than a GOP
// (it starts at the key frame before the pre-roll), from a key frame, playable to its end.
TEST(ClipSink, AClipHoldsThePreRollTheEventAndThePostRoll) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const ClipRun r = run(dir, {{3.5, "start-event", "person"}, {4.5, "end-event", "person"}}, 7);
  EXPECT_TRUE(r.errors.empty());
  const auto files = test::files_in(dir.path(), "gate-clip-", ".mp4");
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(r.opened.size(), 1u);
  EXPECT_EQ(r.opened[0], files[0]);
  EXPECT_NE(test::streams_of(files[0]).find("video H.264"), std::string::npos);
  const test::Decoded d = test::decode_mp4(files[0]);
  ASSERT_GT(d.frames, 0) << "the clip does not play";
  EXPECT_TRUE(d.starts_with_key_frame);
  EXPECT_EQ(d.first_pts, 0u) << "a clip's time starts at its first frame";
  const double asked = 2 + 1 + 1;
  EXPECT_GE(seconds_of(d), asked - 0.2);
  EXPECT_LE(seconds_of(d), asked + kGop + 0.2);
  ASSERT_EQ(r.closed_events.size(), 1u);
  EXPECT_EQ(r.closed_events[0], "person");
  // The clip's path went upstream to legradmetaconvert, as a line among the frames'.
  std::ifstream lines(dir.file("meta.jsonl"));
  std::string line, clip_line;
  while (std::getline(lines, line))
    if (line.find("\"event\":\"clip\"") != std::string::npos) clip_line = line;
  EXPECT_NE(clip_line.find(files[0]), std::string::npos) << clip_line;
  EXPECT_NE(clip_line.find("\"events\":\"person\""), std::string::npos) << clip_line;
}

// Events that overlap make one clip; one that starts after it was finished makes another.
TEST(ClipSink, OverlappingEventsExtendOneClip) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const ClipRun r = run(dir,
                        {{3.0, "start-event", "a"},
                         {3.5, "start-event", "b"},
                         {4.0, "end-event", "a"},
                         {5.0, "end-event", "b"},
                         {7.5, "start-event", "c"},
                         {8.0, "end-event", "c"}},
                        10);
  EXPECT_TRUE(r.errors.empty());
  const auto files = test::files_in(dir.path(), "gate-clip-", ".mp4");
  ASSERT_EQ(files.size(), 2u);
  ASSERT_EQ(r.closed_events.size(), 2u);
  EXPECT_EQ(r.closed_events[0], "a,b");
  EXPECT_EQ(r.closed_events[1], "c");
  // a,b: from 2 s before a's start to 1 s after b's end; c: 2 + 0.5 + 1 s.
  const double asked[] = {2 + 2 + 1, 2 + 0.5 + 1};
  for (size_t i = 0; i < files.size(); ++i) {
    const test::Decoded d = test::decode_mp4(r.opened.at(i));
    ASSERT_GT(d.frames, 0) << r.opened[i];
    EXPECT_TRUE(d.starts_with_key_frame);
    EXPECT_GE(seconds_of(d), asked[i] - 0.2) << r.opened[i];
    EXPECT_LE(seconds_of(d), asked[i] + kGop + 0.2) << r.opened[i];
  }
}

// A clip still open at EOS is finished there, and plays.
TEST(ClipSink, AClipOpenAtTheEndIsFinished) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const ClipRun r = run(dir, {{2.5, "start-event", "x"}}, 4);
  const auto files = test::files_in(dir.path(), "gate-clip-", ".mp4");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_GT(test::decodable_frames(files[0]), 15 * 2);
  EXPECT_EQ(r.closed_events.size(), 1u);
}

TEST(ClipSink, AMissingFolderIsAnError) {
  gst_init(nullptr, nullptr);
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc num-buffers=5 ! x264enc ! legradclipsink location=/nonexistent/folder",
      nullptr);
  ASSERT_NE(pipeline, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  ASSERT_NE(msg, nullptr);
  GError* e = nullptr;
  gst_message_parse_error(msg, &e, nullptr);
  EXPECT_NE(std::string(e->message).find("'/nonexistent/folder' is not a folder"),
            std::string::npos)
      << e->message;
  g_error_free(e);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

}  // namespace
}  // namespace legrad
