#include "args.h"

#include "base/error.h"

namespace legrad::cli {

Args::Args(int argc, char** argv, const std::set<std::string>& options,
           const std::set<std::string>& flags) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      positional_.push_back(a);
      continue;
    }
    const std::string name = a.substr(2);
    if (flags.count(name)) {
      values_[name] = "1";
    } else if (options.count(name)) {
      if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
      values_[name] = argv[++i];
    } else {
      throw Error("unknown option --" + name);
    }
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int Args::get_int(const std::string& name, int fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  try {
    size_t used = 0;
    const int v = std::stoi(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw Error("option --" + name + " needs an integer, got '" + it->second + "'");
  }
}

}  // namespace legrad::cli
