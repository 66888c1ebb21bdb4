// The golden cases made by the official implementation: models, heatmaps and tokenizer cases.
#include <gtest/gtest.h>

#include "lab/golden.h"
#include "support.h"

namespace legrad {
namespace {

class GoldenCase : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenCase, MatchesTheOfficialImplementation) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: golden case skipped";
  const GoldenReport report = run_golden_case(golden + "/" + GetParam());
  EXPECT_GE(report.checks.size(), 8u);
  for (const auto& c : report.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
}

INSTANTIATE_TEST_SUITE_P(Visible, GoldenCase,
                         ::testing::Values("vit_p16_224", "vit_p16_448", "siglip_p16_224"));

// Patch 16 probes the sizes the reference was run at (160, 288, 320 explained); patch 14 its
// own multiples: no size that patch 16 allows is asked of it.
TEST(GoldenProbes, InputSizesFollowThePatchSize) {
  for (const int patch : {14, 16}) {
    int refused = 0;
    for (const ProbeSize& p : probe_input_sizes(patch)) {
      EXPECT_EQ(p.refused, p.size % patch != 0) << patch << ": " << p.size;
      refused += p.refused;
    }
    EXPECT_EQ(refused, 1) << patch;
  }
  std::vector<int> explained;
  for (const ProbeSize& p : probe_input_sizes(16))
    if (!p.refused) explained.push_back(p.size);
  EXPECT_EQ(explained, (std::vector<int>{160, 288, 320}));
}

TEST(GoldenTokenizer, AllCasesMatchTheReference) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: tokenizer golden cases skipped";
  const GoldenReport report = run_tokenizer_cases(golden + "/tokenizer_cases.json",
                                                  golden + "/bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(report.checks.size(), 44u);
  for (const auto& c : report.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
}

}  // namespace
}  // namespace legrad
