#include "jaring/grpc/tls.hpp"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>

namespace jaring::grpc {
namespace {

namespace tls = ::grpc::experimental;

bool readable(const std::string& path) {
  std::ifstream in(path);
  return static_cast<bool>(in);
}

}  // namespace

std::vector<FieldViolation> check_key_pair(const std::string& prefix, const std::string& cert_file,
                                           const std::string& key_file) {
  std::vector<FieldViolation> out;
  if (cert_file.empty() != key_file.empty()) {
    out.push_back({prefix + (cert_file.empty() ? "cert_file" : "key_file"),
                   "a certificate and its key go together: set both or neither"});
  }
  for (const auto& [name, path] : {std::pair{"cert_file", &cert_file}, {"key_file", &key_file}}) {
    if (!path->empty() && !readable(*path)) out.push_back({prefix + name, "cannot read " + *path});
  }
  return out;
}

std::vector<FieldViolation> check(const TlsFiles& files) {
  auto out = check_key_pair("tls.", files.cert_file, files.key_file);
  if (!files.client_ca_file.empty() && files.cert_file.empty())
    out.push_back(
        {"tls.client_ca_file", "requiring client certificates needs tls.cert_file and tls.key_file"});
  if (files.refresh_seconds < 1 || files.refresh_seconds > 86400)
    out.push_back({"tls.refresh_seconds", "must be from 1 to 86400"});
  for (const auto& [key, path] :
       {std::pair{"tls.ca_file", &files.ca_file}, std::pair{"tls.client_ca_file", &files.client_ca_file}}) {
    if (!path->empty() && !readable(*path)) out.push_back({key, "cannot read " + *path});
  }
  return out;
}

std::shared_ptr<::grpc::ServerCredentials> server_credentials(const TlsFiles& files) {
  if (!files.serves_tls()) return ::grpc::InsecureServerCredentials();
  auto provider = std::make_shared<tls::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.client_ca_file, static_cast<unsigned>(files.refresh_seconds));
  tls::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!files.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return ::grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<::grpc::ChannelCredentials> channel_credentials(const TlsFiles& files) {
  if (!files.calls_with_tls()) return ::grpc::InsecureChannelCredentials();
  tls::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(std::make_shared<tls::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.ca_file, static_cast<unsigned>(files.refresh_seconds)));
  options.watch_root_certs();
  if (!files.cert_file.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(std::make_shared<tls::HostNameCertificateVerifier>());
  return ::grpc::experimental::TlsCredentials(options);
}

std::shared_ptr<::grpc::Channel> make_channel(const std::string& address, const TlsFiles& files,
                                              const ::grpc::ChannelArguments& arguments) {
  return ::grpc::CreateCustomChannel(address, channel_credentials(files), arguments);
}

}  // namespace jaring::grpc
