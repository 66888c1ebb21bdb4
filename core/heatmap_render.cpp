#include "heatmap_render.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include "error.h"

namespace legrad {

Colormap parse_colormap(const std::string& name) {
  if (name == "jet") return Colormap::Jet;
  if (name == "turbo") return Colormap::Turbo;
  if (name == "inferno") return Colormap::Inferno;
  if (name == "viridis") return Colormap::Viridis;
  throw Error("unknown colour map '" + name + "' (jet, turbo, inferno, viridis)");
}

cv::Mat heatmap_to_size(const at::Tensor& heatmap, int width, int height) {
  if (heatmap.dim() != 2) throw Error("heatmap must be two-dimensional");
  at::Tensor h = heatmap.detach().to(at::kCPU, at::kFloat).contiguous();
  cv::Mat src(static_cast<int>(h.size(0)), static_cast<int>(h.size(1)), CV_32F, h.data_ptr<float>());
  cv::Mat out;
  cv::resize(src, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  cv::min(cv::max(out, 0.0), 1.0, out);
  return out;
}

cv::Mat colorize(const cv::Mat& heatmap, Colormap map) {
  static const int kCv[] = {cv::COLORMAP_JET, cv::COLORMAP_TURBO, cv::COLORMAP_INFERNO,
                            cv::COLORMAP_VIRIDIS};
  cv::Mat u8, bgr, rgb;
  heatmap.convertTo(u8, CV_8U, 255.0);
  cv::applyColorMap(u8, bgr, kCv[static_cast<int>(map)]);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat blend(const cv::Mat& frame_rgb, const cv::Mat& colors_rgb, double alpha) {
  cv::Mat out;
  cv::addWeighted(frame_rgb, 1.0 - alpha, colors_rgb, alpha, 0.0, out);
  return out;
}

}  // namespace legrad
