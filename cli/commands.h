// The legrad subcommands; each gets the arguments after its name and returns the exit code.
#pragma once

namespace legrad::cli {

// The methods `evaluate` compares unless --methods says otherwise.
constexpr const char* kDefaultEvaluatedMethods = "legrad,rollout,raw-attention,gradcam,chefercam";

int bench_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);
int explain_command(int argc, char** argv);
int golden_command(int argc, char** argv);
int scenes_command(int argc, char** argv);
int tokenize_command(int argc, char** argv);
int train_toy_command(int argc, char** argv);

}  // namespace legrad::cli
