// The legrad subcommands; each gets the arguments after its name and returns the exit code.
#pragma once

#include <string>

namespace legrad::cli {

// The methods `evaluate` compares unless --methods says otherwise.
constexpr const char* kDefaultEvaluatedMethods = "legrad,rollout,raw-attention,gradcam,chefercam";

// Each command's usage: its synopsis and what it does, as `legrad COMMAND --help` prints it.
std::string bench_usage();
std::string convert_usage();
std::string evaluate_usage();
std::string explain_usage();
std::string golden_usage();
std::string info_usage();
std::string scenes_usage();
std::string tokenize_usage();
std::string train_toy_usage();

int bench_command(int argc, char** argv);
int convert_command(int argc, char** argv);
int evaluate_command(int argc, char** argv);
int explain_command(int argc, char** argv);
int golden_command(int argc, char** argv);
int info_command(int argc, char** argv);
int scenes_command(int argc, char** argv);
int tokenize_command(int argc, char** argv);
int train_toy_command(int argc, char** argv);

}  // namespace legrad::cli
