#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "model/clip_config.h"
#include "text/clip_tokenizer.h"
#include "text/vocabulary.h"

namespace legrad::cli {

std::string tokenize_usage() {
  return usage_lines({
      "tokenize --vocab FILE|DIR [--context-length " +
          std::to_string(ClipConfig().text.context_length) + "] [--strings] TEXT...",
      "    Prints the token ids of each text (or, with a CLIP vocabulary, its BPE token strings).",
  });
}

int tokenize_command(int argc, char** argv) {
  const Args args(argc, argv, {"vocab", "context-length"}, {"strings"});
  if (!args.has("vocab")) throw Error("--vocab FILE is required");
  if (args.positional().empty()) throw Error("give at least one text");
  const auto tokenizer = load_tokenizer(args.get("vocab"));
  const auto* clip = dynamic_cast<const ClipTokenizer*>(tokenizer.get());
  if (args.has("strings") && !clip) throw Error("--strings needs a CLIP BPE vocabulary");
  const int context = args.get_int("context-length", ClipConfig().text.context_length);
  for (const std::string& text : args.positional()) {
    const auto ids = tokenizer->tokenize(text, context);
    const char* sep = "";
    for (int64_t id : ids) {
      if (args.has("strings")) {
        if (id == 0) break;
        std::printf("%s%s", sep, clip->token_string(id).c_str());
      } else {
        std::printf("%s%lld", sep, static_cast<long long>(id));
      }
      sep = " ";
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace legrad::cli
