#include "torch_save.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include <stdexcept>

namespace legrad::test {
namespace {

void put_string(std::string& out, const std::string& s) {  // BINUNICODE
  out += 'X';
  const uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += s;
}

void put_int(std::string& out, int64_t v) {  // BININT (fits 32 bits here)
  out += 'J';
  const uint32_t n = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
}

void put_int_tuple(std::string& out, at::IntArrayRef values) {
  out += '(';
  for (int64_t v : values) put_int(out, v);
  out += 't';
}

const char* storage_class(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "FloatStorage";
    case at::kHalf: return "HalfStorage";
    case at::kBFloat16: return "BFloat16Storage";
    case at::kLong: return "LongStorage";
    default: throw std::runtime_error("state_dict_pickle: unsupported dtype");
  }
}

}  // namespace

std::string state_dict_pickle(const std::vector<PickledTensor>& views) {
  std::string out = "\x80\x02";
  out += "ccollections\nOrderedDict\n)R(";
  for (const PickledTensor& t : views) {
    put_string(out, t.name);
    out += "ctorch._utils\n_rebuild_tensor_v2\n(";
    out += '(';
    put_string(out, "storage");
    out += std::string("ctorch\n") + storage_class(t.dtype) + "\n";
    put_string(out, t.storage);
    put_string(out, "cpu");
    put_int(out, t.storage_numel);
    out += "tQ";
    put_int(out, t.offset);
    put_int_tuple(out, t.size);
    put_int_tuple(out, t.stride);
    out += "\x89";
    out += "ccollections\nOrderedDict\n)R";
    out += "tR";
  }
  out += "u.";
  return out;
}

std::string state_dict_pickle(const NamedTensors& tensors) {
  std::vector<PickledTensor> views;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor& t = tensors[i].second;
    views.push_back({tensors[i].first, std::to_string(i), t.scalar_type(), t.numel(), 0,
                     t.sizes().vec(), t.strides().vec()});
  }
  return state_dict_pickle(views);
}

void write_torch_archive(const std::string& path, const std::string& pickle,
                         const NamedTensors& tensors) {
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor t = tensors[i].second.contiguous().cpu();
    writer.writeRecord("data/" + std::to_string(i), t.data_ptr(), t.nbytes());
  }
  writer.writeEndOfFile();
}

}  // namespace legrad::test
