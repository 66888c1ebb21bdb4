#include "engine/model_session.h"

#include <map>
#include <mutex>
#include <utility>

#include "base/device.h"
#include "base/error.h"

namespace legrad {

std::shared_ptr<ComputeThread> device_compute_thread(c10::Device device) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ComputeThread>> live;  // by c10::Device::str()
  if (device.is_cuda() && !device.has_index()) device = c10::Device(c10::kCUDA, 0);
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<ComputeThread> thread = live[device.str()].lock();
  if (!thread) {
    thread = std::make_shared<ComputeThread>();
    live[device.str()] = thread;
  }
  return thread;
}

ModelSession::ModelSession(std::shared_ptr<ComputeThread> compute,
                           std::shared_ptr<const LoadedModel> model)
    : compute_(std::move(compute)),
      model_(std::move(model)),
      scheduler_(std::make_unique<BatchScheduler>(compute_)) {}

namespace {

// On the compute thread, before any operator runs there: its operator threads inherit the nice.
void apply(const ComputeSettings& settings) {
  if (settings.nice >= 0) raise_thread_nice(settings.nice);
  set_compute_threads(settings.threads);
}

std::shared_ptr<ModelSession> load_session(const ModelRequest& request,
                                           const ComputeSettings& settings) {
  auto compute = device_compute_thread(request.device);
  std::shared_ptr<const LoadedModel> model;
  compute->run([&] {
    apply(settings);
    model = load_model(request);
  });
  return std::make_shared<ModelSession>(std::move(compute), std::move(model));
}

void check_same_model(const std::string& instance_id, const ModelRequest& request,
                      const LoadedModel& existing) {
  if (locate_model_files(request.path, request.vocab).weights == existing.files.weights &&
      request.device == existing.device && request.dtype == existing.dtype)
    return;
  throw Error("model-instance-id '" + instance_id + "' is already in use for " +
              existing.files.weights + " on " + existing.device.str() + " as " +
              dtype_name(existing.dtype));
}

}  // namespace

std::shared_ptr<ModelSession> ModelSession::acquire(const ModelRequest& request,
                                                    const std::string& instance_id,
                                                    const ComputeSettings& compute) {
  if (instance_id.empty()) return load_session(request, compute);
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ModelSession>> live;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto existing = live[instance_id].lock()) {
    check_same_model(instance_id, request, *existing->model());
    existing->compute().run([&] { apply(compute); });  // as a load would
    return existing;
  }
  auto session = load_session(request, compute);
  live[instance_id] = session;
  return session;
}

}  // namespace legrad
