// A small "--name value" / positional argument parser for the legrad subcommands.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace legrad::cli {

class Args {
 public:
  // `flags` take no value; every other "--name" takes the next argument. Throws
  // legrad::Error on an unknown option or a missing value.
  Args(int argc, char** argv, const std::set<std::string>& options,
       const std::set<std::string>& flags = {});

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  int get_int(const std::string& name, int fallback) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Usage lines joined, each ended by a newline.
std::string usage_lines(const std::vector<std::string>& lines);
// A default as usage texts show it ("0.5", "2e-3").
std::string number(double value);
// Names joined by `separator`.
std::string joined(const std::vector<std::string>& names, const std::string& separator);

}  // namespace legrad::cli
