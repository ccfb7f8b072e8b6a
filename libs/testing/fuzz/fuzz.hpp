#pragma once
// What the project's libFuzzer targets share: one input format for a sequence of calls, seed
// files written by the targets themselves, and calls into a service's gRPC handlers as an
// authenticated caller without a server.
//
// An input is a sequence of records, each `kind` (which RPC, say), `who` (which caller), a
// 16-bit little-endian length and that many bytes (a serialized request or event). A short last
// record takes what is left. Every input starts from a fresh store, so that a saved crash
// replays alone.

#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>
#include <google/protobuf/stubs/logging.h>

#include "jaring/auth/verifier.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/testing/auth.hpp"

namespace jaring::fuzz {

struct Record {
  std::uint8_t kind = 0;
  std::uint8_t who = 0;
  std::string_view bytes;
};

// At most `max_records` records: a bound on the work one input asks for.
inline std::vector<Record> split(const std::uint8_t* data, std::size_t size, std::size_t max_records = 16) {
  std::vector<Record> out;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t at = 0;
  while (at + 4 <= in.size() && out.size() < max_records) {
    Record r;
    r.kind = static_cast<std::uint8_t>(in[at]);
    r.who = static_cast<std::uint8_t>(in[at + 1]);
    const std::size_t length = static_cast<std::uint8_t>(in[at + 2]) |
                               (static_cast<std::size_t>(static_cast<std::uint8_t>(in[at + 3])) << 8);
    at += 4;
    r.bytes = in.substr(at, length);
    at += r.bytes.size();
    out.push_back(r);
  }
  return out;
}

// One record as split() reads it: for seeds.
inline std::string record(std::uint8_t kind, std::uint8_t who, const google::protobuf::MessageLite& message) {
  const auto bytes = message.SerializeAsString();
  if (bytes.size() > 0xffff) std::abort();  // a seed is small
  std::string out{static_cast<char>(kind), static_cast<char>(who), static_cast<char>(bytes.size() & 0xff),
                  static_cast<char>(bytes.size() >> 8)};
  return out + bytes;
}

// Called from LLVMFuzzerInitialize: quiets the logs (a refusal or a malformed string per input
// would drown the fuzzer's output), and when JARING_FUZZ_SEEDS names a folder, writes the target's seeds
// there (name -> input) and exits; that is how the committed corpus is made.
template <typename Seeds>
void initialize(Seeds&& seeds) {
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  const char* dir = std::getenv("JARING_FUZZ_SEEDS");
  if (dir == nullptr) return;
  std::filesystem::create_directories(dir);
  for (const auto& [name, input] : std::map<std::string, std::string>(seeds())) {
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << input;
  }
  std::exit(0);
}

// The statuses an answer to a fuzzed request may have: any refusal, never an internal failure
// (an exception escaping the core, a store statement that failed): those are what the fuzzers look for.
inline void expect_handled(const ::grpc::Status& status, std::string_view method) {
  switch (status.error_code()) {
    case ::grpc::StatusCode::INTERNAL:
    case ::grpc::StatusCode::UNKNOWN:
    case ::grpc::StatusCode::UNAVAILABLE:
    case ::grpc::StatusCode::DATA_LOSS:
      std::fprintf(stderr, "%.*s answered %d: %s\n", static_cast<int>(method.size()), method.data(),
                   static_cast<int>(status.error_code()), status.error_message().c_str());
      std::abort();
    default:
      return;
  }
}

// The callers a record's `who` picks from: one token per role (DESIGN.md section 6), two agents
// and two officers (maker-checker needs different people), signed by a local key and verified as
// a service verifies them. Tokens are made once: verified tokens are cached, so a call costs no
// signature check.
// `who` of the callers, in order; any other value picks one of them too.
enum Who : std::uint8_t {
  kAdmin,
  kOfficer,
  kOtherOfficer,
  kAgent,  // agent a_1
  kOtherAgent,
  kApprover,
  kAreaOfficial,
  kTreasurer,  // the city budget, sponsor id "city"
  kSponsor,    // sponsor s_1
  kAuditor,
  kService,
};

class Callers {
 public:
  Callers() : verifier_(auth_.verifier_settings(), clock_) {
    const std::vector<std::vector<std::string>> who = {{"admin", "admin.rudi"},
                                                       {"branch-officer", "officer.ani"},
                                                       {"branch-officer", "officer.dewi"},
                                                       {"agent", "agent.budi", "a_1"},
                                                       {"agent", "agent.sari", "a_2"},
                                                       {"approver", "approver.joko"},
                                                       {"area-official", "lurah.tini"},
                                                       {"treasurer", "treasurer.apbd", "", "city"},
                                                       {"sponsor", "sponsor.csr", "", "s_1"},
                                                       {"auditor", "auditor.eko"},
                                                       {"service", "svc-fuzz"}};
    for (const auto& w : who) {
      // Valid for a month: a long `make fuzz` never outlives its tokens.
      tokens_.push_back(auth_.authority().token_for(w[0], w[1], testing::jakarta_branches(), {"31"},
                                                    w.size() > 2 ? w[2] : "", w.size() > 3 ? w[3] : "",
                                                    std::chrono::hours(24 * 30)));
    }
  }
  auth::Verifier& verifier() { return verifier_; }
  metrics::Registry& metrics() { return metrics_; }
  const std::string& token(std::uint8_t who) const { return tokens_[who % tokens_.size()]; }

 private:
  testing::LocalAuth auth_;
  SystemClock clock_;
  auth::Verifier verifier_;
  metrics::Registry metrics_{"fuzz"};
  std::vector<std::string> tokens_;
};

// The callers of a target, made once per process (their keys and tokens are slow to make).
inline Callers& callers() {
  static Callers instance;
  return instance;
}

// A unary handler of a generated gRPC service, by its member function type.
template <typename Handler>
struct Unary;
template <typename S, typename Req, typename Rep>
struct Unary<::grpc::Status (S::*)(::grpc::ServerContext*, const Req*, Rep*)> {
  using Service = S;
  using Request = Req;
  using Reply = Rep;
};
// The handler behind a callback method (grpc/edge.hpp, answer_inline).
template <typename S, typename Req, typename Rep>
struct Unary<::grpc::Status (S::*)(::grpc::ServerContextBase*, const Req*, Rep*)> {
  using Service = S;
  using Request = Req;
  using Reply = Rep;
};

// The ids the replies of one input named so far, by field name (the latest of each): a string
// field of a later request whose value is "$" takes the id its name stands for, so that a call
// can act on what an earlier one created under a generated id (a claim filed, then verified).
using Ids = std::map<std::string, std::string, std::less<>>;

inline void walk_ids(google::protobuf::Message& message, Ids& ids, bool fill, int depth = 0) {
  using google::protobuf::FieldDescriptor;
  if (depth > 8) return;
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i)
          walk_ids(*reflection->MutableRepeatedMessage(&message, field, i), ids, fill, depth + 1);
      } else {
        walk_ids(*reflection->MutableMessage(&message, field), ids, fill, depth + 1);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !field->is_repeated()) {
      if (fill) {
        const auto it = ids.find(field->name());
        if (it != ids.end() && reflection->GetString(message, field) == "$")
          reflection->SetString(&message, field, it->second);
      } else if (field->name().ends_with("_id")) {
        ids[field->name()] = reflection->GetString(message, field);
      }
    }
  }
}

// A method a record's `kind` picks: its name, and a call that parses the bytes as its request
// (nullopt when they are none), fills in "$" ids, answers it and keeps the ids of its reply.
template <typename Service>
struct Method {
  std::string_view name;
  std::optional<::grpc::Status> (*call)(Service& service, ::grpc::ServerContext* context,
                                        std::string_view bytes, Ids& ids);
};

template <auto Handler>
std::optional<::grpc::Status> unary(typename Unary<decltype(Handler)>::Service& service,
                                    ::grpc::ServerContext* context, std::string_view bytes, Ids& ids) {
  typename Unary<decltype(Handler)>::Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  walk_ids(request, ids, true);
  typename Unary<decltype(Handler)>::Reply reply;
  auto status = (service.*Handler)(context, &request, &reply);
  if (status.ok()) walk_ids(reply, ids, false);
  return status;
}

// The `kind` of a method in `methods`, for seeds.
template <typename Service, std::size_t N>
std::uint8_t kind_of(const std::array<Method<Service>, N>& methods, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (methods[i].name == name) return static_cast<std::uint8_t>(i);
  }
  std::abort();
}

// A seed record: `request` sent to `method` of `methods` by the caller `who` picks.
template <typename Service, std::size_t N>
std::string seed(const std::array<Method<Service>, N>& methods, std::string_view method, std::uint8_t who,
                 const google::protobuf::MessageLite& request) {
  return record(kind_of(methods, method), who, request);
}

// Answers each record with the method its kind picks, as the caller its `who` picks, with a server
// context carrying the caller's bearer token as a gRPC server would after reading the metadata.
template <typename Service, std::size_t N>
void serve(Service& service, const std::array<Method<Service>, N>& methods, const Callers& callers,
           const std::vector<Record>& records) {
  Ids ids;
  for (const auto& r : records) {
    const auto& method = methods[r.kind % N];
    ::grpc::ServerContext context;
    ::grpc::testing::ServerContextTestSpouse spouse(&context);
    spouse.AddClientMetadata("authorization", "Bearer " + callers.token(r.who));
    if (const auto status = method.call(service, &context, r.bytes, ids))
      expect_handled(*status, method.name);
  }
}

// Applies the records' bytes as one batch of consumed messages, as a consumer hands it over.
// Every message is either applied or set aside for the dead-letter topic: an error would have
// the consumer offer the same batch forever, and with a store in memory nothing can be
// unavailable, so an error is a poison event.
inline void consume(kafka::BatchHandler& handler, const std::vector<Record>& records) {
  struct Letters final : kafka::DeadLetters {
    Result<void> send(const kafka::ConsumedMessage&, const std::string&) override { return {}; }
  } dead;
  std::vector<kafka::ConsumedMessage> batch;
  batch.reserve(records.size());
  for (const auto& r : records) {
    batch.push_back({"fuzz", 0, static_cast<std::int64_t>(batch.size()), "", std::string(r.bytes)});
  }
  if (const auto applied = handler.apply(batch, dead); !applied) {
    std::fprintf(stderr, "the batch was refused: %s\n", applied.error().message.c_str());
    std::abort();
  }
}

}  // namespace jaring::fuzz

// The libFuzzer entry points of a target: initialisation with the target's seed function
// (`seeds`, see initialize()), and one input split into records, non-empty, handed to the block
// that follows the macro as `records`:
//
//   JARING_FUZZ_TARGET(jaring::claims::seeds) { ... records ... }
#define JARING_FUZZ_TARGET(seeds)                                                     \
  static void jaring_fuzz_input(const std::vector<::jaring::fuzz::Record>& records);  \
  extern "C" int LLVMFuzzerInitialize(int*, char***) {                                \
    ::jaring::fuzz::initialize(seeds);                                                \
    return 0;                                                                         \
  }                                                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    const auto records = ::jaring::fuzz::split(data, size);                           \
    if (!records.empty()) jaring_fuzz_input(records);                                 \
    return 0;                                                                         \
  }                                                                                   \
  static void jaring_fuzz_input(const std::vector<::jaring::fuzz::Record>& records)
