// The presence decision behind boxes and the benchmarks' precision: the score, and the
// probability where the model gives one.
#include "explain/presence.h"

#include <gtest/gtest.h>

namespace legrad {
namespace {

TEST(Presence, TheDefaultIsTheModelsOwnDecision) {
  const PresenceRule rule;
  EXPECT_TRUE(rule.present(0.2f, 0.5f));
  EXPECT_FALSE(rule.present(0.9f, 0.49f));
  EXPECT_TRUE(rule.present(-0.5f, std::nullopt)) << "no probability, min-score -1: present";
}

TEST(Presence, BothThresholdsApply) {
  const PresenceRule rule{0.3f, 0.8f};
  EXPECT_FALSE(rule.present(0.29f, 0.9f));
  EXPECT_FALSE(rule.present(0.5f, 0.7f));
  EXPECT_TRUE(rule.present(0.3f, 0.8f));
  EXPECT_TRUE(rule.present(0.3f, std::nullopt));
  EXPECT_FALSE(rule.present(0.2f, std::nullopt));
}

}  // namespace
}  // namespace legrad
