// libFuzzer target: arbitrary bytes as a safetensors file. A legrad::Error is the expected
// answer to bad input; anything else (crash, other exception, sanitizer report) is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "base/error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/legrad-fuzz-" + std::to_string(getpid()) + ".safetensors";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    legrad::SafetensorsFile file(path);
    for (const auto& t : file.tensors()) file.load(t.name, at::kFloat);
  } catch (const legrad::Error&) {
  }
  return 0;
}
