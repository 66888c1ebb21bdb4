// Pixels in someone else's memory: where each packed format keeps its channels, and crops that
// address the right bytes.
#include "video/pixel_view.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"

namespace legrad {
namespace {

TEST(PixelView, PackedLayoutsPlaceEachChannel) {
  const PackedLayout bgra = packed_layout(PixelFormat::BGRA);
  EXPECT_EQ(bgra.bytes, 4);
  EXPECT_EQ(bgra.blue, 0);
  EXPECT_EQ(bgra.red, 2);
  EXPECT_EQ(bgra.alpha, 3);
  const PackedLayout xrgb = packed_layout(PixelFormat::xRGB);
  EXPECT_EQ(xrgb.red, 1);
  EXPECT_EQ(xrgb.alpha, -1) << "padding is not alpha";
  EXPECT_EQ(packed_layout(PixelFormat::RGB).bytes, 3);
  EXPECT_THROW(packed_layout(PixelFormat::I420), Error);
  EXPECT_TRUE(is_packed_rgb(PixelFormat::ABGR));
  EXPECT_FALSE(is_packed_rgb(PixelFormat::NV12));
}

TEST(PixelView, CropsAddressTheirRectangle) {
  std::vector<uint8_t> bytes(10 * 6 * 4);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  const ImageView view =
      packed_pixels<const uint8_t>(bytes.data(), 6, 10, 6 * 4, PixelFormat::RGBx);
  const ImageView crop = crop_view(view, 2, 3, 4, 5);
  EXPECT_EQ(crop.width, 4);
  EXPECT_EQ(crop.height, 5);
  EXPECT_EQ(crop.row_stride, view.row_stride);
  EXPECT_EQ(crop.data - bytes.data(), 3 * 24 + 2 * 4);
  EXPECT_EQ(crop.pixel_stride, 4);
}

}  // namespace
}  // namespace legrad
