#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "engine/model_export.h"

namespace legrad::cli {

std::string info_usage() {
  return usage_lines({
      "info MODEL [--vocab FILE]",
      "    What was detected in a model file or folder (any layout the engine reads): layout,",
      "    family, towers, activation, patch and input size, tokenizer, parameter count. Reads",
      "    and checks every tensor.",
  });
}

int info_command(int argc, char** argv) {
  const Args args(argc, argv, {"vocab"});
  if (args.positional().size() != 1) throw Error("give one MODEL (a file or folder)");
  const ModelContents model = read_model(args.positional()[0], args.get("vocab"));
  std::fputs(describe_model(model).c_str(), stdout);
  return 0;
}

}  // namespace legrad::cli
