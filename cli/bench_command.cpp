#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "engine/model_session.h"
#include "lab/clip_archs.h"
#include "lab/compute_rate.h"
#include "lab/op_profile.h"
#include "lab/random_init.h"
#include "lab/stream_bench.h"
#include "model/clip_model.h"
#include "model/transformer.h"
#include "model/weight_source.h"

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

constexpr uint64_t kBenchSeed = 0;  // --arch's weights, here and in --write-model

// The model of --arch (random weights) or --model, without a tokenizer: the bench's prompts
// are random unit vectors.
std::shared_ptr<const LoadedModel> bench_model(const Args& args, c10::Device device,
                                               at::ScalarType dtype) {
  auto loaded = std::make_shared<LoadedModel>();
  loaded->device = device;
  if (args.has("arch")) {
    const ClipConfig cfg = builtin_arch(args.get("arch"));
    loaded->model = std::make_shared<ClipModel>(
        cfg, TensorWeights(random_clip_weights(cfg, kBenchSeed), "random " + args.get("arch")),
        device, dtype);
  } else {
    loaded->files = locate_model_files(args.get("model"));
    loaded->model = load_clip_model(loaded->files, device, dtype);
  }
  return loaded;
}

// The bench's settings, from its arguments.
struct BenchSetup {
  std::string label;  // the architecture or the model path
  std::string dtype_name;
  c10::Device device = c10::kCPU;
  at::ScalarType dtype = at::kFloat;
  int prompts = 1, iters = 10, warmup = 2;
  int profile_frames = 0;  // --profile N: N more frames under LibTorch's profiler
  EngineOptions options;
};

BenchSetup bench_setup(const Args& args) {
  BenchSetup s;
  s.device = parse_device(args.get("device", kDefaultDevice));
  s.dtype = parse_dtype(args.get("dtype", kDefaultDtype), s.device);
  s.dtype_name = dtype_name(s.dtype);
  s.prompts = args.get_int("prompts", s.prompts);
  s.iters = args.get_int("iters", s.iters);
  s.warmup = args.get_int("warmup", s.warmup);
  s.profile_frames = args.get_int("profile", 0);
  if (s.prompts < 1 || s.iters < 1 || s.warmup < 0 || s.profile_frames < 0)
    throw Error("--prompts and --iters must be >= 1, --warmup and --profile >= 0");
  s.label = args.has("arch") ? args.get("arch") : args.get("model");
  s.options.input_size = args.get_int("size", 0);
  s.options.layer_index = args.get_int("layer-index", kDefaultLayerIndex);
  s.options.cuda_graphs = !args.has("no-cuda-graph");
  s.options.prompts_per_pass = args.get_int("prompts-per-pass", 0);
  return s;
}

// Text embeddings are computed once per prompt set, never per frame: random unit vectors.
PromptSet random_prompts(int count, int64_t embed_dim) {
  PromptSet prompts;
  prompts.texts.assign(count, "random prompt");
  prompts.embeddings =
      l2_normalize(at::randn({count, embed_dim}, at::detail::createCPUGenerator(1)));
  return prompts;
}

// The engine's options for `loaded`: SigLIP's correction text is one more random unit vector
// (the bench has no tokenizer), so that its cost, one more prompt's gradients, is counted.
EngineOptions engine_options(const BenchSetup& s, const LoadedModel& loaded) {
  EngineOptions options = s.options;
  const ClipConfig& cfg = loaded.model->config();
  if (cfg.siglip())
    options.correction_embedding =
        l2_normalize(at::randn({1, cfg.embed_dim}, at::detail::createCPUGenerator(2)));
  return options;
}

// Per-step times of the frames, in milliseconds.
struct Breakdown {
  std::vector<double> pre, fwd, grad, post;
  void add(const FrameTimes& t) {
    pre.push_back(t.preprocess);
    fwd.push_back(t.forward);
    grad.push_back(t.gradients);
    post.push_back(t.postprocess);
  }
};

struct BenchResult {
  int size = 0;  // the input size the engine explains at
  bool graphed = false;
  std::vector<double> total;  // ms per timed frame
  Breakdown breakdown;
  int breakdown_frames = 0;
  int64_t device_peak = -1;  // bytes; < 0: not known
  double forward_flops = 0;  // the vision tower's, counted from the config
  double matmul_rate = 0;    // FLOP/s this device reaches on the model's largest product
  std::vector<OpTime> profile;

  double median_ms() const { return median(total); }
  double forward_rate() const { return forward_flops / (median(breakdown.fwd) / 1000.0); }
  double min_ms() const { return *std::min_element(total.begin(), total.end()); }
  double device_mb() const { return device_peak / (1024.0 * 1024.0); }
};

// An engine with plain launches and a wait at each timing point, for the measurements a CUDA
// graph would hide.
std::unique_ptr<LegradEngine> step_by_step_engine(
    const BenchSetup& s, const std::shared_ptr<const LoadedModel>& loaded) {
  EngineOptions options = engine_options(s, *loaded);
  options.cuda_graphs = false;
  options.synchronize_timings = true;
  return std::make_unique<LegradEngine>(loaded, options);
}

// On CUDA the split needs a wait at each step (and plain launches, not a graph), which would
// slow the frames timed with the graph: a second engine times it afterwards.
void add_synchronised_breakdown(BenchResult& r, const BenchSetup& s,
                                const std::shared_ptr<const LoadedModel>& loaded,
                                const ImageView& frame, const PromptSet& prompts) {
  const auto measuring = step_by_step_engine(s, loaded);
  for (int i = 0; i < r.breakdown_frames; ++i)
    r.breakdown.add(run_frame(*measuring, frame, prompts, true));
}

// Operator self times over s.profile_frames frames (plain launches on CUDA: a graph replay
// hides its operators).
std::vector<OpTime> profile_frames(const BenchSetup& s,
                                   const std::shared_ptr<const LoadedModel>& loaded,
                                   const ImageView& frame, const PromptSet& prompts) {
  const auto profiled = step_by_step_engine(s, loaded);
  return profile_ops([&] {
    for (int i = 0; i < s.profile_frames; ++i) run_frame(*profiled, frame, prompts, true);
  });
}

BenchResult measure(const BenchSetup& s, const std::shared_ptr<const LoadedModel>& loaded) {
  const LegradEngine engine(loaded, engine_options(s, *loaded));
  BenchResult r;
  r.size = engine.input_size();
  const PromptSet prompts = random_prompts(s.prompts, loaded->model->config().embed_dim);
  const at::Tensor frame_pixels = bench_frame(640, 480);
  const ImageView frame = image_view(frame_pixels);
  reset_device_peak(s.device);
  for (int i = 0; i < s.warmup + s.iters; ++i) {
    const FrameTimes t = run_frame(engine, frame, prompts, false);
    if (i < s.warmup) continue;
    r.total.push_back(t.total);
    if (s.device.is_cpu()) r.breakdown.add(t);
  }
  r.graphed = engine.uses_cuda_graph(s.prompts);
  r.breakdown_frames = s.device.is_cpu() ? s.iters : std::min(s.iters, 20);
  if (!s.device.is_cpu()) add_synchronised_breakdown(r, s, loaded, frame, prompts);
  r.device_peak = device_peak_bytes(s.device);
  const ClipConfig& cfg = loaded->model->config();
  r.forward_flops = vision_forward_flops(cfg.vision, cfg.embed_dim, r.size);
  r.matmul_rate = matmul_rate(cfg.vision, r.size, s.device, s.dtype);
  if (s.profile_frames > 0) r.profile = profile_frames(s, loaded, frame, prompts);
  return r;
}

nlohmann::ordered_json result_json(const BenchSetup& s, const BenchResult& r) {
  const Breakdown& b = r.breakdown;
  return {{"model", s.label},
          {"size", r.size},
          {"prompts", s.prompts},
          {"device", s.device.str()},
          {"dtype", s.dtype_name},
          {"cuda_graph", r.graphed},
          {"threads", at::get_num_threads()},
          {"iters", s.iters},
          {"median_ms", r.median_ms()},
          {"min_ms", r.min_ms()},
          {"fps", 1000.0 / r.median_ms()},
          {"peak_rss_mb", peak_rss_mb()},
          {"peak_device_mb", r.device_peak >= 0 ? nlohmann::json(r.device_mb()) : nlohmann::json()},
          {"breakdown_ms",
           {{"preprocess", median(b.pre)},
            {"forward", median(b.fwd)},
            {"gradients", median(b.grad)},
            {"postprocess", median(b.post)}}},
          {"forward_gflop", r.forward_flops / 1e9},
          {"forward_gflops", r.forward_rate() / 1e9},
          {"matmul_gflops", r.matmul_rate / 1e9}};
}

// The operators with the largest self time, per frame.
void print_profile(const BenchSetup& s, const BenchResult& r) {
  constexpr size_t kShown = 20;
  const double frames = s.profile_frames;
  double total = 0;
  for (const OpTime& op : r.profile) total += op.self_ms;
  std::printf("  profile (%d frames, plain launches; self ms per frame):\n", s.profile_frames);
  for (size_t i = 0; i < std::min(kShown, r.profile.size()); ++i) {
    const OpTime& op = r.profile[i];
    std::printf("    %-20s %-36s %9.2f ms %5.1f%%  %6.1f calls\n", op.scope.c_str(),
                op.name.c_str(), op.self_ms / frames, 100.0 * op.self_ms / total,
                op.calls / frames);
  }
}

void print_result(const BenchSetup& s, const BenchResult& r) {
  std::printf("%s  S=%d  P=%d  %s %s%s  threads=%d  iters=%d\n", s.label.c_str(), r.size, s.prompts,
              s.device.str().c_str(), s.dtype_name.c_str(), r.graphed ? " (CUDA graph)" : "",
              at::get_num_threads(), s.iters);
  const std::string device_memory =
      r.device_peak >= 0 ? std::to_string(static_cast<int>(r.device_mb() + 0.5)) + " MB" : "n/a";
  std::printf("  median %.2f ms  min %.2f ms  %.2f fps  peak RSS %.0f MB  peak device memory %s\n",
              r.median_ms(), r.min_ms(), 1000.0 / r.median_ms(), peak_rss_mb(),
              device_memory.c_str());
  const Breakdown& b = r.breakdown;
  std::printf(
      "  breakdown (median ms of %d%s frames): preprocess %.2f  forward %.2f  "
      "gradients %.2f  post-process %.2f\n",
      r.breakdown_frames, s.device.is_cpu() ? "" : " synchronised", median(b.pre), median(b.fwd),
      median(b.grad), median(b.post));
  std::printf(
      "  forward: %.1f GFLOP, %.0f GFLOP/s = %.0f%% of this device's matrix-product rate in %s "
      "(%.0f GFLOP/s)\n",
      r.forward_flops / 1e9, r.forward_rate() / 1e9, 100.0 * r.forward_rate() / r.matmul_rate,
      s.dtype_name.c_str(), r.matmul_rate / 1e9);
  if (!r.profile.empty()) print_profile(s, r);
}

// --streams N: N streams on the model at once, batched with --batch B > 1.
int bench_streams(const Args& args, const BenchSetup& s) {
  // As in the element, LibTorch runs on the compute thread only (see compute_thread.h).
  const auto compute = device_compute_thread(s.device);
  const auto loaded = compute->call([&] { return bench_model(args, s.device, s.dtype); });
  const auto session = std::make_shared<ModelSession>(compute, loaded);
  StreamBenchSettings settings;
  settings.streams = args.get_int("streams", settings.streams);
  const int batch = args.get_int("batch", static_cast<int>(settings.batch_size));
  const int timeout = args.get_int("batch-timeout", static_cast<int>(settings.batch_timeout_ms));
  if (settings.streams < 1 || batch < 1 || timeout < 0)
    throw Error("--streams and --batch must be >= 1, --batch-timeout >= 0");
  settings.batch_size = static_cast<unsigned>(batch);
  settings.batch_timeout_ms = static_cast<unsigned>(timeout);
  settings.frames = s.iters;
  settings.warmup = s.warmup;
  const at::Tensor pixels = compute->call([] { return bench_frame(640, 480); });
  const auto prompts = std::make_shared<const PromptSet>(
      compute->call([&] { return random_prompts(s.prompts, loaded->model->config().embed_dim); }));
  const StreamBenchResult r =
      run_stream_bench(session, engine_options(s, *loaded), rgb_planes(pixels), prompts, settings);
  std::printf("%s  P=%d  %s %s  threads=%d  %d streams  batch %u (timeout %u ms)  %d frames each\n",
              s.label.c_str(), s.prompts, s.device.str().c_str(), s.dtype_name.c_str(),
              at::get_num_threads(), settings.streams, settings.batch_size,
              settings.batch_timeout_ms, settings.frames);
  std::printf("  aggregate %.2f fps  per stream", r.aggregate_fps);
  for (double fps : r.per_stream_fps) std::printf(" %.2f", fps);
  std::printf(" fps  median %.2f ms a frame  %.2f frames per forward pass\n", r.median_ms,
              r.mean_batch);
  if (args.has("json")) {
    const nlohmann::ordered_json j = {{"model", s.label},
                                      {"prompts", s.prompts},
                                      {"device", s.device.str()},
                                      {"dtype", s.dtype_name},
                                      {"streams", settings.streams},
                                      {"batch", settings.batch_size},
                                      {"batch_timeout_ms", settings.batch_timeout_ms},
                                      {"frames", settings.frames},
                                      {"aggregate_fps", r.aggregate_fps},
                                      {"per_stream_fps", r.per_stream_fps},
                                      {"median_ms", r.median_ms},
                                      {"mean_batch", r.mean_batch}};
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

}  // namespace

std::string bench_usage() {
  return usage_lines({
      "bench (--arch " + joined(builtin_arch_names(), "|") + " | --model PATH)",
      "      [--size S] [--prompts 1] [--iters 10] [--warmup 2] [--device " +
          std::string(kDefaultDevice) + "|cuda[:N]]",
      "      [--dtype " + dtype_names("|") + "] [--threads N] [--layer-index " +
          std::to_string(kDefaultLayerIndex) + "] [--no-cuda-graph] [--profile N] [--json]",
      "      [--prompts-per-pass N]",
      "    Times a frame through the engine as the element runs it (random weights for --arch),",
      "    and the forward pass's FLOP rate against this device's measured matrix-product rate;",
      "    --profile N: N more frames under LibTorch's profiler, operators by self time;",
      "    --prompts-per-pass N: prompts per gradient pass (0: as a memory budget allows);",
      "    --json ends with one JSON line.",
      "bench (--arch NAME | --model PATH) --streams N [--batch B] [--batch-timeout MS] [...]",
      "    N streams sending frames at once to one model, each frame alone or batched across",
      "    streams (B frames at most); aggregate and per-stream fps, median ms a frame.",
      "bench --arch NAME --write-model DIR",
      "    Writes that random-weight model as an open_clip folder (for the element; add a "
      "vocabulary).",
  });
}

int bench_command(int argc, char** argv) {
  const Args args(argc, argv,
                  {"arch", "model", "size", "prompts", "iters", "warmup", "device", "dtype",
                   "threads", "layer-index", "write-model", "profile", "streams", "batch",
                   "batch-timeout", "prompts-per-pass"},
                  {"json", "no-cuda-graph"});
  if (args.has("arch") == args.has("model")) throw Error("give one of --arch NAME or --model PATH");
  if (args.has("write-model")) {
    if (!args.has("arch")) throw Error("--write-model writes the model of --arch");
    write_random_model(builtin_arch(args.get("arch")), kBenchSeed, args.get("write-model"));
    std::printf("wrote %s (random %s)\n", args.get("write-model").c_str(),
                args.get("arch").c_str());
    return 0;
  }
  set_compute_threads(args.get_int("threads", 0));
  const BenchSetup setup = bench_setup(args);
  if (args.has("streams")) return bench_streams(args, setup);
  const BenchResult result = measure(setup, bench_model(args, setup.device, setup.dtype));
  const nlohmann::ordered_json json = result_json(setup, result);
  print_result(setup, result);
  if (args.has("json")) std::printf("%s\n", json.dump().c_str());
  return 0;
}

}  // namespace legrad::cli
