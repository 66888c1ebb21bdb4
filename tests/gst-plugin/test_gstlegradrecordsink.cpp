// legradrecordsink: segments named by stream and UTC time that start at key frames, sound
// beside the picture, and a recording that plays after its process was killed.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <string>

#include "base/file.h"
#include "media_support.h"
#include "support.h"

namespace legrad {
namespace {

const char* kCamera =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 ! "
    "x264enc tune=zerolatency key-int-max=60";

// Runs `desc` for `seconds` then ends it with EOS; the error text, or "".
std::string record(const std::string& desc, double seconds) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  if (!pipeline) return "did not parse";
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  std::string error;
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, (GstClockTime)(seconds * GST_SECOND), GST_MESSAGE_ERROR);
  if (!msg) {
    gst_element_send_event(pipeline, gst_event_new_eos());
    msg = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND,
                                     (GstMessageType)(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (!msg) error = "no EOS";
  }
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    error = e->message;
    g_error_free(e);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return error;
}

// Segments of two seconds: each named STREAM-YYYYMMDDTHHMMSSZ.mp4, playable on its own from a
// key frame (the encoder is asked for one at each boundary, though its own GOP is 4 s), and
// each says it lasts what it holds (mp4mux alone makes the later ones claim the whole
// recording so far).
TEST(RecordSink, SegmentsStartAtKeyFramesAndNameStreamAndTime) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  EXPECT_EQ(record(std::string(kCamera) + " ! legradrecordsink location=" + dir.path() +
                       " stream-id=gate segment-duration=2",
                   7),
            "");
  const auto segments = test::files_in(dir.path(), "gate-", ".mp4");
  ASSERT_GE(segments.size(), 3u);
  int frames = 0;
  for (const auto& path : segments) {
    const std::string name = path.substr(path.rfind('/') + 1);
    EXPECT_TRUE(std::regex_match(name, std::regex(R"(gate-20\d{6}T\d{6}Z(-\d+)?\.mp4)"))) << name;
    const test::Decoded d = test::decode_mp4(path);
    EXPECT_GT(d.frames, 0) << name;
    EXPECT_TRUE(d.starts_with_key_frame) << name;
    const GstClockTime held = d.last_pts - d.first_pts + GST_SECOND / 15;
    const GstClockTime said = test::duration_of(path);
    EXPECT_LE(said, held + GST_SECOND / 10) << name << " says " << said << " ns";
    EXPECT_GE(said + GST_SECOND / 10, held) << name << " says " << said << " ns";
    frames += d.frames;
  }
  EXPECT_GE(frames, 15 * 6);  // 7 s at 15 fps, less the start
}

// Sound goes in on a requested audio pad.
TEST(RecordSink, RecordsSoundBesideThePicture) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  EXPECT_EQ(record(std::string(kCamera) +
                       " ! legradrecordsink name=rec segment-duration=0 "
                       "location=" +
                       dir.path() + " audiotestsrc is-live=true ! avenc_aac ! rec.audio_%u",
                   3),
            "");
  const auto files = test::files_in(dir.path(), "rec-", ".mp4");
  ASSERT_EQ(files.size(), 1u);
  const std::string streams = test::streams_of(files[0]);
  EXPECT_NE(streams.find("video H.264"), std::string::npos) << streams;
  EXPECT_NE(streams.find("audio MPEG-4 AAC"), std::string::npos) << streams;
}

// A recorder killed with SIGKILL (no EOS, no clean-up) leaves a file that decodes to its end,
// and its end lies within two seconds of when it was killed.
TEST(RecordSink, AKilledRecorderLeavesAPlayableFile) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const int seconds = 6;
  const std::string log = dir.file("log.txt");
  const std::string script = "gst-launch-1.0 " + std::string(kCamera) +
                             " ! legradrecordsink segment-duration=0 location=" + dir.path() +
                             " stream-id=cam > " + log + " 2>&1 & pid=$!\n" +
                             "for i in $(seq 300); do grep -q 'Setting pipeline to PLAYING' " +
                             log + " && break; sleep 0.1; done\n" + "sleep " +
                             std::to_string(seconds) + "\nkill -KILL $pid; wait $pid\n";
  test::write_text(dir.file("kill.sh"), script);
  std::system(("bash " + dir.file("kill.sh")).c_str());
  const auto files = test::files_in(dir.path(), "cam-", ".mp4");
  ASSERT_EQ(files.size(), 1u);
  const test::Decoded d = test::decode_mp4(files[0]);
  ASSERT_GT(d.frames, 0) << "the killed recording does not play";
  EXPECT_GE(d.last_pts, (seconds - 2) * GST_SECOND);
  EXPECT_GE(d.frames, 15 * (seconds - 2));
}

// A disk that fills (a 128 KiB tmpfs in a mount namespace of the test's own): the recorder stops
// with an error that says so instead of hanging, and every segment it wrote plays, the last to
// within two seconds of the end.
TEST(RecordSink, AFullDiskEndsTheRecordingWithAnErrorAndLeavesItPlayable) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const std::string disk = dir.file("disk"), kept = dir.file("kept"), log = dir.file("log.txt");
  const std::string inside = "mount -t tmpfs -o size=128k tmpfs " + disk + " || exit 77\n" +
                             "timeout 60 gst-launch-1.0 " + kCamera +
                             " bitrate=256 ! legradrecordsink segment-duration=2 location=" + disk +
                             " stream-id=cam > " + log + " 2>&1\necho $? > " + dir.file("rc") +
                             "\ncp " + disk + "/*.mp4 " + kept + "/\n";
  test::write_text(dir.file("inside.sh"), inside);
  // Unprivileged where user namespaces allow it; else as root.
  const std::string script = "mkdir -p " + disk + " " + kept +
                             "\nfor how in '--user --map-root-user' ''; do\n"
                             "  unshare $how --mount bash " +
                             dir.file("inside.sh") + " 2>/dev/null; rc=$?\n" +
                             "  [ $rc != 77 ] && [ $rc != 1 ] && exit $rc\n" + "  [ -e " +
                             dir.file("rc") + " ] && exit 0\ndone\nexit 77\n";
  test::write_text(dir.file("full.sh"), script);
  const int status = std::system(("bash " + dir.file("full.sh")).c_str());
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a small tmpfs here (unshare)";
  const std::string output = read_file(log, "log", 1 << 20);
  EXPECT_EQ(read_file(dir.file("rc"), "rc", 16), "1\n") << "not an error (124: it hung)\n"
                                                        << output;
  EXPECT_NE(output.find("No space left"), std::string::npos) << output;
  std::smatch ran;
  ASSERT_TRUE(
      std::regex_search(output, ran, std::regex(R"(Execution ended after (\d+):(\d+):(\d+))")))
      << output;
  const double seconds = std::stoi(ran[1]) * 3600 + std::stoi(ran[2]) * 60 + std::stoi(ran[3]);
  const auto files = test::files_in(kept, "cam-", ".mp4");
  ASSERT_GE(files.size(), 2u) << "the disk filled before a second segment";
  int frames = 0;
  for (const std::string& f : files) {
    const test::Decoded d = test::decode_mp4(f);
    EXPECT_GT(d.frames, 0) << f << " does not play";
    EXPECT_TRUE(d.starts_with_key_frame) << f;
    frames += std::max(0, d.frames);
  }
  EXPECT_GE(frames, 15 * (seconds - 2))
      << "recorded " << frames << " frames in " << seconds << " s";
}

// The warnings a pipeline posts on its way to EOS.
std::string warnings_of(const std::string& desc) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  if (!pipeline) return "did not parse";
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  std::string warnings;
  while (GstMessage* msg = gst_bus_timed_pop_filtered(
             bus, 20 * GST_SECOND,
             (GstMessageType)(GST_MESSAGE_WARNING | GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    const bool warning = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING;
    if (warning) {
      GError* e = nullptr;
      gst_message_parse_warning(msg, &e, nullptr);
      warnings += std::string(e->message) + "\n";
      g_error_free(e);
    }
    gst_message_unref(msg);
    if (!warning) break;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return warnings;
}

// B-frames would lose each segment's last frames in players: the element says so, once.
TEST(RecordSink, BFramesAreWarnedOf) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const std::string source =
      "videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48,framerate=10/1 ! x264enc ";
  const std::string sink = " ! legradrecordsink segment-duration=0 location=" + dir.path();
  const std::string reordered = warnings_of(source + "bframes=2" + sink);
  EXPECT_NE(reordered.find("B-frames"), std::string::npos) << reordered;
  EXPECT_EQ(reordered.find("B-frames"), reordered.rfind("B-frames")) << reordered;
  EXPECT_EQ(warnings_of(source + "bframes=0" + sink), "");
}

// Where the folder is not one, the error names it.
TEST(RecordSink, AMissingFolderIsAnError) {
  gst_init(nullptr, nullptr);
  const std::string error =
      record(std::string(kCamera) + " ! legradrecordsink location=/nonexistent/folder", 2);
  EXPECT_NE(error.find("'/nonexistent/folder' is not a folder"), std::string::npos) << error;
}

}  // namespace
}  // namespace legrad
