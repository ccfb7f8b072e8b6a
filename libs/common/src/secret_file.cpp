#include "jaring/common/secret_file.hpp"

#include <cctype>
#include <fstream>

namespace jaring {

std::optional<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) line.pop_back();
  if (line.empty()) return std::nullopt;
  return line;
}

}  // namespace jaring
