// A torch.save zip archive of a state dict (open_clip_pytorch_model.bin, pytorch_model.bin):
// the archive is read with LibTorch's zip reader, its data.pkl with the restricted reader of
// model/torch_pickle.h, each tensor copied out of its storage record when asked for.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/torch_pickle.h"
#include "model/weight_source.h"

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace legrad {

class TorchArchiveWeights : public WeightSource {
 public:
  // Opens `path` and reads its state dict; throws legrad::Error naming the file and the
  // problem (not a zip archive, a TorchScript archive, no data.pkl, a refused pickle).
  explicit TorchArchiveWeights(const std::string& path);
  ~TorchArchiveWeights() override;

  const std::string& name() const override { return path_; }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  // Throws legrad::Error if the storage record is missing or smaller than declared.
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;
  const std::vector<PickledTensor>& tensors() const { return tensors_; }

 private:
  std::string path_;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
  std::vector<PickledTensor> tensors_;
  std::unordered_map<std::string, size_t> by_name_;
};

// True if `path` is a zip archive holding a TorchScript module (code/ and constants.pkl), as
// OpenAI's released .pt files are. False for anything else, including unreadable files.
bool is_torchscript_archive(const std::string& path);

}  // namespace legrad
