// The explainers' maps of a Fashion-MNIST scene's items, for the benchmarks that score them
// (localisation, perturbation): each item prompted by its class.
#pragma once

#include <ATen/Tensor.h>

#include "engine/engine.h"
#include "lab/toy_scenes.h"

namespace legrad {

// The ten class prompts, "a photo of a t-shirt" ... "a photo of an ankle boot", in class order.
PromptSet class_prompts(const LegradEngine& engine);

// The prompts of the scene's items, in item order (rows of `all`, the class prompts).
PromptSet item_prompts(const PromptSet& all, const Scene& scene);

// The method's maps of the items [items, size, size] on the CPU, at the scene's size `size`
// (maps explained at another input size are area-averaged to it); adds the explaining time
// to `seconds` where given.
at::Tensor item_maps(const LegradEngine& engine, const Scene& scene, const PromptSet& present,
                     ExplainMethod method, int size, double* seconds = nullptr);

}  // namespace legrad
