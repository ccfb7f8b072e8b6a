#pragma once
// TLS for every gRPC server and client Jaring runs (DESIGN.md section 6). A server with a
// certificate serves TLS only; with a client CA it also requires and verifies a client
// certificate (mTLS). A client with a CA verifies the server's certificate and host name and
// presents its own certificate when it has one. Certificates and keys are files re-read while
// the process runs (gRPC's file watcher), so cert-manager can rotate them without a restart.
// Nothing here prints a key or a certificate: errors name the setting and the file.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "jaring/common/result.hpp"

namespace jaring::grpc {

struct TlsFiles {
  std::string cert_file;       // tls.cert_file: this process's certificate chain (PEM)
  std::string key_file;        // tls.key_file: its private key (PEM)
  std::string ca_file;         // tls.ca_file: the CA a client trusts for the servers it calls
  std::string client_ca_file;  // tls.client_ca_file: a server requires client certificates it signed
  int refresh_seconds = 60;    // how often the files are checked for a rotation

  bool serves_tls() const { return !cert_file.empty(); }
  bool calls_with_tls() const { return !ca_file.empty(); }
};

// The broken rules of `files`, each naming its setting (tls.cert_file, ...): a certificate
// without its key, a client CA without a certificate, a file that cannot be read.
std::vector<FieldViolation> check(const TlsFiles& files);
// The rules of a certificate and its key set under `prefix` ("tls.", "admin.tls."): both or
// neither, and each readable. Violations name `<prefix>cert_file` or `<prefix>key_file`.
std::vector<FieldViolation> check_key_pair(const std::string& prefix, const std::string& cert_file,
                                           const std::string& key_file);

// Plaintext when `files` has no certificate; else TLS, and mTLS with a client CA. Call check()
// first: an unreadable file here is a programming error.
std::shared_ptr<::grpc::ServerCredentials> server_credentials(const TlsFiles& files);
// Plaintext when `files` names no CA; else TLS verifying the server, with this process's
// certificate when it has one.
std::shared_ptr<::grpc::ChannelCredentials> channel_credentials(const TlsFiles& files);
std::shared_ptr<::grpc::Channel> make_channel(const std::string& address, const TlsFiles& files,
                                              const ::grpc::ChannelArguments& arguments = {});

}  // namespace jaring::grpc
