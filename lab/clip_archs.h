// open_clip's published architectures, for benchmarks with random weights.
#pragma once

#include <string>
#include <vector>

#include "model/clip_config.h"

namespace legrad {

// ViT-B-32, ViT-B-16, ViT-L-14, ViT-H-14, ViT-bigG-14, ViT-B-16-SigLIP with open_clip's dimensions;
// throws legrad::Error for other names.
ClipConfig builtin_arch(const std::string& name);
std::vector<std::string> builtin_arch_names();

}  // namespace legrad
