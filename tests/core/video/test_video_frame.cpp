// Raw frames in every format the elements take, converted to the packed RGB the model reads.
#include "video/video_frame.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"
#include "support.h"

namespace legrad {
namespace {

TEST(VideoFrame, RgbPlanesDescribeATensorWithoutCopying) {
  const at::Tensor rgb = test::test_picture(6, 10);
  const FramePlanes planes = rgb_planes(rgb);
  EXPECT_EQ(planes.width, 10);
  EXPECT_EQ(planes.height, 6);
  EXPECT_EQ(planes.data[0], rgb.data_ptr<uint8_t>());
  EXPECT_TRUE(frame_to_rgb(planes).equal(rgb));
  EXPECT_EQ(packed_view(planes).data, rgb.data_ptr<uint8_t>());
  EXPECT_THROW(rgb_planes(at::zeros({6, 10, 4}, at::kByte)), Error);
  EXPECT_THROW(rgb_planes(rgb.transpose(0, 1)), Error) << "not contiguous";
}

// A grey I420 and NV12 frame of odd size: every pixel the same grey, in both layouts.
TEST(VideoFrame, I420AndNv12OfOddSizesConvertAlike) {
  const int w = 7, h = 5, cw = (w + 1) / 2, ch = (h + 1) / 2;
  std::vector<uint8_t> y(w * h, 120), u(cw * ch, 128), v(cw * ch, 128), uv(cw * 2 * ch, 128);
  FramePlanes i420;
  i420.format = PixelFormat::I420;
  i420.width = w;
  i420.height = h;
  i420.data[0] = y.data();
  i420.data[1] = u.data();
  i420.data[2] = v.data();
  i420.stride[0] = w;
  i420.stride[1] = i420.stride[2] = cw;
  FramePlanes nv12 = i420;
  nv12.format = PixelFormat::NV12;
  nv12.data[1] = uv.data();
  nv12.data[2] = nullptr;
  nv12.stride[1] = cw * 2;
  const at::Tensor a = frame_to_rgb(i420), b = frame_to_rgb(nv12);
  EXPECT_EQ(a.sizes(), (at::IntArrayRef{h, w, 3}));
  EXPECT_TRUE(a.equal(b));
  const int grey = a[0][0][0].item<int>();
  EXPECT_TRUE((a == grey).all().item<bool>()) << "no chroma: one grey everywhere";
  EXPECT_NEAR(grey, (120 - 16) * 255 / 219, 1) << "limited range expanded";
}

// Webcam layouts: packed 4:2:2 (YUY2, UYVY) read as the same grey as I420, grey copied.
TEST(VideoFrame, PackedYuvAndGreyConvert) {
  const int w = 5, h = 3;
  std::vector<uint8_t> yuy2, uyvy, grey(w * h, 77);
  for (int i = 0; i < h * ((w + 1) / 2); ++i) {
    yuy2.insert(yuy2.end(), {120, 128, 120, 128});  // Y0 U Y1 V
    uyvy.insert(uyvy.end(), {128, 120, 128, 120});  // U Y0 V Y1
  }
  FramePlanes f;
  f.width = w;
  f.height = h;
  f.stride[0] = ((w + 1) / 2) * 4;
  f.format = PixelFormat::YUY2;
  f.data[0] = yuy2.data();
  const at::Tensor a = frame_to_rgb(f);
  f.format = PixelFormat::UYVY;
  f.data[0] = uyvy.data();
  EXPECT_TRUE(frame_to_rgb(f).equal(a));
  EXPECT_NEAR(a[0][0][0].item<int>(), (120 - 16) * 255 / 219, 1);
  EXPECT_FALSE(is_packed_rgb(PixelFormat::YUY2));
  f.format = PixelFormat::GRAY8;
  f.data[0] = grey.data();
  f.stride[0] = w;
  EXPECT_TRUE((frame_to_rgb(f) == 77).all().item<bool>());
}

TEST(VideoFrame, EmptyFramesAreErrors) {
  FramePlanes empty;
  EXPECT_THROW(frame_to_rgb(empty), Error);
}

}  // namespace
}  // namespace legrad
