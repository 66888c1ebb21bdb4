#include "lab/toy_scenes.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "base/error.h"

namespace legrad {
namespace {

struct Tint {
  const char* name;
  float r, g, b;
};
constexpr Tint kTints[] = {{"white", 1.0f, 1.0f, 1.0f},
                           {"red", 1.0f, 0.25f, 0.2f},
                           {"green", 0.3f, 1.0f, 0.3f},
                           {"blue", 0.3f, 0.45f, 1.0f},
                           {"yellow", 1.0f, 0.9f, 0.2f}};

double overlap(const std::array<int, 4>& a, const std::array<int, 4>& b) {
  const int w = std::min(a[0] + a[2], b[0] + b[2]) - std::max(a[0], b[0]);
  const int h = std::min(a[1] + a[3], b[1] + b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0.0;
  return static_cast<double>(w) * h / std::min(a[2] * a[3], b[2] * b[3]);
}

// Smooth colour gradients, two gratings and pixel noise: [size, size, 3] float in 0..255.
at::Tensor background(int size, std::mt19937_64& rng, at::Generator& gen) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto coords = at::arange(size, at::kFloat);
  const at::Tensor y = coords.view({size, 1}).expand({size, size});
  const at::Tensor x = coords.view({1, size}).expand({size, size});
  std::vector<at::Tensor> channels;
  const double base = 30 + 70 * u(rng);
  for (int c = 0; c < 3; ++c) {
    at::Tensor ch = at::full({size, size}, base + 30 * (u(rng) - 0.5));
    ch = ch + (x * (u(rng) - 0.5) + y * (u(rng) - 0.5)) * (40.0 / size);
    channels.push_back(ch);
  }
  at::Tensor bg = at::stack(channels, 2);
  for (int k = 0; k < 2; ++k) {
    const double angle = u(rng) * M_PI, freq = 2 * M_PI * (2 + 8 * u(rng)) / size;
    const at::Tensor wave =
        at::sin((x * std::cos(angle) + y * std::sin(angle)) * freq + u(rng) * 6.28) *
        (4 + 8 * u(rng));
    bg = bg + wave.unsqueeze(2);
  }
  return bg + at::randn({size, size, 3}, gen) * 6.0;
}

// Position `p` moving inside [0, limit], reflected at both ends.
int bounce(double p, int limit) {
  if (limit <= 0) return 0;
  const double period = 2.0 * limit;
  double m = std::fmod(p, period);
  if (m < 0) m += period;
  return static_cast<int>(std::lround(m <= limit ? m : period - m));
}

}  // namespace

SceneOptions SceneOptions::for_size(int size) {
  SceneOptions o;
  o.min_item = std::max(8, size * o.min_item / o.size);
  o.max_item = std::max(o.min_item, size * o.max_item / o.size);
  o.size = size;
  return o;
}

bool Scene::contains(int label) const {
  return std::any_of(items.begin(), items.end(),
                     [&](const SceneItem& i) { return i.label == label; });
}

std::string class_prompt(int label) {
  if (label < 0 || label >= static_cast<int>(kFashionClasses.size()))
    throw Error("no Fashion-MNIST class " + std::to_string(label));
  return std::string("a photo of a ") + kFashionClasses[label];
}

SceneGenerator::SceneGenerator(FashionMnist data, SceneOptions options, uint64_t seed)
    : data_(std::move(data)), options_(options), seed_(seed) {
  const SceneOptions& o = options_;
  // A scene's items are of distinct classes.
  if (o.size < 16 || o.min_items < 1 || o.max_items < o.min_items ||
      o.max_items > kFashionClassCount || o.min_item < 8 || o.max_item < o.min_item ||
      o.max_item > o.size)
    throw Error("scene options out of range (size >= 16, 1 <= min_items <= max_items <= " +
                std::to_string(kFashionClassCount) + ", 8 <= min_item <= max_item <= size)");
  const auto labels = data_.labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < labels.size(0); ++i) by_class_[labels[i]].push_back(i);
  for (const auto& indices : by_class_)
    if (indices.empty()) throw Error("the Fashion-MNIST split lacks a class");
}

Scene SceneGenerator::scene(uint64_t index, int frame) const {
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + index * 0xBF58476D1CE4E5B9ULL + 1);
  at::Generator gen = at::detail::createCPUGenerator(rng());
  const int size = options_.size;
  at::Tensor canvas = background(size, rng, gen);

  std::vector<int> classes(kFashionClassCount);
  std::iota(classes.begin(), classes.end(), 0);
  std::shuffle(classes.begin(), classes.end(), rng);
  const int count = std::uniform_int_distribution<int>(options_.min_items, options_.max_items)(rng);

  Scene scene;
  for (int n = 0; n < count; ++n) {
    SceneItem item;
    item.label = classes[n];
    const auto& pool = by_class_[item.label];
    const int64_t photo = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
    const int edge = std::uniform_int_distribution<int>(options_.min_item, options_.max_item)(rng);
    // Place it where it covers little of the items before it (a few tries, then anywhere).
    std::array<int, 4> box{};
    for (int attempt = 0; attempt < 20; ++attempt) {
      box = {std::uniform_int_distribution<int>(0, size - edge)(rng),
             std::uniform_int_distribution<int>(0, size - edge)(rng), edge, edge};
      const bool free = std::all_of(scene.items.begin(), scene.items.end(),
                                    [&](const SceneItem& o) { return overlap(box, o.box) < 0.15; });
      if (free) break;
    }
    if (frame != 0) {
      // Motion draws come from their own stream: frame 0 is the still scene.
      std::mt19937_64 motion(seed_ ^
                             (index * 0x94D049BB133111EBULL + static_cast<uint64_t>(n) + 7));
      std::uniform_real_distribution<double> speed(-1.5, 1.5);
      const double vx = speed(motion), vy = speed(motion);
      box[0] = bounce(box[0] + vx * frame, size - edge);
      box[1] = bounce(box[1] + vy * frame, size - edge);
    }
    item.box = box;
    const Tint& tint = options_.tint && std::uniform_real_distribution<double>(0, 1)(rng) < 0.4
                           ? kTints[std::uniform_int_distribution<int>(1, 4)(rng)]
                           : kTints[0];
    item.colour = tint.name;

    const at::Tensor photo_f = data_.images[photo].to(at::kFloat).view({1, 1, 28, 28});
    const at::Tensor scaled =
        at::upsample_bilinear2d(photo_f, std::vector<int64_t>{edge, edge}, false)
            .view({edge, edge});
    // Many photographs are of dark clothes (black pixels are the photo's background): brighten
    // each so its garment averages at least 160, or dark items would be all but invisible
    // while still labelled present.
    const at::Tensor garment = scaled > 10;
    const double mean =
        garment.any().item<bool>() ? scaled.masked_select(garment).mean().item<double>() : 255.0;
    const at::Tensor bright = (scaled * std::max(1.0, 160.0 / mean)).clamp(0, 255);
    const at::Tensor alpha = (bright / 255.0 * 2.5).clamp(0, 1).unsqueeze(2);  // [e, e, 1]
    const at::Tensor colour = at::tensor({tint.r, tint.g, tint.b}).view({1, 1, 3});
    const at::Tensor paint = bright.unsqueeze(2) * colour;
    at::Tensor region = canvas.slice(0, box[1], box[1] + edge).slice(1, box[0], box[0] + edge);
    region.copy_(alpha * paint + (1 - alpha) * region);

    item.mask = at::zeros({size, size}, at::kBool);
    item.mask.slice(0, box[1], box[1] + edge)
        .slice(1, box[0], box[0] + edge)
        .copy_(alpha.squeeze(2) > 0.3);
    for (SceneItem& earlier : scene.items) earlier.mask &= item.mask.logical_not();
    scene.items.push_back(std::move(item));
  }
  scene.image = canvas.round().clamp(0, 255).to(at::kByte).contiguous();
  return scene;
}

}  // namespace legrad
