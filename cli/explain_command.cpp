#include <ATen/ATen.h>

#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "heatmap/colormap.h"
#include "heatmap/drawing.h"
#include "heatmap/heatmap_view.h"
#include "model/clip_model.h"
#include "model/safetensors.h"

namespace legrad::cli {
namespace {

// "A red car!" -> "a-red-car", for file names.
std::string slug(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c))
      out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
    if (out.size() >= 40) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "prompt" : out;
}

}  // namespace

std::string explain_usage() {
  return usage_lines({
      "explain [--model DIR|FILE] --prompts \"a cat;a remote control\" --out PREFIX IMAGE",
      "        [--size S] [--method " + method_names("|") + "]",
      "        [--layer-index " + std::to_string(kDefaultLayerIndex) + "] [--device " +
          kDefaultDevice + "|cuda|cuda:N] [--dtype " + dtype_names("|") + "]",
      "        [--vocab FILE] [--threads N]",
      "        [--correction-text \"" + std::string(kDefaultCorrectionText) +
          "\"] [--correction-threshold " + number(kDefaultCorrectionThreshold) + "]",
      "        [--colormap " + colormap_names("|") + "] [--alpha " + number(kDefaultAlpha) + "]",
      "    Writes PREFIX_<i>_<prompt>.png overlays and PREFIX_heatmaps.safetensors, prints each",
      "    prompt's presence score. --model defaults to the bundled model. The correction",
      "    options apply to SigLIP models (\"\" turns the reference's correction off).",
  });
}

namespace {

ModelRequest model_request_from(const Args& args) {
  return model_request(args.get("model", default_model_path()), args.get("vocab"),
                       args.get("device", kDefaultDevice), args.get("dtype", kDefaultDtype));
}

EngineOptions engine_options_from(const Args& args) {
  EngineOptions options;
  options.input_size = args.get_int("size", 0);
  options.layer_index = args.get_int("layer-index", kDefaultLayerIndex);
  options.correction_text = args.get("correction-text", kDefaultCorrectionText);
  options.correction_threshold =
      args.get_double("correction-threshold", kDefaultCorrectionThreshold);
  return options;
}

cv::Mat read_rgb(const std::string& path) {
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw Error(path + ": cannot read the image");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// PREFIX_<i>_<prompt>.png per prompt, each printed with its score and, where the model
// gives one, its presence probability.
void write_overlays(const cv::Mat& rgb, const Explanation& ex, const at::Tensor& probability,
                    const std::vector<std::string>& texts, int input_size,
                    const std::string& prefix, Colormap colormap, double alpha) {
  const at::Tensor maps = ex.heatmaps.to(at::kCPU, at::kFloat).contiguous();
  std::printf("%-40s  score%s\n", "prompt", probability.defined() ? "    probability" : "");
  for (size_t p = 0; p < texts.size(); ++p) {
    const HeatmapView map{maps[p].data_ptr<float>(), input_size, input_size};
    // Drawn as legradoverlay draws one prompt: each pixel's opacity alpha x heat.
    cv::Mat overlay = rgb.clone();
    const Canvas canvas =
        rgb_canvas(packed_pixels<uint8_t>(overlay.data, overlay.cols, overlay.rows,
                                          static_cast<int64_t>(overlay.step), PixelFormat::RGB));
    HeatColours colours;
    colours.colormap = colormap;
    blend_heatmaps(canvas, {0, 0, overlay.cols, overlay.rows}, {map}, colours, alpha);
    cv::cvtColor(overlay, overlay, cv::COLOR_RGB2BGR);
    const std::string png = prefix + "_" + std::to_string(p) + "_" + slug(texts[p]) + ".png";
    if (!cv::imwrite(png, overlay)) throw Error(png + ": cannot write");
    char shown[32] = "";
    if (probability.defined())
      std::snprintf(shown, sizeof shown, "%-11.3f  ", probability[p].item<double>());
    std::printf("%-40s  %+.4f  %s-> %s\n", texts[p].c_str(), ex.scores[p].item<double>(), shown,
                png.c_str());
  }
}

}  // namespace

int explain_command(int argc, char** argv) {
  const Args args(
      argc, argv,
      {"model", "prompts", "size", "layer-index", "device", "dtype", "vocab", "out", "colormap",
       "alpha", "threads", "method", "correction-text", "correction-threshold"});
  if (args.positional().size() != 1) throw Error("give exactly one IMAGE");
  if (!args.has("prompts")) throw Error("--prompts is required");
  if (!args.has("out")) throw Error("--out PREFIX is required");
  const std::string image_path = args.positional()[0];
  const Colormap colormap =
      parse_colormap(args.get("colormap", colormap_info(kDefaultColormap).name));
  const double alpha = args.get_double("alpha", kDefaultAlpha);
  if (!(alpha >= 0.0 && alpha <= 1.0)) throw Error("--alpha must lie in [0, 1]");

  set_compute_threads(args.get_int("threads", 0));
  const LegradEngine engine(model_request_from(args), engine_options_from(args));
  const PromptSet prompts = engine.encode_prompts(parse_prompt_list(args.get("prompts")));
  const cv::Mat rgb = read_rgb(image_path);
  const ImageView view = packed_pixels<const uint8_t>(
      rgb.data, rgb.cols, rgb.rows, static_cast<int64_t>(rgb.step), PixelFormat::RGB);
  const Explanation ex =
      engine.explain(view, prompts, parse_method(args.get("method", method_name(kDefaultMethod))));

  const std::string prefix = args.get("out");
  write_overlays(rgb, ex, engine.model().presence_probability(ex.scores), prompts.texts,
                 engine.input_size(), prefix, colormap, alpha);
  const std::string st = prefix + "_heatmaps.safetensors";
  write_safetensors(st,
                    {{"heatmaps", ex.heatmaps.cpu()},
                     {"scores", ex.scores.to(at::kCPU, at::kFloat)},
                     {"layer_grids", ex.layer_grids.cpu()}},
                    {{"prompts", join_prompt_list(prompts.texts)}, {"image", image_path}});
  std::printf("heatmaps [%zu, %d, %d] -> %s\n", prompts.texts.size(), engine.input_size(),
              engine.input_size(), st.c_str());
  return 0;
}

}  // namespace legrad::cli
