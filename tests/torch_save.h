// What torch.save writes for a state dict, made here so the tests need no Python: the pickle
// (protocol 2: OrderedDict, _rebuild_tensor_v2, one storage per tensor) and the zip archive
// around it (written with LibTorch's own archive writer).
#pragma once

#include <string>

#include <vector>

#include "model/safetensors.h"
#include "model/torch_pickle.h"

namespace legrad::test {

// data.pkl for views of storages as described (name, storage key, dtype F32/F16/BF16/I64,
// storage size, offset, size, stride): the reader's input, made by hand.
std::string state_dict_pickle(const std::vector<PickledTensor>& views);
// data.pkl for `tensors` (contiguous), storage i named "i".
std::string state_dict_pickle(const NamedTensors& tensors);

// An archive at `path` holding `pickle` as data.pkl and each tensor's bytes as data/<i>.
void write_torch_archive(const std::string& path, const std::string& pickle,
                         const NamedTensors& tensors);

}  // namespace legrad::test
