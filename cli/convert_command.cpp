#include <cstdio>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "engine/model_export.h"

namespace legrad::cli {

std::string convert_usage() {
  return usage_lines({
      "convert MODEL OUT_DIR [--vocab FILE] [--dtype fp32|fp16|bf16]",
      "    Writes MODEL (any layout the engine reads) as an open_clip folder: safetensors",
      "    (memory-mapped when loaded, runs no code), open_clip_config.json, tokenizer files.",
      "    --dtype: of the written tensors (default fp32: lossless for fp16 checkpoints).",
  });
}

int convert_command(int argc, char** argv) {
  const Args args(argc, argv, {"vocab", "dtype"});
  if (args.positional().size() != 2) throw Error("give MODEL and OUT_DIR");
  const at::ScalarType dtype = storage_dtype(args.get("dtype", "fp32"));
  const ModelContents model = read_model(args.positional()[0], args.get("vocab"), dtype);
  write_open_clip_folder(model, args.positional()[1]);
  std::printf("%s -> %s/open_clip_model.safetensors (%zu tensors, %s)\n",
              model.files.weights.c_str(), args.positional()[1].c_str(), model.tensors.size(),
              model.config.family());
  return 0;
}

}  // namespace legrad::cli
