#pragma once
// A secret kept in a file of its own (a password, a token), as Kubernetes mounts a Secret's key.

#include <optional>
#include <string>

namespace jaring {

// The file's first line without trailing whitespace (the newline an editor or `echo` adds, a
// CR); nullopt when the file cannot be read or that line is empty. Never logs the value.
std::optional<std::string> read_secret_file(const std::string& path);

}  // namespace jaring
