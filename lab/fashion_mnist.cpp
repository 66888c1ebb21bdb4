#include "lab/fashion_mnist.h"

#include <ATen/ATen.h>

#include <cstring>
#include <vector>

#include "base/error.h"
#include "base/file.h"

namespace legrad {

const std::array<const char*, kFashionClassCount> kFashionClasses = {
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal",  "shirt",   "sneaker",  "bag",   "ankle boot"};

namespace {

uint32_t be32(const std::string& d, size_t at) {
  auto byte = [&](size_t i) { return uint32_t{static_cast<uint8_t>(d[at + i])}; };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

// An IDX file of unsigned bytes: its dimensions and data.
at::Tensor read_idx(const std::string& path, size_t expected_dims) {
  const std::string d = read_maybe_gzip(path, "IDX file");
  if (d.size() < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0x08 ||
      static_cast<uint8_t>(d[3]) != expected_dims)
    throw Error(path + ": not an IDX file of " + std::to_string(expected_dims) +
                "-dimensional unsigned bytes");
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < expected_dims; ++i) {
    if (d.size() < 8 + 4 * i) throw Error(path + ": truncated header");
    shape.push_back(be32(d, 4 + 4 * i));
    count *= static_cast<size_t>(shape.back());
  }
  const size_t offset = 4 + 4 * expected_dims;
  if (d.size() != offset + count)
    throw Error(path + ": holds " + std::to_string(d.size() - offset) +
                " bytes of data, its header says " + std::to_string(count));
  at::Tensor t = at::empty(shape, at::kByte);
  std::memcpy(t.data_ptr<uint8_t>(), d.data() + offset, count);
  return t;
}

std::string find(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem})
    if (is_file(dir + "/" + name)) return dir + "/" + name;
  throw Error(dir + "/" + stem + "(.gz): not found (Debian's dataset-fashion-mnist package " +
              "installs the dataset in " + kFashionMnistDir + ")");
}

}  // namespace

FashionMnist FashionMnist::load(const std::string& dir, bool train) {
  const std::string split = train ? "train" : "t10k";
  FashionMnist data;
  data.images = read_idx(find(dir, split + "-images-idx3-ubyte"), 3);
  data.labels = read_idx(find(dir, split + "-labels-idx1-ubyte"), 1).to(at::kLong);
  if (data.images.size(0) != data.labels.size(0) || data.images.size(1) != 28 ||
      data.images.size(2) != 28)
    throw Error(dir + ": " + split + " images and labels do not match");
  if (data.labels.numel() > 0 && (data.labels.min().item<int64_t>() < 0 ||
                                  data.labels.max().item<int64_t>() >= kFashionClassCount))
    throw Error(dir + ": " + split + " labels outside 0.." +
                std::to_string(kFashionClassCount - 1));
  return data;
}

}  // namespace legrad
