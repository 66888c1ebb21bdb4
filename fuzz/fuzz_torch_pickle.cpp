// libFuzzer target: arbitrary bytes as the data.pkl of a torch.save archive. A legrad::Error is
// the expected answer to bad input; anything else (crash, other exception, sanitizer report,
// leak) is a bug. Seeds: the golden .bin files' pickles and a small hand-made one.
#include <cstdint>

#include "base/error.h"
#include "model/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    legrad::parse_state_dict_pickle(data, size, "fuzz.bin");
  } catch (const legrad::Error&) {
  }
  return 0;
}
