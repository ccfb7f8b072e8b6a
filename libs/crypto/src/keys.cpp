#include "jaring/crypto/keys.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "jaring/crypto/base64url.hpp"

namespace jaring::crypto {
namespace {

std::string random_key() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("the system's random source failed to make a key");
  }
  return key;
}

Result<KeySet> parse_set(const YAML::Node& root, const char* section, const std::string& source) {
  const auto where = [&](const std::string& what) {
    return fail(Error::invalid({{fmt::format("{}: {}", source, section), what}}));
  };
  const auto node = root[section];
  if (!node || !node.IsMap()) return where("missing: a map with `current` and `keys`");
  const auto keys = node["keys"];
  if (!keys || !keys.IsMap() || keys.size() == 0) return where("`keys` must map ids (1, 2, ...) to keys");
  KeySet set;
  for (const auto& entry : keys) {
    std::uint32_t id = 0;
    try {
      const auto n = entry.first.as<long long>();
      if (n < 1 || n > 0xFFFFFFFFLL) return where("key ids are whole numbers from 1");
      id = static_cast<std::uint32_t>(n);
    } catch (const YAML::Exception&) {
      return where("key ids are whole numbers from 1");
    }
    const auto text = entry.second.IsScalar() ? entry.second.Scalar() : std::string();
    auto bytes = base64url_decode(text);
    if (!bytes || bytes->size() != kKeyBytes) {
      return where(fmt::format("key {} must be {} bytes in base64url (a text of {} characters)", id,
                               kKeyBytes, (kKeyBytes * 4 + 2) / 3));
    }
    if (!set.keys.emplace(id, std::move(*bytes)).second)
      return where(fmt::format("key {} appears twice", id));
  }
  try {
    const auto current = node["current"] ? node["current"].as<long long>() : 0;
    if (current < 1 || !set.keys.contains(static_cast<std::uint32_t>(current)))
      return where("`current` must be the id of one of its keys");
    set.current = static_cast<std::uint32_t>(current);
  } catch (const YAML::Exception&) {
    return where("`current` must be the id of one of its keys");
  }
  return set;
}

void add_key(KeySet& set) {
  const auto id = set.keys.empty() ? 1U : set.keys.rbegin()->first + 1;
  set.keys.emplace(id, random_key());
  set.current = id;
}

void emit_set(YAML::Emitter& out, const char* section, const KeySet& set) {
  out << YAML::Key << section << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "current" << YAML::Value << set.current;
  out << YAML::Key << "keys" << YAML::Value << YAML::BeginMap;
  for (const auto& [id, key] : set.keys) out << YAML::Key << id << YAML::Value << base64url_encode(key);
  out << YAML::EndMap << YAML::EndMap;
}

}  // namespace

Result<Keys> Keys::parse(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    // The parser's message quotes no value, only where it stopped.
    return fail(Error::invalid({{source, fmt::format("not YAML (line {})", e.mark.line + 1)}}));
  }
  if (!root.IsMap()) return fail(Error::invalid({{source, "must hold the sections `data` and `index`"}}));
  Keys keys;
  auto data = parse_set(root, "data", source);
  if (!data) return fail(data.error());
  auto index = parse_set(root, "index", source);
  if (!index) return fail(index.error());
  keys.data_ = std::move(*data);
  keys.index_ = std::move(*index);
  return keys;
}

Result<Keys> Keys::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::invalid({{path, fmt::format("cannot be read: {}", std::strerror(errno))}}));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Keys Keys::generate() {
  Keys keys;
  add_key(keys.data_);
  add_key(keys.index_);
  return keys;
}

Keys Keys::with_new_data_key() const {
  Keys next = *this;
  add_key(next.data_);
  return next;
}

Keys Keys::with_new_index_key() const {
  Keys next = *this;
  add_key(next.index_);
  return next;
}

Keys Keys::current_only() const {
  Keys next;
  next.data_ = {data_.current, {{data_.current, data_.current_key()}}};
  next.index_ = {index_.current, {{index_.current, index_.current_key()}}};
  return next;
}

std::string Keys::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_set(out, "data", data_);
  emit_set(out, "index", index_);
  out << YAML::EndMap;
  return fmt::format(
      "# Jaring personal data keys (crypto.key_file). Secret: readable by the services that seal\n"
      "# personal data only, and backed up apart from the stores. Rotate with `jaringctl keys rotate`,\n"
      "# then run `rekey` (docs/security.md).\n{}\n",
      out.c_str());
}

Result<void> Keys::write(const std::string& path) const {
  const auto tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(Error::unavailable(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno))));
  const auto text = to_yaml();
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool ok = written == text.size() && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::filesystem::remove(tmp);
    return fail(
        Error::unavailable(fmt::format("{}: cannot write: {}", path, std::strerror(ok ? errno : error))));
  }
  return {};
}

}  // namespace jaring::crypto
