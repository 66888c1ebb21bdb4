#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

#include "../error.h"
#include "../fashion_mnist.h"
#include "../toy_scenes.h"
#include "args.h"
#include "commands.h"

namespace legrad::cli {

// Writes scenes as PNG pictures (and their items to stdout), to look at what the toy model
// learns from and is measured on.
int scenes_command(int argc, char** argv) {
  const Args args(argc, argv, {"out", "count", "seed", "size", "data"}, {"test"});
  if (!args.has("out")) throw Error("--out PREFIX is required");
  const SceneOptions options = SceneOptions::for_size(args.get_int("size", SceneOptions().size));
  const SceneGenerator scenes(FashionMnist::load(args.get("data", kFashionMnistDir), !args.has("test")),
                              options, static_cast<uint64_t>(args.get_int("seed", 1)));
  for (int i = 0; i < args.get_int("count", 8); ++i) {
    const Scene s = scenes.scene(static_cast<uint64_t>(i));
    const at::Tensor rgb = s.image.contiguous();
    cv::Mat view(static_cast<int>(rgb.size(0)), static_cast<int>(rgb.size(1)), CV_8UC3,
                 rgb.data_ptr<uint8_t>());
    cv::Mat bgr;
    cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
    const std::string path = args.get("out") + "_" + std::to_string(i) + ".png";
    if (!cv::imwrite(path, bgr)) throw Error(path + ": cannot write");
    std::printf("%s:", path.c_str());
    for (const SceneItem& item : s.items)
      std::printf(" %s %s (%lld px);", item.colour.c_str(), kFashionClasses[item.label],
                  static_cast<long long>(item.mask.sum().item<int64_t>()));
    std::printf("\n");
  }
  return 0;
}

}  // namespace legrad::cli
