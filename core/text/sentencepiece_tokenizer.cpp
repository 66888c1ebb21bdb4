#include "text/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "base/error.h"
#include "base/file.h"
#include "text/sentencepiece_module.h"
#include "text/text_cleaner.h"

namespace legrad {
namespace {

// The sanitizers refuse RTLD_DEEPBIND (it would bypass their interceptors). GCC says so with
// __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LEGRAD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LEGRAD_SANITIZED 1
#endif
#endif
#ifdef LEGRAD_SANITIZED
constexpr bool kDeepBind = false;
#else
constexpr bool kDeepBind = true;
#endif

// The module's functions (sentencepiece_module.h), loaded once.
struct Module {
  decltype(&legrad_spm_load) load = nullptr;
  decltype(&legrad_spm_free) free = nullptr;
  decltype(&legrad_spm_eos_id) eos_id = nullptr;
  decltype(&legrad_spm_piece_count) piece_count = nullptr;
  decltype(&legrad_spm_encode) encode = nullptr;
};

// $LEGRAD_SENTENCEPIECE_MODULE, else the installed module, else the build tree's.
std::string module_path() {
  if (const char* env = std::getenv("LEGRAD_SENTENCEPIECE_MODULE"); env && *env) return env;
  if (is_file(LEGRAD_SPM_INSTALLED_MODULE)) return LEGRAD_SPM_INSTALLED_MODULE;
  return LEGRAD_SPM_BUILD_MODULE;
}

template <typename F>
void bind(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  if (!out) throw Error(std::string("the SentencePiece module lacks ") + name);
}

Module load_module() {
  if (!kDeepBind)
    throw Error(
        "SentencePiece tokenizers are not available in sanitizer builds (they need "
        "dlopen's RTLD_DEEPBIND, which the sanitizers refuse)");
  const std::string path = module_path();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | (kDeepBind ? RTLD_DEEPBIND : 0));
  if (!handle) throw Error("cannot load the SentencePiece module " + path + ": " + dlerror());
  Module m;  // the handle stays open for the process's life
  bind(handle, "legrad_spm_load", m.load);
  bind(handle, "legrad_spm_free", m.free);
  bind(handle, "legrad_spm_eos_id", m.eos_id);
  bind(handle, "legrad_spm_piece_count", m.piece_count);
  bind(handle, "legrad_spm_encode", m.encode);
  return m;
}

const Module& module() {
  static std::once_flag once;
  static Module m;
  std::call_once(once, [] { m = load_module(); });
  return m;
}

}  // namespace

bool sentencepiece_available() { return kDeepBind; }

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& path) {
  // Read here, so that a missing file is named as the other tokenizers name theirs.
  const std::string bytes = read_file(path, "SentencePiece model");
  char error[512] = "";
  processor_ = module().load(bytes.data(), bytes.size(), error, sizeof error);
  if (!processor_) throw Error(path + ": not a SentencePiece model (" + error + ")");
  eos_ = module().eos_id(processor_);
  if (eos_ < 0) {
    module().free(processor_);
    throw Error(path + ": the SentencePiece model has no end-of-sequence piece");
  }
  vocab_size_ = static_cast<size_t>(module().piece_count(processor_));
}

SentencePieceTokenizer::~SentencePieceTokenizer() { module().free(processor_); }

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  const std::string cleaned = canonicalize_text(text);
  std::vector<int> ids(cleaned.size() + 1);  // at most one piece per byte
  char error[512] = "";
  const long count = module().encode(processor_, cleaned.data(), cleaned.size(), ids.data(),
                                     ids.size(), error, sizeof error);
  if (count < 0) throw Error(std::string("SentencePiece could not encode the text: ") + error);
  return {ids.begin(), ids.begin() + std::min<long>(count, static_cast<long>(ids.size()))};
}

}  // namespace legrad
