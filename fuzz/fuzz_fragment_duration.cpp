// libFuzzer target: arbitrary bytes as the head and tail of an MP4 segment whose times
// legradrecordsink puts right (a file on disk anyone may have written to). The first two bytes
// say how long the head is. Every time found lies inside the bytes it was read from.
#include <cstdint>
#include <string>

#include "legradfragmentduration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t head_size = std::min(bytes.size(), size_t(data[0]) << 8 | data[1]);
  const std::string head = bytes.substr(0, head_size), tail = bytes.substr(head_size);
  const uint64_t tail_offset = 1u << 20;  // as far from the head as a real file's
  for (const legrad::TimeField& t : legrad::fragment_times(head, tail, tail_offset)) {
    const bool in_head = t.offset + t.bytes <= head.size();
    const bool in_tail = t.offset >= tail_offset && t.offset + t.bytes <= tail_offset + tail.size();
    if ((t.bytes != 4 && t.bytes != 8) || !(in_head || in_tail)) __builtin_trap();
  }
  return 0;
}
