// Scenes composed from Fashion-MNIST photographs, with a mask per item: the data the toy model
// is trained on (train split) and the localisation benchmark is measured on (test split).
// A textured, noisy background; one to three items of distinct classes at random positions
// and scales, some tinted in a named colour, later items occluding earlier ones. Every scene
// is a pure function of (seed, index).
#pragma once

#include <ATen/Tensor.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lab/fashion_mnist.h"

namespace legrad {

struct SceneOptions {
  int size = 64;  // square canvas
  int min_items = 1;
  int max_items = 3;
  int min_item = 20;  // item edge in pixels (28x28 photographs rescaled)
  int max_item = 34;
  bool tint = true;  // some items tinted red, green, blue or yellow

  // A canvas of `size` with items in the same proportion as the defaults.
  static SceneOptions for_size(int size);
};

struct SceneItem {
  int label = 0;             // Fashion-MNIST class
  std::string colour;        // "white" (untinted), "red", "green", "blue", "yellow"
  at::Tensor mask;           // [size, size] bool: the item's visible pixels
  std::array<int, 4> box{};  // x, y, width, height of the placed photograph
};

struct Scene {
  at::Tensor image;  // [size, size, 3] uint8 RGB
  std::vector<SceneItem> items;
  bool contains(int label) const;
};

class SceneGenerator {
 public:
  // Throws legrad::Error for options that cannot make a scene (sizes, counts).
  SceneGenerator(FashionMnist data, SceneOptions options, uint64_t seed);

  // Frame `frame` of scene `index`: frame 0 is the still scene; in later frames every item has
  // moved along its own straight line (up to 1.5 pixels per frame on each axis), bouncing off
  // the edges, over the same background.
  Scene scene(uint64_t index, int frame = 0) const;
  const SceneOptions& options() const { return options_; }

 private:
  FashionMnist data_;
  SceneOptions options_;
  uint64_t seed_;
  std::array<std::vector<int64_t>, kFashionClassCount>
      by_class_;  // photograph indices of each class
};

// "a photo of a sneaker" for label 7.
std::string class_prompt(int label);

}  // namespace legrad
