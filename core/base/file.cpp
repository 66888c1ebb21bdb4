#include "base/file.h"

#include <sys/stat.h>
#include <zlib.h>

#include <fstream>

#include "base/error.h"

namespace legrad {

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool ends_with(const std::string& path, const std::string& tail) {
  return path.size() >= tail.size() &&
         path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {

void check_size(const std::string& path, const std::string& what, size_t size, size_t max_bytes) {
  if (size > max_bytes)
    throw Error(path + ": " + what + " is too large (over " + std::to_string(max_bytes >> 20) +
                " MB)");
}

}  // namespace

std::string read_file(const std::string& path, const std::string& what, size_t max_bytes) {
  if (is_dir(path)) throw Error(path + ": is a folder, not a " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open " + what);
  std::string out;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    check_size(path, what, out.size(), max_bytes);
  }
  if (in.bad()) throw Error(path + ": cannot read " + what);
  return out;
}

std::string read_maybe_gzip(const std::string& path, const std::string& what, size_t max_bytes) {
  if (is_dir(path)) throw Error(path + ": is a folder, not a " + what);
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open " + what);
  std::string out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0 && out.size() <= max_bytes)
    out.append(buf, static_cast<size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw Error(path + ": corrupt gzip data in " + what + " (" + message + ")");
  check_size(path, what, out.size(), max_bytes);
  return out;
}

}  // namespace legrad
