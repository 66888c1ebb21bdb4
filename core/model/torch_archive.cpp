#include "model/torch_archive.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include <fstream>

#include "base/error.h"

namespace legrad {
namespace {

// The first bytes tell a zip archive from the pickle stream that torch.save wrote before 1.6.
std::string describe_unreadable(const std::string& path, const std::string& reason) {
  std::ifstream in(path, std::ios::binary);
  char head[2] = {0, 0};
  in.read(head, 2);
  if (in && head[0] == '\x80' && head[1] == '\x02')
    return path +
           ": a torch.save file in the legacy format (before PyTorch 1.6), which is not "
           "read: save it again with a current PyTorch, or as safetensors";
  return path + ": not a readable torch.save zip archive (" + reason + ")";
}

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_archive(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw Error(path + ": cannot open this file");
  try {
    return std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    throw Error(describe_unreadable(path, e.what_without_backtrace()));
  }
}

}  // namespace

TorchArchiveWeights::TorchArchiveWeights(const std::string& path)
    : path_(path), reader_(open_archive(path)) {
  try {
    if (reader_->hasRecord("constants.pkl"))
      throw Error(path +
                  ": a TorchScript archive, not a state dict (OpenAI's .pt files are read "
                  "as such: give the file itself as the model)");
    if (!reader_->hasRecord("data.pkl")) throw Error(path + ": the archive has no data.pkl");
    const auto [pickle, size] = reader_->getRecord("data.pkl");
    tensors_ = parse_state_dict_pickle(static_cast<const uint8_t*>(pickle.get()), size, path);
  } catch (const c10::Error& e) {
    throw Error(path + ": cannot read the archive (" + e.what_without_backtrace() + ")");
  }
  for (size_t i = 0; i < tensors_.size(); ++i) by_name_.emplace(tensors_[i].name, i);
}

TorchArchiveWeights::~TorchArchiveWeights() = default;

std::optional<std::vector<int64_t>> TorchArchiveWeights::shape(const std::string& key) const {
  const auto it = by_name_.find(key);
  if (it == by_name_.end()) return std::nullopt;
  return tensors_[it->second].size;
}

at::Tensor TorchArchiveWeights::load(const std::string& key, at::ScalarType dtype) const {
  const auto it = by_name_.find(key);
  if (it == by_name_.end()) throw Error(path_ + ": tensor '" + key + "' is missing");
  const PickledTensor& t = tensors_[it->second];
  const std::string record = "data/" + t.storage;
  at::DataPtr data;
  size_t bytes = 0;
  try {
    if (!reader_->hasRecord(record))
      throw Error(path_ + ": tensor '" + key + "': its storage record " + record + " is missing");
    std::tie(data, bytes) = reader_->getRecord(record);
  } catch (const c10::Error& e) {
    throw Error(path_ + ": tensor '" + key + "': " + e.what_without_backtrace());
  }
  const size_t element = c10::elementSize(t.dtype);
  if (bytes / element < static_cast<size_t>(t.storage_numel))
    throw Error(path_ + ": tensor '" + key + "': its storage record holds " +
                std::to_string(bytes) + " bytes, fewer than the " +
                std::to_string(t.storage_numel) + " elements declared");
  try {
    const at::Tensor storage =
        at::from_blob(data.get(), {t.storage_numel}, at::TensorOptions().dtype(t.dtype));
    return storage.as_strided(t.size, t.stride, t.offset).to(dtype, false, /*copy=*/true);
  } catch (const c10::Error& e) {
    throw Error(path_ + ": tensor '" + key + "': " + e.what_without_backtrace());
  }
}

bool is_torchscript_archive(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  char head[2] = {0, 0};
  probe.read(head, 2);
  if (!probe || head[0] != 'P' || head[1] != 'K') return false;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    return reader.hasRecord("constants.pkl");
  } catch (const c10::Error&) {
    return false;
  }
}

}  // namespace legrad
