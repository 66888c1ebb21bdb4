// Device names.
#include <gtest/gtest.h>

#include "base/device.h"
#include "base/error.h"
#include "support.h"

namespace legrad {
namespace {

using test::error_of;

TEST(Device, ParsesNamesAndRefusesMissingCuda) {
  EXPECT_TRUE(parse_device("cpu").is_cpu());
  EXPECT_THROW(parse_device("tpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
  if (!cuda_available()) {
    EXPECT_NE(error_of([] { parse_device("cuda"); }).find("CUDA"), std::string::npos);
    EXPECT_TRUE(parse_device("auto").is_cpu());
  }
}

}  // namespace
}  // namespace legrad
