#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "lab/fashion_mnist.h"
#include "lab/toy_scenes.h"

namespace legrad::cli {

std::string scenes_usage() {
  const SceneOptions d;
  return usage_lines({
      "scenes --out PREFIX [--count 8 | --frames N [--scene 0]] [--seed 1] [--size " +
          std::to_string(d.size) + "] [--test]",
      "       [--data " + std::string(kFashionMnistDir) + "]",
      "    Writes generated scenes (or the frames of one moving scene) as PREFIX_NNNN.png and",
      "    lists their items; --test draws from the held-out split.",
  });
}

// Writes scenes as PNG pictures (and their items to stdout), to look at what the toy model
// learns from and is measured on, or the frames of one moving scene (a test video).
int scenes_command(int argc, char** argv) {
  const Args args(argc, argv, {"out", "count", "seed", "size", "data", "frames", "scene"},
                  {"test"});
  if (!args.has("out")) throw Error("--out PREFIX is required");
  const SceneOptions options = SceneOptions::for_size(args.get_int("size", SceneOptions().size));
  const SceneGenerator scenes(
      FashionMnist::load(args.get("data", kFashionMnistDir), !args.has("test")), options,
      static_cast<uint64_t>(args.get_int("seed", 1)));
  // --frames N: N frames of one moving scene (--scene), else --count still scenes.
  const bool video = args.has("frames");
  const int count = video ? args.get_int("frames", 1) : args.get_int("count", 8);
  const uint64_t moving = static_cast<uint64_t>(args.get_int("scene", 0));
  for (int i = 0; i < count; ++i) {
    const Scene s = video ? scenes.scene(moving, i) : scenes.scene(static_cast<uint64_t>(i));
    const at::Tensor rgb = s.image.contiguous();
    cv::Mat view(static_cast<int>(rgb.size(0)), static_cast<int>(rgb.size(1)), CV_8UC3,
                 rgb.data_ptr<uint8_t>());
    cv::Mat bgr;
    cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
    char number[16];
    std::snprintf(number, sizeof number, "%04d", i);
    const std::string path = args.get("out") + "_" + number + ".png";
    if (!cv::imwrite(path, bgr)) throw Error(path + ": cannot write");
    std::printf("%s:", path.c_str());
    for (const SceneItem& item : s.items)
      std::printf(" %s %s at %d,%d size %d (%lld px);", item.colour.c_str(),
                  kFashionClasses[item.label], item.box[0], item.box[1], item.box[2],
                  static_cast<long long>(item.mask.sum().item<int64_t>()));
    std::printf("\n");
  }
  return 0;
}

}  // namespace legrad::cli
