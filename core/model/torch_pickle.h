// A restricted reader of the pickle in a torch.save archive (data.pkl) that holds a state dict:
// {name: tensor}. It knows the few pickle opcodes and the few globals a state dict needs
// (OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.*Storage) and
// interprets them itself: nothing is imported or executed, any other global or opcode is an
// error. (LibTorch's own torch::pickle_load turns OrderedDict into None.)
#pragma once

#include <c10/core/ScalarType.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace legrad {

// Where one tensor of the state dict lies: a view of a storage record (data/<storage>).
struct PickledTensor {
  std::string name;
  std::string storage;  // the record's key
  at::ScalarType dtype = at::kFloat;
  int64_t storage_numel = 0;  // the storage's size in elements, as the pickle declares it
  int64_t offset = 0;         // in elements
  std::vector<int64_t> size, stride;
};

// The state dict's tensors, in the pickle's order. Throws legrad::Error naming `source` and
// the problem (an opcode or global that a state dict does not use, a truncated stream, a view
// that does not fit its storage, a value that is not a tensor).
std::vector<PickledTensor> parse_state_dict_pickle(const uint8_t* data, size_t size,
                                                   const std::string& source);

}  // namespace legrad
