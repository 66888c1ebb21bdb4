#include "engine/event_evidence.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "base/error.h"

namespace legrad {
namespace {

// One prompt whose 4x4 map is hot in its top-left quarter only; with regions, one map each.
Analysis hot_top_left(std::vector<Region> regions = {}) {
  Analysis a;
  a.prompts = {"a dog"};
  a.size = 4;
  a.regions = regions;
  const size_t maps = regions.empty() ? 1 : regions.size();
  a.scores.assign(maps, 0.9f);
  a.maps.assign(maps * 16, 0.0f);
  for (size_t m = 0; m < maps; ++m)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) a.maps[m * 16 + y * 4 + x] = 1.0f;
  return a;
}

cv::Mat decoded(const std::string& jpeg) {
  const std::vector<uchar> bytes(jpeg.begin(), jpeg.end());
  return cv::imdecode(bytes, cv::IMREAD_COLOR);
}

// How far a pixel (BGR) is from the frame's grey.
int off_grey(const cv::Mat& picture, int x, int y) {
  const cv::Vec3b p = picture.at<cv::Vec3b>(y, x);
  return std::abs(p[0] - 128) + std::abs(p[1] - 128) + std::abs(p[2] - 128);
}

PresenceEvent start_of(size_t map) {
  PresenceEvent e;
  e.prompt = "a dog";
  e.map = map;
  return e;
}

TEST(EventEvidence, IsTheFrameScaledDownWithItsHeatmapDrawnAsAJpeg) {
  const at::Tensor grey = at::full({480, 640, 3}, 128, at::kByte);
  EvidenceSettings settings;
  settings.longest_side = 320;
  const std::string jpeg = evidence_jpeg(rgb_planes(grey), hot_top_left(), start_of(0), settings);
  ASSERT_GE(jpeg.size(), 2u);
  EXPECT_EQ(jpeg.substr(0, 2), "\xff\xd8") << "a JPEG starts with SOI";
  EXPECT_LE(jpeg.size(), settings.max_bytes);
  const cv::Mat picture = decoded(jpeg);
  ASSERT_FALSE(picture.empty());
  EXPECT_EQ(picture.cols, 320);
  EXPECT_EQ(picture.rows, 240);
  EXPECT_GT(off_grey(picture, 60, 100), 60) << "heat drawn where the map is hot";
  EXPECT_LT(off_grey(picture, 260, 200), 12) << "the frame as it is where the map is cold";
}

TEST(EventEvidence, SmallFramesKeepTheirSize) {
  const at::Tensor grey = at::full({48, 64, 3}, 128, at::kByte);
  EvidenceSettings settings;
  settings.longest_side = 320;
  const cv::Mat picture =
      decoded(evidence_jpeg(rgb_planes(grey), hot_top_left(), start_of(0), settings));
  EXPECT_EQ(picture.cols, 64);
  EXPECT_EQ(picture.rows, 48);
}

TEST(EventEvidence, StepsDownUntilItFitsTheBoundOrSaysItCannot) {
  const at::Tensor noise = at::randint(0, 256, {1080, 1920, 3}, at::kByte);
  EvidenceSettings settings;
  settings.longest_side = 1920;
  settings.max_bytes = 16 * 1024;  // noise at 1920x1080 is megabytes
  const std::string jpeg = evidence_jpeg(rgb_planes(noise), hot_top_left(), start_of(0), settings);
  EXPECT_LE(jpeg.size(), settings.max_bytes);
  const cv::Mat picture = decoded(jpeg);
  ASSERT_FALSE(picture.empty());
  EXPECT_LT(picture.cols, 1920);
  EXPECT_EQ(picture.cols * 1080 / 1920, picture.rows) << "the aspect kept";

  settings.max_bytes = 200;  // below any JPEG's headers
  try {
    evidence_jpeg(rgb_planes(noise), hot_top_left(), start_of(0), settings);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("over the bound of 200"), std::string::npos) << e.what();
  }
}

TEST(EventEvidence, AnObjectsHeatmapIsDrawnInsideItsRegion) {
  const at::Tensor grey = at::full({480, 640, 3}, 128, at::kByte);
  EvidenceSettings settings;
  settings.longest_side = 640;
  // Two objects; the event is the second's, in the bottom-right quarter.
  const Analysis a = hot_top_left({{1, 0, 0, 100, 100}, {2, 320, 240, 320, 240}});
  const cv::Mat picture = decoded(evidence_jpeg(rgb_planes(grey), a, start_of(1), settings));
  ASSERT_EQ(picture.cols, 640);
  EXPECT_GT(off_grey(picture, 400, 300), 60) << "the top-left of the object's region is hot";
  EXPECT_LT(off_grey(picture, 50, 80), 12) << "the other object's heat is not drawn";
}

TEST(EventEvidence, RefusesAMapTheAnalysisDoesNotHave) {
  const at::Tensor grey = at::full({48, 64, 3}, 128, at::kByte);
  EvidenceSettings settings;
  settings.longest_side = 64;
  EXPECT_THROW(evidence_jpeg(rgb_planes(grey), hot_top_left(), start_of(3), settings), Error);
}

}  // namespace
}  // namespace legrad
