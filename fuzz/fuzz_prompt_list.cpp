// libFuzzer target: arbitrary text as a `;`-separated prompt list.
#include <cstdint>
#include <string>

#include "base/error.h"
#include "text/prompt_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const std::string& p : legrad::parse_prompt_list(text))
      if (p.empty() || p.front() == ' ' || p.back() == ' ') __builtin_trap();
  } catch (const legrad::Error&) {
  }
  return 0;
}
