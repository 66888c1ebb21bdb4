#include "model/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "base/error.h"

namespace legrad {
namespace {

// The same bound the reference Rust implementation uses.
constexpr uint64_t kMaxHeaderLen = 100'000'000;

struct DTypeEntry {
  const char* name;
  DType dtype;
  size_t size;
  at::ScalarType scalar;
};
constexpr DTypeEntry kDTypes[] = {
    {"F32", DType::F32, 4, at::kFloat},      {"F16", DType::F16, 2, at::kHalf},
    {"BF16", DType::BF16, 2, at::kBFloat16}, {"I64", DType::I64, 8, at::kLong},
    {"U8", DType::U8, 1, at::kByte},
};

const DTypeEntry& entry(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e;
  throw Error("unknown dtype");
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

[[noreturn]] void fail_tensor(const std::string& path, const std::string& name,
                              const std::string& what) {
  throw Error(path + ": tensor '" + name + "': " + what);
}

}  // namespace

at::ScalarType to_scalar_type(DType dtype) { return entry(dtype).scalar; }

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    fail(path, "file of " + std::to_string(size_) +
                   " bytes is too small to hold the 8-byte header length (truncated?)");
  }
  map_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    fail(path, std::string("cannot map: ") + std::strerror(errno));
  }
  try {
    uint64_t header_len = 0;
    const auto* bytes = static_cast<const uint8_t*>(map_);
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
    if (header_len == 0) fail(path, "header length is zero");
    if (header_len > kMaxHeaderLen)
      fail(path, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                     std::to_string(kMaxHeaderLen) + " bytes");
    if (header_len > size_ - 8)
      fail(path, "header length " + std::to_string(header_len) + " runs past the end of the " +
                     std::to_string(size_) + "-byte file (truncated?)");
    data_ = bytes + 8 + header_len;
    data_size_ = size_ - 8 - header_len;
    parse_header(header_len);
  } catch (...) {
    ::munmap(map_, size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, size_);
}

namespace {

// The DTypeEntry a tensor's header entry names.
const DTypeEntry& entry_dtype(const std::string& path, const std::string& name,
                              const nlohmann::json& value) {
  auto it = value.find("dtype");
  if (it == value.end() || !it->is_string())
    fail_tensor(path, name, "missing or non-string 'dtype'");
  const std::string dtype = it->get<std::string>();
  for (const auto& e : kDTypes)
    if (dtype == e.name) return e;
  fail_tensor(path, name, "unsupported dtype '" + dtype + "' (F32, F16, BF16, I64, U8)");
}

// Fills info.shape from the entry; returns the element count.
uint64_t entry_shape(const std::string& path, const nlohmann::json& value, TensorInfo& info) {
  auto it = value.find("shape");
  if (it == value.end() || !it->is_array())
    fail_tensor(path, info.name, "missing or non-array 'shape'");
  uint64_t numel = 1;
  for (const auto& dim : *it) {
    if (!dim.is_number_unsigned())
      fail_tensor(path, info.name, "shape entries must be non-negative integers");
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (d != 0 && numel > std::numeric_limits<uint64_t>::max() / d))
      fail_tensor(path, info.name, "shape overflows");
    numel *= d;
    info.shape.push_back(static_cast<int64_t>(d));
  }
  return numel;
}

// Fills info.begin/end: inside the data section, and exactly the bytes dtype x shape needs.
void entry_offsets(const std::string& path, const nlohmann::json& value, uint64_t data_size,
                   uint64_t numel, const DTypeEntry& dtype, TensorInfo& info) {
  auto it = value.find("data_offsets");
  if (it == value.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() ||
      !(*it)[1].is_number_unsigned())
    fail_tensor(path, info.name, "'data_offsets' must be two non-negative integers");
  info.begin = (*it)[0].get<uint64_t>();
  info.end = (*it)[1].get<uint64_t>();
  if (info.begin > info.end)
    fail_tensor(path, info.name,
                "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                    ") are reversed");
  if (info.end > data_size)
    fail_tensor(path, info.name,
                "data_offsets end " + std::to_string(info.end) + " is past the end of the " +
                    std::to_string(data_size) + "-byte data section (truncated file?)");
  if (numel > std::numeric_limits<uint64_t>::max() / dtype.size)
    fail_tensor(path, info.name, "shape overflows");
  const uint64_t expected = numel * dtype.size;
  if (info.end - info.begin != expected)
    fail_tensor(path, info.name,
                "holds " + std::to_string(info.end - info.begin) + " bytes but dtype " +
                    dtype.name + " x shape needs " + std::to_string(expected));
}

TensorInfo parse_entry(const std::string& path, const std::string& name,
                       const nlohmann::json& value, uint64_t data_size) {
  if (!value.is_object()) fail_tensor(path, name, "entry is not an object");
  TensorInfo info;
  info.name = name;
  const DTypeEntry& dtype = entry_dtype(path, name, value);
  info.dtype = dtype.dtype;
  const uint64_t numel = entry_shape(path, value, info);
  entry_offsets(path, value, data_size, numel, dtype, info);
  return info;
}

// No two tensors may share bytes.
void check_no_overlap(const std::string& path, const std::vector<TensorInfo>& tensors) {
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : tensors)
    if (t.end > t.begin) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail_tensor(path, by_offset[i]->name,
                  "data overlaps tensor '" + by_offset[i - 1]->name + "'");
}

}  // namespace

void SafetensorsFile::parse_header(uint64_t header_len) {
  const char* text = reinterpret_cast<const char*>(map_) + 8;
  nlohmann::json header =
      nlohmann::json::parse(text, text + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(path_, "header is not well-formed JSON");
  if (!header.is_object()) fail(path_, "header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() != "__metadata__") {
      tensors_.push_back(parse_entry(path_, it.key(), it.value(), data_size_));
      continue;
    }
    if (!it.value().is_object()) fail(path_, "__metadata__ is not an object");
    for (auto m = it.value().begin(); m != it.value().end(); ++m) {
      if (!m.value().is_string())
        fail(path_, "__metadata__ entry '" + m.key() + "' is not a string");
      metadata_[m.key()] = m.value().get<std::string>();
    }
  }
  check_no_overlap(path_, tensors_);
  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

at::Tensor SafetensorsFile::load(const std::string& name,
                                 c10::optional<at::ScalarType> dtype) const {
  const TensorInfo* info = find(name);
  if (!info) throw Error(path_ + ": tensor '" + name + "' is missing");
  // Copy rather than wrap: the data section need not be aligned, and the result must
  // not depend on the file staying intact on disk.
  at::Tensor out = at::empty(info->shape, at::TensorOptions().dtype(to_scalar_type(info->dtype)));
  if (info->end > info->begin)
    std::memcpy(out.data_ptr(), data_ + info->begin, info->end - info->begin);
  if (dtype && *dtype != out.scalar_type()) out = out.to(*dtype);
  return out;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const DTypeEntry* found = nullptr;
    for (const auto& e : kDTypes)
      if (e.scalar == t.scalar_type()) found = &e;
    if (!found) throw Error(path + ": tensor '" + name + "' has a dtype safetensors cannot hold");
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * found->size;
    header[name] = {{"dtype", found->name},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot open for writing");
  uint8_t len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : blobs)
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  if (!out) throw Error(path + ": write failed");
}

}  // namespace legrad
