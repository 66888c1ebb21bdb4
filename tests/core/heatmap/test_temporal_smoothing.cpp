// The moving average of heatmaps: off at 0, weighted by the factor, restarted on new prompts,
// a new size or a reset.
#include <gtest/gtest.h>

#include "heatmap/temporal_smoothing.h"

namespace legrad {
namespace {

TEST(TemporalSmoothing, AveragesWithTheFactorAndRestartsOnChange) {
  TemporalSmoothing s;
  const std::vector<std::string> prompts{"a cat", "a dog"};
  std::vector<float> maps{1, 0};  // two prompts, 1 x 1 maps
  s.apply(prompts, 1, 0.5f, maps);
  EXPECT_EQ(maps, (std::vector<float>{1, 0}));
  maps = {0, 1};
  s.apply(prompts, 1, 0.5f, maps);
  EXPECT_EQ(maps, (std::vector<float>{0.5f, 0.5f}));
  maps = {0, 1};
  s.apply(prompts, 1, 0.5f, maps);
  EXPECT_EQ(maps, (std::vector<float>{0.25f, 0.75f}));

  maps = {0, 0};
  s.apply({"a cat"}, 1, 0.5f, maps);  // other prompts (and so another map count): restart
  EXPECT_EQ(maps, (std::vector<float>{0, 0}));
  maps = {1, 1, 1, 1};
  s.apply({"a cat"}, 2, 0.5f, maps);  // another size: restart
  EXPECT_EQ(maps, (std::vector<float>{1, 1, 1, 1}));
  s.reset();
  maps = {0, 0, 0, 0};
  s.apply({"a cat"}, 2, 0.5f, maps);
  EXPECT_EQ(maps, (std::vector<float>{0, 0, 0, 0}));
}

TEST(TemporalSmoothing, ZeroIsOffAndForgets) {
  TemporalSmoothing s;
  std::vector<float> maps{1};
  s.apply({"a"}, 1, 0.9f, maps);
  maps = {0};
  s.apply({"a"}, 1, 0.0f, maps);
  EXPECT_EQ(maps, (std::vector<float>{0}));
  maps = {0.5f};
  s.apply({"a"}, 1, 0.9f, maps);  // turned on again: starts from this map, not the old one
  EXPECT_EQ(maps, (std::vector<float>{0.5f}));
}

}  // namespace
}  // namespace legrad
