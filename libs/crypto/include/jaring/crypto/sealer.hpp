#pragma once
// Seals personal data for the stores: AES-256-GCM (OpenSSL EVP) under the current data key,
// and HMAC-SHA256 blind indexes, so that a unique NIK and a look-up by NIK work on values the
// store never holds in clear.
//
// A sealed value is binary: 'J', format 1, the data key's id (4 bytes, big-endian), a random
// 12-byte nonce, the ciphertext and the 16-byte tag. The header and a context (the table,
// column and row the value belongs to) are authenticated with it, so a value copied into
// another row or column does not open. A blind index is 'I', format 1, the index key's id and
// the first 16 bytes of the MAC.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/common/result.hpp"
#include "jaring/crypto/keys.hpp"

namespace jaring::crypto {

class Sealer {
 public:
  explicit Sealer(Keys keys);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // Safe to call from several threads at once.
  std::string seal(std::string_view plain, std::string_view context) const;
  // The plaintext, or an error naming why it does not open (unknown key id, tampered or moved
  // value); never any of the value's bytes.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;
  // The id of the data key a value was sealed under; nullopt when it is not a sealed value.
  static std::optional<std::uint32_t> key_id(std::string_view sealed);

  // The blind index of `value` under the current index key.
  std::string blind_index(std::string_view value) const;
  // Under every index key, the current one first: what a look-up matches while an older
  // index key's entries wait for `rekey`.
  std::vector<std::string> blind_indexes(std::string_view value) const;
  // The id of the index key a blind index was made with; nullopt when it is not one.
  static std::optional<std::uint32_t> index_key_id(std::string_view index);

  std::uint32_t current_data_key() const { return keys_.data().current; }
  std::uint32_t current_index_key() const { return keys_.index().current; }

 private:
  std::string index_under(std::uint32_t id, std::string_view value) const;

  Keys keys_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jaring::crypto
