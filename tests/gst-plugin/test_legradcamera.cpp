// The camera's timeline and what it says of URIs, without a camera.
#include "legradcamera.h"

#include <gtest/gtest.h>

namespace legrad {
namespace {

constexpr GstClockTime kMs = GST_MSECOND;

TEST(CameraTimeline, AConnectionKeepsItsSpacingFromWhereItStarted) {
  CameraTimeline timeline;
  // The camera's running times start anywhere; the first lands at now.
  EXPECT_EQ(timeline.place(1, CameraMedia::Video, 5000 * kMs, 100 * kMs), 100 * kMs);
  EXPECT_EQ(timeline.place(1, CameraMedia::Video, 5040 * kMs, 900 * kMs), 140 * kMs);
  // Sound of the same connection shares the offset: it stays in sync with the picture.
  EXPECT_EQ(timeline.place(1, CameraMedia::Audio, 5020 * kMs, 900 * kMs), 120 * kMs);
}

TEST(CameraTimeline, ANewConnectionStartsAtNowSoTheGapShows) {
  CameraTimeline timeline;
  timeline.place(1, CameraMedia::Video, 0, 0);
  timeline.place(1, CameraMedia::Video, 1000 * kMs, 0);
  // Reconnected 5 s later; the new stream's running time starts again from 0.
  EXPECT_EQ(timeline.place(2, CameraMedia::Video, 0, 6000 * kMs), 6000 * kMs);
  EXPECT_EQ(timeline.place(2, CameraMedia::Video, 40 * kMs, 6000 * kMs), 6040 * kMs);
}

TEST(CameraTimeline, NeverGoesBackwards) {
  CameraTimeline timeline;
  const GstClockTime first = timeline.place(1, CameraMedia::Video, 1000 * kMs, 1000 * kMs);
  // A buffer stamped earlier than the last (a camera's clock jumping) still comes after it.
  const GstClockTime second = timeline.place(1, CameraMedia::Video, 900 * kMs, 1000 * kMs);
  EXPECT_GT(second, first);
  // A new connection whose now lies before the last timestamp too.
  EXPECT_GT(timeline.place(2, CameraMedia::Video, 0, 500 * kMs), second);
}

TEST(CameraUri, CredentialsAreLeftOutOfWhatIsShown) {
  EXPECT_EQ(uri_without_credentials("rtsp://admin:secret@10.0.0.7:554/live"),
            "rtsp://10.0.0.7:554/live");
  EXPECT_EQ(uri_without_credentials("rtsp://user@cam/a@b"), "rtsp://cam/a@b");
  EXPECT_EQ(uri_without_credentials("rtsp://cam/x"), "rtsp://cam/x");
  EXPECT_EQ(uri_without_credentials("file:///v/a@b.mp4"), "file:///v/a@b.mp4");
  EXPECT_EQ(text_without_credentials("Could not open rtsp://admin:secret@10.0.0.7/live (401)",
                                     "rtsp://admin:secret@10.0.0.7/live"),
            "Could not open rtsp://10.0.0.7/live (401)");
  EXPECT_EQ(text_without_credentials("Not found", "rtsp://cam/x"), "Not found");
  const std::string problem = uri_problem("1rtsp://admin:secret@cam/x");
  EXPECT_NE(problem.find("is not a URI"), std::string::npos) << problem;
  EXPECT_EQ(problem.find("secret"), std::string::npos) << problem;
}

TEST(CameraUri, ThoseNothingCanReadAreNamed) {
  gst_init(nullptr, nullptr);
  EXPECT_EQ(uri_problem("rtsp://127.0.0.1:8554/cam"), "");
  EXPECT_EQ(uri_problem("file:///tmp/x.mp4"), "");
  EXPECT_NE(uri_problem("").find("no uri"), std::string::npos);
  EXPECT_NE(uri_problem("camera one").find("not a URI"), std::string::npos);
  EXPECT_NE(uri_problem("nosuchproto://x").find("'nosuchproto://'"), std::string::npos);
}

}  // namespace
}  // namespace legrad
