#include "jaring/grpc/edge.hpp"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jaring/common/ids.hpp"
#include "jaring/common/secret_file.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/log/log.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::grpc {
namespace {

std::string metadata_value(const ::grpc::ServerContextBase& context, const char* key) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return {it->second.data(), it->second.size()};
}

bool all_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

void collect_ids(const google::protobuf::Message& message, std::vector<std::string>& out, std::size_t limit,
                 int depth) {
  if (depth > 3) return;
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (out.size() >= limit) return;
    const auto& name = field->name();
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
        field->type() != google::protobuf::FieldDescriptor::TYPE_BYTES &&
        (name.ends_with("_id") || name.ends_with("_ids"))) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field) && out.size() < limit; ++i)
          out.push_back(reflection->GetRepeatedString(message, field, i));
      } else {
        out.push_back(reflection->GetString(message, field));
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field) && out.size() < limit; ++i)
          collect_ids(reflection->GetRepeatedMessage(message, field, i), out, limit, depth + 1);
      } else {
        collect_ids(reflection->GetMessage(message, field), out, limit, depth + 1);
      }
    }
  }
}

}  // namespace

std::vector<std::string> ids_in(const google::protobuf::Message& message, std::size_t limit) {
  std::vector<std::string> out;
  collect_ids(message, out, limit, 0);
  std::erase_if(out, [](const std::string& id) { return id.empty(); });
  return out;
}

std::string accepted_trace_id(std::string_view text) {
  // W3C traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>
  if (text.size() == 55 && text[2] == '-' && text[35] == '-' && text[52] == '-') text = text.substr(3, 32);
  const auto hex = text.starts_with("t_") ? text.substr(2) : text;
  if (hex.size() >= 16 && hex.size() <= 32 && all_hex(hex) && !has_decimal_run(hex, kNikDigits))
    return std::string(text);
  return {};
}

struct Edge::Admitted {
  const auth::MethodPolicy* policy = nullptr;
  auth::Identity identity;
};

Edge::Edge(std::string service, auth::Verifier& verifier, metrics::Registry& metrics, audit::Trail* trail,
           PolicyLookup policies)
    : service_(std::move(service)),
      verifier_(verifier),
      trail_(trail),
      policies_(std::move(policies)),
      refusals_(metrics.counter("rpc_refusals_total",
                                "calls refused at the edge, by reason: unauthenticated, denied, rate")) {}

bool Edge::within_rate(const std::string& subject, const auth::MethodPolicy& policy) {
  if (policy.per_minute <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  const double per_second = policy.per_minute / 60.0;
  std::lock_guard lock(rate_mutex_);
  const auto key = subject + " " + std::string(policy.method);
  auto [it, added] = buckets_.try_emplace(key, Bucket{static_cast<double>(policy.per_minute), now});
  auto& bucket = it->second;
  if (!added) {
    const std::chrono::duration<double> elapsed = now - bucket.at;
    bucket.tokens = std::min<double>(policy.per_minute, bucket.tokens + elapsed.count() * per_second);
    bucket.at = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

::grpc::Status Edge::admit(::grpc::ServerContextBase& context, const std::string& method,
                           const google::protobuf::Message* request, Admitted& out) {
  out.policy = policies_(method);
  if (out.policy == nullptr) {
    // The access table test makes this impossible for Jaring's own methods.
    spdlog::error("{} has no entry in the access table: refused", method);
    refusals_.Add({{"reason", "denied"}}).Increment();
    return {::grpc::StatusCode::PERMISSION_DENIED, "method not allowed"};
  }
  if (request != nullptr) {
    // A handler that named another method than its own would borrow that method's rule.
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
        method.substr(1, method.rfind('/') - 1) + "." + method.substr(method.rfind('/') + 1));
    if (descriptor == nullptr || descriptor->input_type() != request->GetDescriptor()) {
      spdlog::critical("edge: handler for {} named the wrong method", method);
      std::abort();
    }
  }
  auto identity = verifier_.verify(auth::bearer_token(metadata_value(context, "authorization")));
  if (!identity) {
    refusals_.Add({{"reason", "unauthenticated"}}).Increment();
    spdlog::info("{} refused: {}", method, identity.error().message);
    return {::grpc::StatusCode::UNAUTHENTICATED, identity.error().message};
  }
  out.identity = std::move(*identity);
  if (out.identity.has(auth::Role::kService))
    out.identity.acting_for = auth::normalise_subject(metadata_value(context, kActingUserHeader));
  if (!out.identity.roles.any_of(out.policy->roles)) {
    refusals_.Add({{"reason", "denied"}}).Increment();
    return {::grpc::StatusCode::PERMISSION_DENIED,
            "this call needs one of the roles " + out.policy->roles.str()};
  }
  if (!within_rate(out.identity.subject, *out.policy)) {
    refusals_.Add({{"reason", "rate"}}).Increment();
    return {::grpc::StatusCode::RESOURCE_EXHAUSTED,
            "at most " + std::to_string(out.policy->per_minute) + " calls a minute; try again later"};
  }
  return ::grpc::Status::OK;
}

::grpc::Status Edge::serve(::grpc::ServerContextBase* context, std::string_view method_name,
                           const google::protobuf::Message* request, const google::protobuf::Message* reply,
                           const Handler& handler) {
  auto trace = accepted_trace_id(metadata_value(*context, "x-trace-id"));
  if (trace.empty()) trace = accepted_trace_id(metadata_value(*context, "traceparent"));
  if (trace.empty()) trace = new_id("t_");
  log::TraceScope trace_scope(trace);
  const auto method = "/" + service_ + "/" + std::string(method_name);

  Admitted admitted;
  auto status = admit(*context, method, request, admitted);
  // Refusals of a known caller are audited; an unauthenticated one has nobody to name, and is
  // counted and logged instead (recording it would let anyone fill the trail).
  const bool audited = admitted.policy != nullptr && !admitted.identity.subject.empty() &&
                       (admitted.policy->access != auth::Access::kOpen || !status.ok());
  audit::Record base;
  if (audited) {
    base.subject = admitted.identity.subject;
    base.acting_for = admitted.identity.acting_for;
    base.roles = admitted.identity.roles.str();
    base.method = method;
    base.trace_id = trace;
    if (request != nullptr) base.ids = ids_in(*request);
  }
  audit::CallRecord record(audited ? trail_ : nullptr, std::move(base));
  if (status.ok()) {
    const auto scope = auth::scope_of(admitted.identity, *admitted.policy);
    const Call call{admitted.identity, scope, method};
    store::ObserverScope observing(&record);
    try {
      status = handler(call);
    } catch (const store::OutboxMessageTooLarge& e) {
      // The request is at fault, not the store: nothing was written (the append rolled back).
      spdlog::warn("{} refused: {}", method, e.what());
      status = to_status(Error::invalid(
          {{"request", fmt::format("the event this change publishes would be {} bytes; at most {} bytes: "
                                   "shorten its text fields",
                                   e.bytes(), e.limit())}}));
    } catch (const store::StoreError& e) {
      spdlog::error("{} failed in the store: {}", method, e.what());
      status = {::grpc::StatusCode::UNAVAILABLE, "the store is unavailable; try again"};
    } catch (const std::exception& e) {
      status = internal_error(e.what());
    } catch (...) {
      status = internal_error("unknown exception");
    }
  }
  if (audited) {
    record.finish(status_code_name(status.error_code()),
                  status.ok() && reply != nullptr ? ids_in(*reply) : std::vector<std::string>{});
  }
  return status;
}

struct TokenSource::State {
  std::string token;
  std::string path;
  std::mutex mutex;
  std::string cached;
  std::filesystem::file_time_type mtime{};
};

TokenSource TokenSource::fixed(std::string token) {
  TokenSource source;
  source.state_ = std::make_shared<State>();
  source.state_->token = std::move(token);
  return source;
}

TokenSource TokenSource::file(std::string path) {
  TokenSource source;
  source.state_ = std::make_shared<State>();
  source.state_->path = std::move(path);
  source.token();  // fails now, at start-up, when the file is missing
  return source;
}

std::string TokenSource::token() const {
  if (!state_) return {};
  if (state_->path.empty()) return state_->token;
  std::lock_guard lock(state_->mutex);
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(state_->path, ec);
  if (!ec && mtime == state_->mtime && !state_->cached.empty()) return state_->cached;
  auto token = read_secret_file(state_->path);
  if (!token) throw std::runtime_error("cannot read a token from the token file " + state_->path);
  state_->cached = std::move(*token);
  state_->mtime = mtime;
  return state_->cached;
}

void authorize(::grpc::ClientContext& context, const std::string& token, std::string_view acting_for) {
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  if (!acting_for.empty()) context.AddMetadata(kActingUserHeader, std::string(acting_for));
  if (const auto& trace = log::current_trace_id(); !trace.empty()) context.AddMetadata("x-trace-id", trace);
}

void authorize(::grpc::ClientContext& context, const TokenSource& token, std::string_view acting_for) {
  authorize(context, token.token(), acting_for);
}

}  // namespace jaring::grpc
