// What the element tests share: a fixture with a tiny random model and the elements driven
// through GstHarness, and launch-line runners that collect errors and messages.
#pragma once

#include <ATen/ATen.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/device.h"
#include "engine/engine.h"
#include "lab/random_init.h"
#include "meta/gstlegradmeta.h"
#include "support.h"
#include "video/preprocess.h"

namespace legrad {

class Plugin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gst_init(nullptr, nullptr);
    dir_ = new test::TempDir();
    test::write_tiny_model(dir_->path(), test::tiny_config());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string model() { return dir_->path(); }

  // "legrad model=... <extra>" in a harness with the given caps on its sink pad.
  static GstHarness* analyzer(const std::string& extra, const std::string& caps) {
    const std::string desc = "legrad model=" + model() + " " + extra;
    GstHarness* h = gst_harness_new_parse(desc.c_str());
    gst_harness_set_src_caps_str(h, caps.c_str());
    return h;
  }

  // A frame of `format` filled from the test picture (through the core's own conversion).
  static GstBuffer* frame(const char* format, int width, int height, GstClockTime pts = 0) {
    GstVideoInfo info;
    gst_video_info_set_format(&info, gst_video_format_from_string(format), width, height);
    GstBuffer* buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    const at::Tensor pic = test::test_picture(height, width);
    for (gsize i = 0; i < map.size; ++i) map.data[i] = pic.data_ptr<uint8_t>()[i % pic.numel()];
    gst_buffer_unmap(buf, &map);
    GST_BUFFER_PTS(buf) = pts;
    GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
    return buf;
  }

  // A 64x64 RGBx frame whose heatmap is 1 in the top-left quarter of a 16x16 grid, else 0.
  static GstBuffer* frame_with_corner_heat() {
    std::vector<float> values(16 * 16, 0.0f);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) values[y * 16 + x] = 1.0f;
    GBytes* bytes = g_bytes_new(values.data(), values.size() * sizeof(float));
    GstBuffer* in = frame("RGBx", 64, 64);
    GstMapInfo map;
    gst_buffer_map(in, &map, GST_MAP_WRITE);
    for (gsize i = 3; i < map.size; i += 4) map.data[i] = 255;  // padding as cameras write it
    gst_buffer_unmap(in, &map);
    gst_buffer_add_legrad_heatmap_meta(in, "a cat", 0, 0.3f, 16, 16, bytes, 0, 0);
    g_bytes_unref(bytes);
    return in;
  }

  static std::string caps(const char* format, int w, int h) {
    return std::string("video/x-raw,format=") + format + ",width=" + std::to_string(w) +
           ",height=" + std::to_string(h) + ",framerate=30/1";
  }

  // Sets or gets properties of the harness's legrad element (the harness wraps it in a bin).
  template <typename... Args>
  static void set(GstHarness* h, Args... args) {
    GstElement* e = gst_harness_find_element(h, "legrad");
    g_object_set(e, args..., nullptr);
    gst_object_unref(e);
  }
  template <typename... Args>
  static void get(GstHarness* h, Args... args) {
    GstElement* e = gst_harness_find_element(h, "legrad");
    g_object_get(e, args..., nullptr);
    gst_object_unref(e);
  }

  static std::vector<std::string> prompts_of(GstBuffer* buf) {
    std::vector<std::string> out;
    gpointer state = nullptr;
    while (GstLegradHeatmapMeta* m = gst_buffer_iterate_legrad_heatmap_meta(buf, &state))
      out.push_back(m->prompt);
    return out;
  }

  static inline test::TempDir* dir_ = nullptr;
};

// "message | debug" of an error message.
std::string error_text(GstMessage* msg);

// ": <error text>" of an error waiting on `bus`, or "".
std::string error_message(GstBus* bus);

// Runs a launch line and returns the text of the error it must end with (message and debug).
std::string element_error_of(const std::string& desc);

// Runs a launch line to EOS or an error and returns its messages of `type`
// (GST_MESSAGE_WARNING or GST_MESSAGE_INFO), "text | details" a line.
std::string notices_of(const std::string& desc, GstMessageType type);

// Runs a launch line to EOS and returns its element messages named `name`.
std::vector<GstStructure*> run_collecting(const std::string& desc, const char* name);

}  // namespace legrad
