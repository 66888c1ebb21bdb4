#include "device.h"

#include <ATen/Context.h>

#include "error.h"

namespace legrad {

bool cuda_available() { return at::hasCUDA() && at::getNumGPUs() > 0; }

c10::Device parse_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "auto") return cuda_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (name.rfind("cuda", 0) != 0)
    throw Error("unknown device '" + name + "' (use cpu, cuda, cuda:N or auto)");
  int index = 0;
  if (name.size() > 4) {
    if (name[4] != ':' || name.size() == 5 ||
        name.find_first_not_of("0123456789", 5) != std::string::npos)
      throw Error("unknown device '" + name + "' (use cpu, cuda, cuda:N or auto)");
    index = std::stoi(name.substr(5));
  }
  if (!at::hasCUDA())
    throw Error("device '" + name + "' requested, but this LibTorch was built without CUDA " +
                "(build against a CUDA LibTorch with -Dtorch_prefix=...)");
  const int count = static_cast<int>(at::getNumGPUs());
  if (index >= count)
    throw Error("device '" + name + "' requested, but only " + std::to_string(count) +
                " CUDA device(s) are visible");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace legrad
