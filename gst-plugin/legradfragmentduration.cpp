#include "legradfragmentduration.h"

#include <fstream>
#include <map>
#include <optional>

namespace legrad {

namespace {

constexpr size_t kReadBytes = 1 << 20;  // moov and mfra are small

uint64_t big_endian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | uint8_t(s[at + i]);
  return v;
}

struct Box {
  size_t payload = 0, end = 0;  // the payload's start and the box's end, in the string
};

// The boxes of type `type` among those in [from, to) of `s`; a box cut short ends the search.
std::vector<Box> boxes(const std::string& s, size_t from, size_t to, const char* type) {
  std::vector<Box> out;
  size_t at = from;
  while (at + 8 <= to) {
    uint64_t size = big_endian(s, at, 4);
    size_t header = 8;
    if (size == 1) {
      if (at + 16 > to) break;
      size = big_endian(s, at + 8, 8);
      header = 16;
    } else if (size == 0) {
      size = to - at;
    }
    if (size < header || size > to - at) break;
    if (s.compare(at + 4, 4, type) == 0) out.push_back({at + header, at + size_t(size)});
    at += size_t(size);
  }
  return out;
}

std::optional<Box> box(const std::string& s, const Box& in, const char* type) {
  const auto found = boxes(s, in.payload, in.end, type);
  return found.empty() ? std::nullopt : std::optional<Box>(found.front());
}

// A full box's field at `skip` bytes past its version and flags: `v0` or `v1` bytes wide.
std::optional<TimeField> field(const std::string& s, const Box& b, size_t skip0, size_t skip1,
                               int v0, int v1) {
  if (b.payload + 4 > b.end) return std::nullopt;
  const bool one = s[b.payload] == 1;
  TimeField f;
  f.offset = b.payload + 4 + (one ? skip1 : skip0);
  f.bytes = one ? v1 : v0;
  if (f.offset + f.bytes > b.end) return std::nullopt;
  f.value = big_endian(s, f.offset, f.bytes);
  return f;
}

// The tfra times of mfra (in `tail`), each in its track's timescale.
void tfra_times(const std::string& tail, const Box& mfra, uint64_t tail_offset,
                const std::map<uint64_t, uint32_t>& timescales, std::vector<TimeField>& out) {
  for (const Box& tfra : boxes(tail, mfra.payload, mfra.end, "tfra")) {
    size_t at = tfra.payload;
    if (at + 16 > tfra.end) continue;
    const int width = tail[at] == 1 ? 8 : 4;
    const auto track = timescales.find(big_endian(tail, at + 4, 4));
    const uint64_t sizes = big_endian(tail, at + 8, 4);
    const uint64_t entries = big_endian(tail, at + 12, 4);
    const size_t numbers = ((sizes >> 4) & 3) + ((sizes >> 2) & 3) + (sizes & 3) + 3;
    at += 16;
    for (uint64_t e = 0; e < entries && at + 2 * width + numbers <= tfra.end; ++e) {
      if (track != timescales.end())
        out.push_back({tail_offset + at, width, big_endian(tail, at, width), track->second});
      at += 2 * width + numbers;
    }
  }
}

}  // namespace

std::vector<TimeField> fragment_times(const std::string& head, const std::string& tail,
                                      uint64_t tail_offset) {
  std::vector<TimeField> out;
  const auto moov = boxes(head, 0, head.size(), "moov");
  if (moov.empty()) return out;
  const auto mvhd = box(head, moov[0], "mvhd");
  const auto mvex = box(head, moov[0], "mvex");
  const auto mehd = mvex ? box(head, *mvex, "mehd") : std::nullopt;
  // mvhd: creation and modification times, then the timescale; mehd: the duration.
  const auto movie = mvhd ? field(head, *mvhd, 8, 16, 4, 4) : std::nullopt;
  auto duration = mehd ? field(head, *mehd, 0, 0, 4, 8) : std::nullopt;
  if (!movie || !duration) return out;
  duration->timescale = uint32_t(movie->value);
  out.push_back(*duration);
  std::map<uint64_t, uint32_t> timescales;  // track id -> its media's timescale
  for (const Box& trak : boxes(head, moov[0].payload, moov[0].end, "trak")) {
    const auto tkhd = box(head, trak, "tkhd");
    const auto mdia = box(head, trak, "mdia");
    const auto mdhd = mdia ? box(head, *mdia, "mdhd") : std::nullopt;
    const auto id = tkhd ? field(head, *tkhd, 8, 16, 4, 4) : std::nullopt;
    const auto scale = mdhd ? field(head, *mdhd, 8, 16, 4, 4) : std::nullopt;
    if (id && scale) timescales[id->value] = uint32_t(scale->value);
  }
  for (const Box& mfra : boxes(tail, 0, tail.size(), "mfra"))
    tfra_times(tail, mfra, tail_offset, timescales, out);
  return out;
}

std::string shift_fragment_times(const std::string& path, uint64_t start_ns) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!file) return "cannot open it";
  auto read_at = [&](uint64_t offset, uint64_t bytes) {
    std::string s(size_t(bytes), '\0');
    file.seekg(std::streamoff(offset));
    file.read(&s[0], std::streamsize(bytes));
    s.resize(size_t(file.gcount()));
    file.clear();
    return s;
  };
  file.seekg(0, std::ios::end);
  const uint64_t size = uint64_t(file.tellg());
  const std::string head = read_at(0, std::min<uint64_t>(size, kReadBytes));
  // mfro, the file's last box, says how long mfra is: mfra is read from its start.
  const std::string mfro = read_at(size >= 16 ? size - 16 : 0, 16);
  uint64_t tail_offset = size;
  if (mfro.size() == 16 && mfro.compare(4, 4, "mfro") == 0) {
    const uint64_t mfra_size = big_endian(mfro, 12, 4);
    if (mfra_size <= std::min<uint64_t>(size, kReadBytes)) tail_offset = size - mfra_size;
  }
  const std::string tail = read_at(tail_offset, size - tail_offset);
  const std::vector<TimeField> times = fragment_times(head, tail, tail_offset);
  auto in_scale = [&](uint32_t timescale) {
    return uint64_t((long double)start_ns * timescale / 1e9L + 0.5L);
  };
  // Cut short (no mehd), not fragmented, or the first segment: nothing counts from elsewhere.
  if (times.empty() || times[0].timescale == 0 || in_scale(times[0].timescale) == 0 ||
      in_scale(times[0].timescale) >= times[0].value)
    return "";
  for (const TimeField& t : times) {
    const uint64_t start = in_scale(t.timescale);
    if (t.value < start) continue;
    char bytes[8];
    for (int i = 0; i < t.bytes; ++i) bytes[i] = char((t.value - start) >> (8 * (t.bytes - 1 - i)));
    file.seekp(std::streamoff(t.offset));
    file.write(bytes, t.bytes);
  }
  return file.flush() ? "" : "cannot write it";
}

}  // namespace legrad
