#include "text/vocabulary.h"

#include "base/error.h"
#include "base/file.h"
#include "text/clip_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/word_tokenizer.h"

namespace legrad {
namespace {

constexpr const char* kClipMerges = "bpe_simple_vocab_16e6.txt.gz";
constexpr const char* kHubVocab = "vocab.json";
constexpr const char* kHubMerges = "merges.txt";
// SentencePiece models, as transformers' SigLIP (spiece.model) and others (tokenizer.model) name
// them.
constexpr const char* kSentencePieceFiles[] = {"spiece.model", "tokenizer.model"};

}  // namespace

std::string vocabulary_file_names() {
  return std::string(kClipMerges) + ", " + kHubVocab + " + " + kHubMerges + ", " +
         kSentencePieceFiles[0] + ", " + kSentencePieceFiles[1] + " or " + kWordListFile;
}

std::string find_vocabulary(const std::string& dir) {
  if (is_file(dir + "/" + kClipMerges)) return dir + "/" + kClipMerges;
  if (is_file(dir + "/" + kHubVocab) && is_file(dir + "/" + kHubMerges))
    return dir + "/" + kHubVocab;
  for (const char* name : kSentencePieceFiles)
    if (is_file(dir + "/" + name)) return dir + "/" + name;
  if (is_file(dir + "/" + kWordListFile)) return dir + "/" + kWordListFile;
  return "";
}

std::shared_ptr<const TextTokenizer> load_tokenizer(const std::string& path) {
  std::string file = path;
  if (is_dir(path)) {
    file = find_vocabulary(path);
    if (file.empty())
      throw Error(path + ": no tokenizer vocabulary (" + vocabulary_file_names() +
                  ") in this folder");
  }
  if (ends_with(file, kWordListFile))
    return std::make_shared<const WordTokenizer>(WordTokenizer::from_file(file));
  if (ends_with(file, ".model")) return std::make_shared<const SentencePieceTokenizer>(file);
  if (ends_with(file, ".json")) {
    return std::make_shared<const ClipTokenizer>(
        ClipTokenizer::from_vocab_json(file, parent_dir(file) + "/" + kHubMerges));
  }
  return std::make_shared<const ClipTokenizer>(ClipTokenizer::from_bpe_merges(file));
}

}  // namespace legrad
