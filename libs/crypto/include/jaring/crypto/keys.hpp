#pragma once
// The key file of the personal data at rest (`crypto.key_file`): AES-256 data keys that seal
// values, and HMAC-SHA256 index keys that make blind indexes, each numbered so that keys rotate:
// a new key becomes current, values sealed under an older one are still read, and `rekey`
// re-seals them. A YAML file, written by `jaringctl keys new` and `jaringctl keys rotate`:
//
//   data:
//     current: 2
//     keys: {1: <base64url of 32 bytes>, 2: <...>}
//   index:
//     current: 1
//     keys: {1: <...>}
//
// The bytes of a key never appear in an error message.

#include <cstdint>
#include <map>
#include <string>

#include "jaring/common/result.hpp"

namespace jaring::crypto {

inline constexpr std::size_t kKeyBytes = 32;

// Keys of one kind, by id (1, 2, ...), and the id of the one new values use.
struct KeySet {
  std::uint32_t current = 0;
  std::map<std::uint32_t, std::string> keys;  // id -> 32 key bytes

  const std::string& current_key() const { return keys.at(current); }
};

class Keys {
 public:
  // Reads and checks a key file: both sections, every key 32 bytes of base64url, the current id
  // among the keys. The error names the file and the entry.
  static Result<Keys> load(const std::string& path);
  static Result<Keys> parse(const std::string& yaml, const std::string& source);
  // A data key and an index key, both id 1, from the system's random source.
  static Keys generate();

  // A copy with one more data key (the next id) made current. Older keys stay, to read what
  // they sealed until `rekey` has re-sealed it.
  Keys with_new_data_key() const;
  // A copy with one more index key made current.
  Keys with_new_index_key() const;
  // A copy with the current keys only: for after `rekey` has re-sealed everything under them (a
  // value under a dropped key can no longer be read).
  Keys current_only() const;

  std::string to_yaml() const;
  // Writes the file readable by its owner only (0600), replacing it in one rename.
  Result<void> write(const std::string& path) const;

  const KeySet& data() const { return data_; }
  const KeySet& index() const { return index_; }

 private:
  KeySet data_;
  KeySet index_;
};

}  // namespace jaring::crypto
