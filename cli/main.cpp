// legrad: command-line front end of the core library.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "base/error.h"
#include "commands.h"

namespace legrad::cli {
namespace {

struct Command {
  const char* name;
  std::string (*usage)();
  int (*run)(int argc, char** argv);
};

constexpr Command kCommands[] = {
    {"explain", explain_usage, explain_command},
    {"golden", golden_usage, golden_command},
    {"info", info_usage, info_command},
    {"convert", convert_usage, convert_command},
    {"tokenize", tokenize_usage, tokenize_command},
    {"bench", bench_usage, bench_command},
    {"train-toy", train_toy_usage, train_toy_command},
    {"evaluate", evaluate_usage, evaluate_command},
    {"scenes", scenes_usage, scenes_command},
};

// Each line of `text` indented by `spaces`.
std::string indented(const std::string& text, int spaces) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    out += std::string(spaces, ' ') + text.substr(start, end - start) + "\n";
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

std::string usage() {
  std::string out =
      "usage: legrad COMMAND [options]   (legrad COMMAND --help: that command alone)\n\n";
  for (const Command& c : kCommands) out += indented(c.usage(), 2);
  return out;
}

bool asks_for_help(int argc, char** argv) {
  for (int i = 0; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  return false;
}

}  // namespace
}  // namespace legrad::cli

int main(int argc, char** argv) {
  using legrad::cli::kCommands;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(legrad::cli::usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* name = argv[1];
  for (const auto& command : kCommands) {
    if (std::strcmp(name, command.name)) continue;
    if (legrad::cli::asks_for_help(argc - 2, argv + 2)) {
      std::printf("usage: legrad %s", command.usage().c_str());
      return 0;
    }
    try {
      return command.run(argc - 2, argv + 2);
    } catch (const legrad::Error& e) {
      std::fprintf(stderr, "legrad %s: %s\n", name, e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "legrad %s: internal error: %s\n", name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "legrad: unknown command '%s'\n\n%s", name, legrad::cli::usage().c_str());
  return 2;
}
