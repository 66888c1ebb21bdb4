// The times a finished fragmented MP4 gives its fragments put right for a segment of a longer
// recording: mp4mux writes the fragments' duration (mehd) and the times of its random access
// points (mfra's tfra) in the stream's running time, so under splitmuxsink each segment after
// the first says it lasts as long as the whole recording so far (players show 18 s for a 2-s
// segment) and seeks to points it does not hold. No GStreamer here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace legrad {

// A time in the file: where its field lies, how wide it is, its value and its timescale.
struct TimeField {
  uint64_t offset = 0;
  int bytes = 0;  // 4 or 8
  uint64_t value = 0;
  uint32_t timescale = 0;
};

// The mehd duration (first, where there is one) and every tfra time of a file, from `head`
// (its first bytes: ftyp and moov) and `tail` (its last bytes, from `tail_offset` on: mfra and
// mfro). Nothing a box claims is read beyond the two; what is cut short is left out.
std::vector<TimeField> fragment_times(const std::string& head, const std::string& tail,
                                      uint64_t tail_offset);

// Takes `start_ns` (the running time the file began at) off those times, in place, where the
// mehd duration shows they count from the recording's start: "" when done or when there is
// nothing to do, else why not.
std::string shift_fragment_times(const std::string& path, uint64_t start_ns);

}  // namespace legrad
