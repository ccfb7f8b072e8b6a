#pragma once
// Base64url without padding (RFC 7515 section 2), on OpenSSL's base64 codec.

#include <optional>
#include <string>
#include <string_view>

namespace jaring::crypto {

std::string base64url_encode(std::string_view bytes);
// nullopt for characters outside the base64url alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace jaring::crypto
