#pragma once
// The local certificate authority of a run folder (make up, the end-to-end tests, the
// benchmarks): a CA made once with Debian's openssl, and a certificate per name, valid for
// localhost and 127.0.0.1, usable to serve and to call (services are both). Keys are created
// 0600 in a 0700 folder. Production certificates come from cert-manager (docs/deploy.md).

#include <filesystem>
#include <string>

#include "jaring/grpc/tls.hpp"

namespace jaring::stack {

class LocalTls {
 public:
  // Makes the CA under `dir` unless it is there. Throws std::runtime_error when openssl fails.
  static LocalTls open_or_create(const std::filesystem::path& dir);
  // What a service serves and calls with: its certificate, the CA it trusts, and the CA its
  // callers' certificates must chain to (mTLS). Issues the certificate on first use.
  grpc::TlsFiles service(const std::string& name) const;
  // What a client (jaringctl, a test, a benchmark) calls with: its certificate and the CA.
  grpc::TlsFiles client(const std::string& name) const;
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }

 private:
  explicit LocalTls(std::filesystem::path dir) : dir_(std::move(dir)) {}
  void issue(const std::string& name) const;
  std::filesystem::path dir_;
};

}  // namespace jaring::stack
