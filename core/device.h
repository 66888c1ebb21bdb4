// Compute device selection: "cpu", "cuda", "cuda:N" (and "auto" where the caller allows it).
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace legrad {

// Parses and checks availability; asking for CUDA from a LibTorch without CUDA, or for a
// device index that does not exist, throws legrad::Error. "auto" picks CUDA when present.
c10::Device parse_device(const std::string& name);

bool cuda_available();

}  // namespace legrad
