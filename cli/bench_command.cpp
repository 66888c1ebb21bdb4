#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "lab/clip_archs.h"
#include "model/clip_model.h"
#include "base/device.h"
#include "base/error.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "lab/random_init.h"
#include "model/transformer.h"
#include "model/weight_source.h"
#include "args.h"
#include "commands.h"

namespace legrad::cli {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kB on Linux
}

// A 640x480 picture with gradients and a disc, the same every run.
at::Tensor bench_frame(int width, int height) {
  at::Tensor y = at::arange(height, at::kFloat).view({height, 1}).expand({height, width});
  at::Tensor x = at::arange(width, at::kFloat).view({1, width}).expand({height, width});
  at::Tensor disc = ((x - width * 0.35).pow(2) + (y - height * 0.5).pow(2))
                        .lt(std::pow(height * 0.25, 2))
                        .to(at::kFloat);
  return at::stack({40 + 150 * x / width + 60 * disc, 30 + 120 * y / height, 200 - 150 * disc}, 2)
      .clamp(0, 255)
      .to(at::kByte)
      .contiguous();
}

struct FrameTimes {
  double total = 0, preprocess = 0, forward = 0, gradients = 0, postprocess = 0;
};

// One frame as the element runs it: the engine's preprocessing and explanation (a graph
// replay where the engine records one), heatmaps back on the host.
FrameTimes run_frame(const LegradEngine& engine, const ImageView& frame, const PromptSet& prompts,
                     bool synchronize) {
  const auto start = Clock::now();
  const at::Tensor pixels = engine.preprocess(frame);
  if (synchronize) synchronize_device(engine.model().device());
  FrameTimes t;
  t.preprocess = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  const Explanation ex = engine.explain_pixels(pixels, prompts);
  const at::Tensor maps = ex.heatmaps.cpu();  // waits for the device
  t.total = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  t.forward = ex.timings.forward_ms;
  t.gradients = ex.timings.gradient_ms;
  t.postprocess = ex.timings.postprocess_ms;
  return t;
}

// The model of --arch (random weights) or --model, without a tokenizer: the bench's prompts
// are random unit vectors.
std::shared_ptr<const LoadedModel> bench_model(const Args& args, const std::string& device_name,
                                               at::ScalarType dtype) {
  auto loaded = std::make_shared<LoadedModel>();
  loaded->device = device_name;
  const c10::Device device = parse_device(device_name);
  if (args.has("arch")) {
    const ClipConfig cfg = builtin_arch(args.get("arch"));
    loaded->model = std::make_shared<ClipModel>(
        cfg, TensorWeights(random_clip_weights(cfg, 0), "random " + args.get("arch")), device,
        dtype);
  } else {
    loaded->files = locate_model_files(args.get("model"));
    loaded->model = load_clip_model(loaded->files, device, dtype);
  }
  return loaded;
}

}  // namespace

int bench_command(int argc, char** argv) {
  const Args args(argc, argv,
                  {"arch", "model", "size", "prompts", "iters", "warmup", "device", "dtype",
                   "threads", "layer-index"},
                  {"json", "no-cuda-graph"});
  if (args.has("arch") == args.has("model")) throw Error("give one of --arch NAME or --model PATH");
  set_compute_threads(args.get_int("threads", 0));
  const std::string device_name = args.get("device", kDefaultDevice);
  const c10::Device device = parse_device(device_name);
  const std::string dtype_name = args.get("dtype", "fp32");
  const at::ScalarType dtype = parse_dtype(dtype_name, device);
  const int prompts = args.get_int("prompts", 1);
  const int iters = args.get_int("iters", 10);
  const int warmup = args.get_int("warmup", 2);
  if (prompts < 1 || iters < 1 || warmup < 0) throw Error("--prompts and --iters must be >= 1");

  const std::string label = args.has("arch") ? args.get("arch") : args.get("model");
  const auto loaded = bench_model(args, device_name, dtype);
  EngineOptions options;
  options.input_size = args.get_int("size", 0);
  options.layer_index = args.get_int("layer-index", kDefaultLayerIndex);
  options.cuda_graphs = !args.has("no-cuda-graph");
  const LegradEngine engine(loaded, options);
  const int size = engine.input_size();
  // Text embeddings are computed once per prompt set, never per frame: random unit vectors.
  PromptSet prompt_set;
  prompt_set.texts.assign(prompts, "random prompt");
  prompt_set.embeddings = l2_normalize(at::randn({prompts, loaded->model->config().embed_dim},
                                                 at::detail::createCPUGenerator(1)));
  const at::Tensor frame_pixels = bench_frame(640, 480);
  const ImageView frame = image_view(frame_pixels);

  reset_device_peak(device);
  std::vector<double> total, pre, fwd, grad, post;
  auto record_breakdown = [&](const FrameTimes& t) {
    pre.push_back(t.preprocess);
    fwd.push_back(t.forward);
    grad.push_back(t.gradients);
    post.push_back(t.postprocess);
  };
  for (int i = 0; i < warmup + iters; ++i) {
    const FrameTimes t = run_frame(engine, frame, prompt_set, false);
    if (i < warmup) continue;
    total.push_back(t.total);
    if (device.is_cpu()) record_breakdown(t);
  }
  const bool graphed = engine.uses_cuda_graph(prompts);
  // On CUDA the split needs a wait at each step (and plain launches, not a graph), which would
  // slow the frames timed above.
  const int breakdown_frames = device.is_cpu() ? iters : std::min(iters, 20);
  if (!device.is_cpu()) {
    options.cuda_graphs = false;
    options.synchronize_timings = true;
    const LegradEngine measuring(loaded, options);
    for (int i = 0; i < breakdown_frames; ++i)
      record_breakdown(run_frame(measuring, frame, prompt_set, true));
  }
  const int64_t device_peak = device_peak_bytes(device);
  const double device_mb = device_peak / (1024.0 * 1024.0);

  const double med = median(total);
  const double best = *std::min_element(total.begin(), total.end());
  nlohmann::ordered_json result = {
      {"model", label}, {"size", size}, {"prompts", prompts}, {"device", device.str()},
      {"dtype", dtype_name}, {"cuda_graph", graphed}, {"threads", at::get_num_threads()},
      {"iters", iters},
      {"median_ms", med}, {"min_ms", best}, {"fps", 1000.0 / med},
      {"peak_rss_mb", peak_rss_mb()},
      {"peak_device_mb", device_peak >= 0 ? nlohmann::json(device_mb) : nlohmann::json()},
      {"breakdown_ms", {{"preprocess", median(pre)}, {"forward", median(fwd)},
                        {"gradients", median(grad)}, {"postprocess", median(post)}}}};
  std::printf("%s  S=%d  P=%d  %s %s%s  threads=%d  iters=%d\n", label.c_str(), size, prompts,
              device.str().c_str(), dtype_name.c_str(), graphed ? " (CUDA graph)" : "",
              at::get_num_threads(), iters);
  const std::string device_memory =
      device_peak >= 0 ? std::to_string(static_cast<int>(device_mb + 0.5)) + " MB" : "n/a";
  std::printf("  median %.2f ms  min %.2f ms  %.2f fps  peak RSS %.0f MB  peak device memory %s\n",
              med, best, 1000.0 / med, peak_rss_mb(), device_memory.c_str());
  std::printf("  breakdown (median ms of %d%s frames): preprocess %.2f  forward %.2f  "
              "gradients %.2f  post-process %.2f\n",
              breakdown_frames, device.is_cpu() ? "" : " synchronised", median(pre), median(fwd),
              median(grad), median(post));
  if (args.has("json")) std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace legrad::cli
