// libFuzzer target: arbitrary text as an open_clip model config, and as a transformers
// CLIPConfig or SiglipConfig (and its preprocessor config), and as a sharded checkpoint's index.
#include <cstdint>
#include <string>

#include "base/error.h"
#include "model/clip_config.h"
#include "model/hf_transformers.h"
#include "model/weight_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    legrad::is_open_clip_config(text);
    legrad::parse_clip_config(text, "fuzz");
  } catch (const legrad::Error&) {
  }
  try {
    legrad::is_supported_hf_config(text);
    legrad::parse_hf_config(text, "fuzz", text);
  } catch (const legrad::Error&) {
  }
  try {
    legrad::parse_shard_index(text, "fuzz");
  } catch (const legrad::Error&) {
  }
  return 0;
}
