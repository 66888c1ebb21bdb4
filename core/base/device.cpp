#include "base/device.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#ifdef LEGRAD_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "base/error.h"
#include "base/log.h"

namespace legrad {

bool cuda_available() { return at::hasCUDA() && at::getNumGPUs() > 0; }

void synchronize_device(c10::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index() < 0 ? -1 : device.index());
}

int64_t device_peak_bytes(c10::Device device) {
#ifdef LEGRAD_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return stats.allocated_bytes[0].peak;  // index 0: all pools together
  }
#endif
  (void)device;
  return -1;
}

void reset_device_peak(c10::Device device) {
#ifdef LEGRAD_WITH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
  (void)device;
}

c10::Device parse_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "auto") return cuda_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (name.rfind("cuda", 0) != 0)
    throw Error("unknown device '" + name + "' (use cpu, cuda, cuda:N or auto)");
  int index = 0;
  if (name.size() > 4) {
    if (name[4] != ':' || name.size() == 5 ||
        name.find_first_not_of("0123456789", 5) != std::string::npos)
      throw Error("unknown device '" + name + "' (use cpu, cuda, cuda:N or auto)");
    index = std::stoi(name.substr(5));
  }
  if (!at::hasCUDA())
    throw Error("device '" + name + "' requested, but this LibTorch was built without CUDA " +
                "(build against a CUDA LibTorch with -Dtorch_prefix=...)");
  const int count = static_cast<int>(at::getNumGPUs());
  if (index >= count)
    throw Error("device '" + name + "' requested, but only " + std::to_string(count) +
                " CUDA device(s) are visible");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

namespace {

// glibc gives the freed top of a thread's heap back to the kernel once it exceeds the trim
// threshold, so a thread other than the main one (a GStreamer streaming or compute thread)
// faulted its activations in afresh every frame: about 2,000 page faults per frame of the
// bundled model, half its time. Freed memory up to kKeptFreeBytes stays for reuse; a user's
// own malloc settings win.
void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  constexpr int kLargestHeapAllocation = 32 << 20;  // glibc's most for a thread's heap
  constexpr int kKeptFreeBytes = 256 << 20;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "glibc.malloc.")) ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_MMAP_THRESHOLD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, kLargestHeapAllocation);
  mallopt(M_TRIM_THRESHOLD, kKeptFreeBytes);
#endif
}

}  // namespace

int available_cores() {
  // The cores this process may run on (taskset, a container's cpuset), not all the machine's.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void set_compute_threads(int n) {
  if (n < 0) throw Error("thread count must be positive (0: all cores)");
  at::set_num_threads(n > 0 ? n : available_cores());
  keep_freed_memory_for_reuse();
}

int threads_leaving_a_core() { return std::max(1, available_cores() - 1); }

void raise_thread_nice(int nice) {
  if (nice < 0 || nice > 19) throw Error("nice must lie in 0-19, not " + std::to_string(nice));
  const id_t thread = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, thread);
  if (errno != 0 || now >= nice) return;  // already as nice (the user's `nice`, say), or more
  if (setpriority(PRIO_PROCESS, thread, nice) != 0)
    log(LogLevel::Warning, "compute threads stay at nice " + std::to_string(now) + ", not " +
                               std::to_string(nice) + ": " + std::strerror(errno));
}

const std::vector<DtypeInfo>& dtype_choices() {
  static const std::vector<DtypeInfo> choices = {
      {"auto",
       "bf16 where the device computes it natively (CUDA 8.0+, AVX512-BF16, AMX), else fp32"},
      {"fp32", "32-bit float: exact to the reference"},
      {"bf16", "bfloat16: faster where native; maps correlate >= 0.99 with fp32's"},
      {"fp16", "float16, CUDA only"},
  };
  return choices;
}

std::string dtype_names(const std::string& separator) {
  std::string out;
  for (const DtypeInfo& d : dtype_choices()) out += (out.empty() ? "" : separator) + d.name;
  return out;
}

namespace {

// The CPU's feature flags as Linux reports them (empty elsewhere).
bool cpu_flag(const std::string& flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0)
      return (line + " ").find(" " + flag + " ") != std::string::npos;
  return false;
}

}  // namespace

bool native_bf16(c10::Device device) {
#ifdef LEGRAD_WITH_CUDA
  if (device.is_cuda())
    return at::cuda::getDeviceProperties(std::max<int>(device.index(), 0))->major >= 8;
#endif
  if (device.is_cuda()) return false;
  static const bool cpu = cpu_flag("avx512_bf16") || cpu_flag("amx_bf16");
  return cpu;
}

at::ScalarType parse_dtype(const std::string& name, c10::Device device) {
  if (name == "auto") {
    const bool bf16 = native_bf16(device);
    const at::ScalarType dtype = bf16 ? at::kBFloat16 : at::kFloat;
    log(LogLevel::Info, "dtype auto: " + dtype_name(dtype) + " on " + device.str() +
                            (bf16 ? " (native bf16)" : " (no native bf16)"));
    return dtype;
  }
  const bool known = std::any_of(dtype_choices().begin(), dtype_choices().end(),
                                 [&](const DtypeInfo& d) { return name == d.name; });
  if (!known) throw Error("unknown dtype '" + name + "' (" + dtype_names(", ") + ")");
  const at::ScalarType dtype = storage_dtype(name);
  if (dtype == at::kHalf && !device.is_cuda())
    throw Error("fp16 runs only on CUDA; use bf16 or fp32 on the CPU");
  return dtype;
}

at::ScalarType storage_dtype(const std::string& name) {
  if (name == "fp32") return at::kFloat;
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp16") return at::kHalf;
  throw Error("unknown dtype '" + name + "' for stored tensors (fp32, bf16 or fp16)");
}

std::string dtype_name(at::ScalarType dtype) {
  switch (dtype) {
    case at::kBFloat16: return "bf16";
    case at::kHalf: return "fp16";
    case at::kFloat: return "fp32";
    default: return c10::toString(dtype);
  }
}

}  // namespace legrad
