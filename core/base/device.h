// Compute device selection: "cpu", "cuda", "cuda:N" (and "auto" where the caller allows it).
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

namespace legrad {

constexpr const char* kDefaultDevice = "cpu";

// Parses and checks availability; asking for CUDA from a LibTorch without CUDA, or for a
// device index that does not exist, throws legrad::Error. "auto" picks CUDA when present.
c10::Device parse_device(const std::string& name);

bool cuda_available();

// Waits for the device's queued work (no-op on the CPU).
void synchronize_device(c10::Device device);

// Peak bytes held by LibTorch's CUDA caching allocator on `device` since the last reset, or -1
// where that is not known (the CPU, or a build without CUDA headers).
int64_t device_peak_bytes(c10::Device device);
void reset_device_peak(c10::Device device);

// The cores this process may run on (its CPU affinity: taskset, a container's cpuset).
int available_cores();

// CPU threads for LibTorch's operators (process-wide): n > 0, or 0 for every available core
// (LibTorch's own default counts physical cores only, one on a 2-vCPU machine). Also keeps
// freed memory in the process for the next frame (glibc; unless the user set malloc tunables).
void set_compute_threads(int n);

// Operator threads for a live pipeline when the user gave none: every available core but one
// (at least one), which is left to the decoder, the encoder and the rest of the pipeline.
int threads_leaving_a_core();

// Raises the calling thread's niceness to `nice` (0-19; Linux: per thread, and threads it
// starts later inherit it, as LibTorch's operator threads do); a thread already at least as
// nice (the user ran the program under `nice`) is left as it is, and one that may not be
// raised is logged.
void raise_thread_nice(int nice);

// The compute dtypes by name, listed once ("auto" first: the default).
struct DtypeInfo {
  const char* name;
  const char* description;  // one line, for usage texts and gst-inspect
};
const std::vector<DtypeInfo>& dtype_choices();
constexpr const char* kDefaultDtype = "auto";
// Every name, joined by `separator` ("auto|fp32|bf16|fp16").
std::string dtype_names(const std::string& separator);

// Whether the device computes bf16 matrix products natively: CUDA compute capability 8.0 or
// later; CPUs with AVX512-BF16 or AMX-BF16.
bool native_bf16(c10::Device device);

// A dtype_choices() name -> the compute dtype. "auto": bf16 where native_bf16, else fp32 (the
// choice is logged). fp16 on the CPU throws (LibTorch has no CPU kernels for half-precision
// matrix products); bf16 runs on both.
at::ScalarType parse_dtype(const std::string& name, c10::Device device);
// "fp32", "bf16" or "fp16" -> the type, on any device: for tensors written to files.
at::ScalarType storage_dtype(const std::string& name);
// The name of a compute dtype ("fp32", "bf16", "fp16").
std::string dtype_name(at::ScalarType dtype);

}  // namespace legrad
