#include "args.h"

#include <cstdio>

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

namespace {

// `parse` (std::stoi, std::stod) over the whole text, or an error naming the option.
template <typename T, typename Parse>
T parse_whole(const std::string& name, const std::string& text, const char* kind, Parse parse) {
  try {
    size_t used = 0;
    const T v = parse(text, &used);
    if (used != text.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    throw Error("option --" + name + " needs " + kind + ", got '" + text + "'");
  }
}

}  // namespace

int Args::get_int(const std::string& name, int fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return parse_whole<int>(name, it->second, "an integer",
                          [](const std::string& t, size_t* used) { return std::stoi(t, used); });
}

double Args::get_double(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return parse_whole<double>(name, it->second, "a number",
                             [](const std::string& t, size_t* used) { return std::stod(t, used); });
}

std::string usage_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string joined(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

}  // namespace legrad::cli
