#include "jaring/stack/local_tls.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn needs it

namespace jaring::stack {
namespace fs = std::filesystem;

namespace {

// Runs openssl with `args`, its output to `log`; throws naming the step when it fails.
void openssl(const std::vector<std::string>& args, const fs::path& log, const std::string& step) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  raw.reserve(argv.size() + 1);
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "openssl", &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw std::runtime_error(step + ": cannot run openssl (is the openssl package installed?)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(fmt::format("{}: openssl failed (see {})", step, log.string()));
}

}  // namespace

LocalTls LocalTls::open_or_create(const fs::path& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  LocalTls tls(fs::absolute(dir));
  const auto key = tls.dir_ / "ca.key";
  if (!fs::exists(tls.dir_ / "ca.pem") || !fs::exists(key)) {
    openssl({"req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-keyout", key.string(), "-out", (tls.dir_ / "ca.pem").string(), "-days", "3650", "-subj",
             "/O=Jaring/CN=Jaring local CA"},
            tls.dir_ / "openssl.log", "the local CA");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  }
  return tls;
}

void LocalTls::issue(const std::string& name) const {
  const auto cert = dir_ / (name + ".pem");
  const auto key = dir_ / (name + ".key");
  if (fs::exists(cert) && fs::exists(key)) return;
  const auto request = dir_ / (name + ".csr");
  const auto extensions = dir_ / (name + ".ext");
  std::ofstream(extensions) << fmt::format(
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
      "subjectAltName=DNS:localhost,DNS:{},IP:127.0.0.1\n",
      name);
  const auto log = dir_ / "openssl.log";
  openssl({"req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout",
           key.string(), "-out", request.string(), "-subj", "/O=Jaring/CN=" + name},
          log, "the key of " + name);
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  openssl({"x509", "-req", "-in", request.string(), "-CA", (dir_ / "ca.pem").string(), "-CAkey",
           (dir_ / "ca.key").string(), "-CAcreateserial", "-out", cert.string(), "-days", "825", "-extfile",
           extensions.string()},
          log, "the certificate of " + name);
  fs::remove(request);
  fs::remove(extensions);
}

grpc::TlsFiles LocalTls::service(const std::string& name) const {
  issue(name);
  grpc::TlsFiles files;
  files.cert_file = (dir_ / (name + ".pem")).string();
  files.key_file = (dir_ / (name + ".key")).string();
  files.ca_file = ca_file();
  files.client_ca_file = ca_file();
  return files;
}

grpc::TlsFiles LocalTls::client(const std::string& name) const {
  auto files = service(name);
  files.client_ca_file.clear();
  return files;
}

}  // namespace jaring::stack
