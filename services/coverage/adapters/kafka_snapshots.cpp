#include "kafka_snapshots.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>

#include <fmt/format.h>

#include "jaring/common/ids.hpp"
#include "jaring/coverage/v1/snapshot_record.pb.h"

namespace jaring::coverage {
namespace {

namespace v1 = jaring::coverage::v1;
using namespace std::chrono_literals;

constexpr auto kRoundTrip = 10s;

v1::SnapshotRecord to_record(const Snapshot& s, const std::vector<RwCoverage>& rws) {
  v1::SnapshotRecord record;
  auto* out = record.mutable_snapshot();
  out->set_period(s.period);
  out->set_as_of(s.as_of);
  out->set_taken_at(s.taken_at);
  out->set_rw_count(s.rw_count);
  out->set_kind(s.kind);
  for (const auto& rw : rws) {
    auto* row = record.add_rws();
    row->set_rw_code(rw.rw_code);
    row->set_target(rw.target);
    row->set_deactivated(!rw.active);
    auto* c = row->mutable_counters();
    c->set_registered(rw.counters.registered);
    c->set_active(rw.counters.active);
    c->set_arrears(rw.counters.arrears);
    c->set_lapsed(rw.counters.lapsed);
    c->set_sponsored(rw.counters.sponsored);
    c->set_claims_paid(rw.counters.claims_paid);
    c->set_claims_paid_rupiah(rw.counters.claims_paid_rupiah);
    c->set_registrations(rw.counters.registrations);
    c->set_awaiting(rw.counters.awaiting);
  }
  return record;
}

std::pair<Snapshot, std::vector<RwCoverage>> from_record(const v1::SnapshotRecord& record, std::int64_t id) {
  const auto& in = record.snapshot();
  Snapshot s{id, in.period(), in.as_of(), in.taken_at(), in.rw_count(), in.kind()};
  std::vector<RwCoverage> rws;
  rws.reserve(static_cast<std::size_t>(record.rws_size()));
  for (const auto& row : record.rws()) {
    RwCoverage rw;
    rw.rw_code = row.rw_code();
    rw.kelurahan_code = rw.rw_code.substr(0, 13);
    rw.target = row.target();
    rw.active = !row.deactivated();
    const auto& c = row.counters();
    rw.counters = {
        c.registered(),         c.active(),        c.arrears(), c.lapsed(), c.sponsored(), c.claims_paid(),
        c.claims_paid_rupiah(), c.registrations(), c.awaiting()};
    rws.push_back(std::move(rw));
  }
  return {std::move(s), std::move(rws)};
}

}  // namespace

KafkaSnapshots::KafkaSnapshots(SqliteSnapshots& local, kafka::Producer& producer,
                               const kafka::Settings& settings, std::string topic)
    : local_(local),
      producer_(producer),
      topic_(std::move(topic)),
      follower_(settings, topic_, [this](const kafka::ConsumedMessage& m) { apply(m); }) {}

KafkaSnapshots::~KafkaSnapshots() { stop(); }

void KafkaSnapshots::start() {
  // The topic is the record: what an earlier run of this replica kept may be stale.
  if (auto cleared = local_.clear(); !cleared) throw std::runtime_error(cleared.error().message);
  follower_.start();
}

void KafkaSnapshots::stop() { follower_.stop(); }

void KafkaSnapshots::apply(const kafka::ConsumedMessage& message) {
  v1::SnapshotRecord record;
  if (!record.ParseFromString(message.payload)) {
    spdlog::error("snapshots: the record at {}@{} is not a snapshot; skipped", topic_, message.offset);
    return;
  }
  // One partition: the offset numbers the snapshots alike in every replica.
  const auto [snapshot, rws] = from_record(record, message.offset + 1);
  if (auto kept = local_.put(snapshot, rws); !kept) {
    spdlog::error("snapshots: cannot keep {} ({}): {}", snapshot.period, snapshot.kind, kept.error().message);
    std::lock_guard lock(mutex_);
    broken_ =
        fmt::format("the snapshot read model failed to keep {}: {}", snapshot.period, kept.error().message);
    return;
  }
  {
    // Only a save of this replica waits for its record; the others' are not remembered.
    std::lock_guard lock(mutex_);
    if (const auto waiting = returned_ids_.find(record.nonce()); waiting != returned_ids_.end())
      waiting->second = snapshot.id;
  }
  returned_.notify_all();
}

std::optional<std::string> KafkaSnapshots::not_ready() const {
  {
    std::lock_guard lock(mutex_);
    if (!broken_.empty()) return broken_;
  }
  if (follower_.partitions() > 1) {
    return fmt::format("the snapshots topic {} has {} partitions; it needs exactly one", topic_,
                       follower_.partitions());
  }
  return follower_.not_ready();
}

Result<void> KafkaSnapshots::loaded() const {
  if (auto why = not_ready()) return fail(Error::unavailable("the snapshots are not available: " + *why));
  return {};
}

Result<Snapshot> KafkaSnapshots::save(Snapshot snapshot, const std::vector<RwCoverage>& rws) {
  if (auto ok = loaded(); !ok) return fail(ok.error());
  auto record = to_record(snapshot, rws);
  const auto nonce = new_id();
  record.set_nonce(nonce);
  {
    std::lock_guard lock(mutex_);
    returned_ids_[nonce] = 0;  // waited for
  }
  const auto id = [&]() -> Result<std::int64_t> {
    const kafka::Message message{
        topic_, snapshot.kind + "/" + snapshot.period, record.SerializeAsString(), {}};
    if (producer_.produce_and_wait({message}, kRoundTrip) != 1)
      return fail(Error::unavailable("the snapshots topic did not take the snapshot; try again"));
    std::unique_lock lock(mutex_);
    if (!returned_.wait_for(lock, kRoundTrip, [&] { return returned_ids_.at(nonce) != 0; }))
      return fail(
          Error::unavailable("the snapshot was published but has not come back yet; list the snapshots"));
    return returned_ids_.at(nonce);
  }();
  {
    std::lock_guard lock(mutex_);
    returned_ids_.erase(nonce);
  }
  if (!id) return fail(id.error());
  snapshot.id = *id;
  // The audit record of CreateSnapshot names the snapshot, as with the SQLite store.
  if (auto noted = local_.note_taken(snapshot.id); !noted) return fail(noted.error());
  return snapshot;
}

Result<std::vector<Snapshot>> KafkaSnapshots::list(bool include_trend) {
  if (auto ok = loaded(); !ok) return fail(ok.error());
  return local_.list(include_trend);
}

Result<std::optional<Snapshot>> KafkaSnapshots::find(std::int64_t id) {
  if (auto ok = loaded(); !ok) return fail(ok.error());
  return local_.find(id);
}

Result<std::vector<RwCoverage>> KafkaSnapshots::rows(std::int64_t id) {
  if (auto ok = loaded(); !ok) return fail(ok.error());
  return local_.rows(id);
}

RedisSnapshotClaims::RedisSnapshotClaims(redis::Client& client, std::string prefix, std::chrono::seconds ttl)
    : client_(client), prefix_(std::move(prefix)), ttl_(ttl) {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  owner_ = fmt::format("{}/{}", host.data(), getpid());
}

Result<bool> RedisSnapshotClaims::claim(const std::string& key) {
  auto reply =
      client_.command({"SET", prefix_ + "claim:" + key, owner_, "NX", "EX", std::to_string(ttl_.count())});
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::unavailable("redis refused a snapshot claim", reply->str));
  return !reply->is_nil();
}

}  // namespace jaring::coverage
