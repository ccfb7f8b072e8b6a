#pragma once
// An object of a C library (OpenSSL, libjwt) owned by a unique_ptr and released by the library's
// own free function: FreePtr<EVP_PKEY, EVP_PKEY_free>.

#include <memory>

namespace jaring::crypto {

template <typename T, void (*Free)(T*)>
struct CallFree {
  void operator()(T* p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T*)>
using FreePtr = std::unique_ptr<T, CallFree<T, Free>>;

}  // namespace jaring::crypto
