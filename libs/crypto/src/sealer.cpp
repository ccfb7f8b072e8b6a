#include "jaring/crypto/sealer.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "jaring/crypto/free_ptr.hpp"

namespace jaring::crypto {
namespace {

constexpr char kSealedMagic = 'J';
constexpr char kIndexMagic = 'I';
constexpr char kFormat = 1;
constexpr std::size_t kHeader = 6;  // magic, format, 4-byte key id
constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
constexpr std::size_t kMac = 32;
// A blind index keeps the first 16 bytes of the MAC (HMAC-SHA-256-128): collisions stay out of
// reach (2^-128 a pair) and the index the store keeps per row is half as large.
constexpr std::size_t kIndexMac = 16;

using CipherCtxPtr = FreePtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using CipherPtr = FreePtr<EVP_CIPHER, EVP_CIPHER_free>;
using MacPtr = FreePtr<EVP_MAC, EVP_MAC_free>;
using MacCtxPtr = FreePtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;

auto* bytes(std::string& s, std::size_t at = 0) { return reinterpret_cast<unsigned char*>(s.data() + at); }
const auto* bytes(std::string_view s, std::size_t at = 0) {
  return reinterpret_cast<const unsigned char*>(s.data() + at);
}

void put_header(std::string& out, char magic, std::uint32_t id) {
  out[0] = magic;
  out[1] = kFormat;
  for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<char>((id >> (24 - 8 * i)) & 0xFF);
}

std::optional<std::uint32_t> header_id(std::string_view value, char magic, std::size_t min_size) {
  if (value.size() < min_size || value[0] != magic || value[1] != kFormat) return std::nullopt;
  std::uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(value[2 + i]);
  return id;
}

// Counts the forks this process's children have seen (pthread_atfork's child handler): a thread
// whose pool was drawn in another generation draws afresh. Cheaper than asking getpid() for every
// nonce, a system call that was 3% of registration's CPU in a bulk import.
std::atomic<unsigned> fork_generation{0};
void count_fork() noexcept { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// A fresh random nonce. OpenSSL's RAND_bytes costs over a microsecond a call (more than the
// encryption of a short value), so each thread draws 4 KiB at a time and hands out 12 bytes of it
// per nonce; every nonce is still 96 random bits, never handed out twice. A forked child starts
// over with its own draw rather than repeat its parent's bytes.
void draw_nonce(unsigned char* out) {
  constexpr std::size_t kDraw = 341 * kNonce;
  static const bool registered = ::pthread_atfork(nullptr, nullptr, count_fork) == 0;
  if (!registered) throw std::runtime_error("cannot watch for fork(): nonces would repeat in a child");
  thread_local std::array<unsigned char, kDraw> pool{};
  thread_local std::size_t used = kDraw;
  thread_local unsigned generation = 0;
  if (const auto now = fork_generation.load(std::memory_order_relaxed); now != generation) {
    generation = now;
    used = kDraw;
  }
  if (used == kDraw) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1)
      throw std::runtime_error("OpenSSL failed to draw nonces");
    used = 0;
  }
  std::memcpy(out, pool.data() + used, kNonce);
  OPENSSL_cleanse(pool.data() + used, kNonce);
  used += kNonce;
}

// Every Sealer gets a number of its own, never reused, so that a thread's cached contexts (below)
// can never serve a key of another Sealer, even one at the same address.
std::atomic<std::uint64_t> next_generation{1};

// The calling thread's cipher context for one key of one Sealer, to encrypt or to decrypt: set
// up with the key once (the key schedule and GHASH table are most of the cost of a short value),
// then only given a new nonce per value.
EVP_CIPHER_CTX* keyed_context(std::uint64_t generation, std::uint32_t key_id, bool encrypt,
                              EVP_CIPHER* cipher, const std::string& key) {
  thread_local std::map<std::tuple<std::uint64_t, std::uint32_t, bool>, CipherCtxPtr> contexts;
  auto& ctx = contexts[{generation, key_id, encrypt}];
  if (!ctx) {
    ctx.reset(EVP_CIPHER_CTX_new());
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx || (encrypt ? EVP_EncryptInit_ex2(ctx.get(), cipher, k, nullptr, nullptr)
                         : EVP_DecryptInit_ex2(ctx.get(), cipher, k, nullptr, nullptr)) != 1) {
      ctx.reset();
      throw std::runtime_error("OpenSSL failed to set up AES-256-GCM");
    }
  }
  return ctx.get();
}

[[noreturn]] void openssl_failed(const char* what) {
  // Only a broken OpenSSL or an exhausted heap gets here: nothing a caller could handle.
  throw std::runtime_error(fmt::format("OpenSSL failed to {}", what));
}

}  // namespace

struct Sealer::Impl {
  std::uint64_t generation = next_generation.fetch_add(1);
  CipherPtr cipher{EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)};
  MacPtr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  // One keyed HMAC context per index key, which each thread copies once (index_under).
  std::map<std::uint32_t, MacCtxPtr> macs;
};

Sealer::Sealer(Keys keys) : keys_(std::move(keys)), impl_(std::make_unique<Impl>()) {
  if (!impl_->cipher || !impl_->mac) openssl_failed("provide AES-256-GCM and HMAC");
  for (const auto& [id, key] : keys_.index().keys) {
    MacCtxPtr ctx(EVP_MAC_CTX_new(impl_->mac.get()));
    std::array<char, 7> digest{"SHA256"};
    const std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_init(ctx.get(), bytes(key), key.size(), params.data()) != 1)
      openssl_failed("key HMAC");
    impl_->macs.emplace(id, std::move(ctx));
  }
}

Sealer::~Sealer() = default;

std::string Sealer::seal(std::string_view plain, std::string_view context) const {
  const auto id = keys_.data().current;
  const auto& key = keys_.data().current_key();
  std::string out(kHeader + kNonce + plain.size() + kTag, '\0');
  put_header(out, kSealedMagic, id);
  draw_nonce(bytes(out, kHeader));
  auto* ctx = keyed_context(impl_->generation, id, true, impl_->cipher.get(), key);
  int n = 0;
  int tail = 0;
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, bytes(out, kHeader), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &n, bytes(out), kHeader) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &n, bytes(context), static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx, bytes(out, kHeader + kNonce), &n, bytes(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, bytes(out, kHeader + kNonce + static_cast<std::size_t>(n)), &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, bytes(out, kHeader + kNonce + plain.size())) !=
          1) {
    openssl_failed("seal a value");
  }
  return out;
}

Result<std::string> Sealer::open(std::string_view sealed, std::string_view context) const {
  const auto id = key_id(sealed);
  if (!id) return fail(Error::internal("not a sealed value"));
  const auto key = keys_.data().keys.find(*id);
  if (key == keys_.data().keys.end()) {
    return fail(Error::internal(
        fmt::format("sealed under data key {}, which crypto.key_file does not hold (keep a key until `rekey` "
                    "has re-sealed everything under it)",
                    *id)));
  }
  const auto size = sealed.size() - kHeader - kNonce - kTag;
  std::string plain(size, '\0');
  std::string tag(sealed.substr(kHeader + kNonce + size, kTag));
  auto* ctx = keyed_context(impl_->generation, *id, false, impl_->cipher.get(), key->second);
  int n = 0;
  int tail = 0;
  const bool ok =
      EVP_DecryptInit_ex2(ctx, nullptr, nullptr, bytes(sealed, kHeader), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &n, bytes(sealed), kHeader) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &n, bytes(context), static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx, bytes(plain), &n, bytes(sealed, kHeader + kNonce), static_cast<int>(size)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx, bytes(plain, static_cast<std::size_t>(n)), &tail) == 1;
  if (!ok) {
    return fail(Error::internal(fmt::format(
        "a value sealed under data key {} does not open: altered, or moved from another row", *id)));
  }
  return plain;
}

std::optional<std::uint32_t> Sealer::key_id(std::string_view sealed) {
  return header_id(sealed, kSealedMagic, kHeader + kNonce + kTag);
}

std::optional<std::uint32_t> Sealer::index_key_id(std::string_view index) {
  if (index.size() != kHeader + kIndexMac) return std::nullopt;
  return header_id(index, kIndexMagic, kHeader + kIndexMac);
}

std::string Sealer::index_under(std::uint32_t id, std::string_view value) const {
  // The calling thread's copy of the keyed context, restarted per value with the same key.
  thread_local std::map<std::pair<std::uint64_t, std::uint32_t>, MacCtxPtr> contexts;
  auto& ctx = contexts[{impl_->generation, id}];
  if (!ctx) ctx.reset(EVP_MAC_CTX_dup(impl_->macs.at(id).get()));
  std::array<unsigned char, kMac> mac{};
  std::size_t n = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), bytes(value), value.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &n, mac.size()) != 1 || n != kMac) {
    openssl_failed("compute a blind index");
  }
  std::string out(kHeader + kIndexMac, '\0');
  put_header(out, kIndexMagic, id);
  std::memcpy(out.data() + kHeader, mac.data(), kIndexMac);
  return out;
}

std::string Sealer::blind_index(std::string_view value) const {
  return index_under(keys_.index().current, value);
}

std::vector<std::string> Sealer::blind_indexes(std::string_view value) const {
  std::vector<std::string> out{blind_index(value)};
  for (const auto& [id, key] : keys_.index().keys) {
    if (id != keys_.index().current) out.push_back(index_under(id, value));
  }
  return out;
}

}  // namespace jaring::crypto
