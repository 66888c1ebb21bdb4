// The SentencePiece library behind a C interface, built as a module of its own that
// sentencepiece_tokenizer.cpp loads with dlopen(RTLD_LOCAL | RTLD_DEEPBIND). Debian's
// libsentencepiece carries its own copy of protobuf-lite and exports its symbols, while
// LibTorch and OpenCV load the system's libprotobuf: linked into one process normally, the two
// copies bind to each other's functions and crash at start. Loaded this way, the module and
// libsentencepiece see their own symbols first and stay out of the process's global scope.
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

#include "text/sentencepiece_module.h"

namespace {

void copy_message(const sentencepiece::util::Status& status, char* error, size_t error_size) {
  if (error_size == 0) return;
  std::strncpy(error, status.ToString().c_str(), error_size - 1);
  error[error_size - 1] = '\0';
}

}  // namespace

extern "C" {

void* legrad_spm_load(const char* bytes, size_t size, char* error, size_t error_size) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->LoadFromSerializedProto(std::string(bytes, size));
  if (!status.ok()) {
    copy_message(status, error, error_size);
    delete processor;
    return nullptr;
  }
  return processor;
}

void legrad_spm_free(void* processor) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(processor);
}

int legrad_spm_eos_id(const void* processor) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(processor)->eos_id();
}

int legrad_spm_piece_count(const void* processor) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(processor)->GetPieceSize();
}

long legrad_spm_encode(const void* processor, const char* text, size_t size, int* ids,
                       size_t capacity, char* error, size_t error_size) {
  std::vector<int> out;
  const auto status = static_cast<const sentencepiece::SentencePieceProcessor*>(processor)->Encode(
      std::string(text, size), &out);
  if (!status.ok()) {
    copy_message(status, error, error_size);
    return -1;
  }
  for (size_t i = 0; i < out.size() && i < capacity; ++i) ids[i] = out[i];
  return static_cast<long>(out.size());
}

}  // extern "C"
