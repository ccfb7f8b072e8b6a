#pragma once
// Counters in Redis. A batch of events is applied by one Lua script that also stores, per
// partition, the offset reached, and remembers event ids for a while: a replayed batch (crash
// before the Kafka commit) or a re-published event (outbox relay crash) never counts twice.
//
// Keys, under a prefix (default "jaring:cov:"):
//   generation            the current generation N: the marker that Redis holds coverage's state.
//                         Absent before the first rebuild; absent again when Redis lost its keys
//                         (a restart without persistence, FLUSHALL, an eviction), which the
//                         service detects and repairs (adapters/recovery.hpp)
//   paused                present while a rebuild runs: the apply script refuses batches
//   ids:<second>:<slot>   set: the ids of events applied, under the second their id was made
//                         in (Jaring's event ids begin with their time in milliseconds, and an
//                         id derived from a consumed event's keeps that event's time) and one of
//                         kSeenSlots slots by a hash of the id; the member is the id's last 60
//                         random bits (its last 15 hex digits) as a decimal integer. A batch's
//                         events were made in a second or two, so the script reads and writes a
//                         few hundred of these sets a batch (one SMISMEMBER, one SADD and one
//                         EXPIRE each), not three calls an event. Each expires `dedupe_ttl` after
//                         the last id was added to it, so an id is remembered for at least that
//                         long. Up to 512 integers (Redis's set-max-intset-entries) a set is an
//                         intset: 8 bytes an id, searched by bisection (a million registrations
//                         make two million events)
//   ids:id:<slot>         the same for ids of another form (one of kForeignSlots slots), whole
//   seen:<second>:<slot>, seen:id:<slot>
//                         hashes of the releases before the sets, which kept the id's last 20 hex
//                         digits (the whole id for another form) as a field: 28 bytes an id, found
//                         by a linear search. While `seen-legacy-until` (unix seconds) lies ahead,
//                         the script reads and writes them beside the sets, so that no id applied
//                         by an earlier release, or by one still running during a rolling update,
//                         counts twice. The first batch on a Redis that holds counters without
//                         that key starts the window: `dedupe_ttl` from then. The switch to the
//                         first generation of a Redis that holds none (fresh, or it lost its keys)
//                         sets it to 0: nothing to read. A batch carries the legacy fields
//                         only while the script last said the window was open (it sends a batch
//                         without them back when it finds the window open)
// and under the data prefix: the prefix itself before any rebuild, "<prefix>g<N>:" after one:
//   rw:<rw code>          hash: kelurahan, target, active_rw and one field per counter
//   kel:<kelurahan>:rws   set of the RW codes of a kelurahan
//   kelurahans            set of the kelurahan that have RWs
//   offsets               hash: "<topic>:<partition>" -> next offset to apply
// A rebuild writes a whole new generation, then switches `generation` in one step: readers
// and the apply script see either the old counters or the new ones, never a mixture.
// And a channel, under the prefix:
//   changes               each batch that changed counters PUBLISHes "<origin> <rw code> ...":
//                         the replica that applied it (origin) and the RWs it changed, so that
//                         every replica's live views (ChangeFeed) hear of every change
// They are not hash-tagged: on Redis Cluster the script would need one slot per batch.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/coverage.hpp"
#include "jaring/redis/redis.hpp"

namespace jaring::coverage {

// An event's changes with the position it was read from.
struct PositionedChange {
  std::string partition;  // "<topic>:<partition>"
  std::int64_t offset = 0;
  EventChange change;
};

struct ApplyStats {
  std::int64_t applied = 0;
  std::int64_t skipped = 0;  // already applied (replay or duplicate event id)
};

class RedisCounters final : public CounterReader {
 public:
  // `require_generation`: the service's mode, where a batch applies only under a generation
  // marker, so that a Redis that lost its state is never counted into from scratch.
  RedisCounters(redis::Client& redis, std::string prefix, std::chrono::seconds dedupe_ttl,
                bool require_generation = false);

  // At 512 ids or fewer a set of integers stays an intset (Redis's default
  // set-max-intset-entries): up to 131,072 ids made in one second. A registration makes one event
  // coverage counts (two when its event leaves the awaiting count to contribution's
  // CoverageChanged, as producers before counted_awaiting did). Beyond it a set becomes a hash
  // table: as fast, but about eight times the memory an id. More slots make more calls a batch.
  static constexpr std::uint32_t kSeenSlots = 256;
  static constexpr std::uint32_t kForeignSlots = 65536;

  // Applies `changes` (in partition order) and moves each partition of `next_offsets` forward.
  // UNAVAILABLE while a rebuild pauses counting, (require_generation) while Redis holds no
  // generation marker, and when the offsets stored belong to another log than `cluster` (the
  // broker's cluster id the batch was read from; "" when unknown): nothing applied.
  Result<ApplyStats> apply(const std::vector<PositionedChange>& changes,
                           const std::map<std::string, std::int64_t>& next_offsets,
                           const std::string& cluster = {});
  // Where apply() announces the RWs each batch changed (see `changes` above).
  std::string changes_channel() const { return prefix_ + "changes"; }
  // The RW codes of an announcement on changes_channel() that another RedisCounters made (another
  // replica's: a rebuild installs a generation without announcing); nullopt for this one's own and
  // for text of another shape.
  std::optional<std::vector<std::string>> changed_elsewhere(std::string_view message) const;
  // The broker's cluster id the stored offsets belong to; nullopt before one was stored.
  Result<std::optional<std::string>> cluster();
  // The stored next offset of each partition that has one (every partition when empty).
  Result<std::map<std::string, std::int64_t>> offsets(const std::vector<std::string>& partitions);

  Result<std::optional<RwCoverage>> rw(const std::string& rw_code) override;
  Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string& kelurahan_code) override;
  Result<std::vector<RwCoverage>> rws_of_kelurahans(const std::vector<std::string>& kelurahan_codes) override;
  Result<std::vector<std::string>> kelurahans() override;

  // Rebuild: pause counting (the pause expires by itself after `ttl` should the rebuild die),
  // then install a complete new generation and resume in one step. The pause is also the
  // rebuild's lock: false when another rebuild holds it.
  Result<bool> pause(std::chrono::seconds ttl);
  // The current generation marker; nullopt when Redis holds none.
  Result<std::optional<std::int64_t>> generation();
  Result<void> resume();
  // Writes `rws` and `offsets` as a new generation, makes it current (and lifts the pause),
  // then deletes the previous generation. Returns the new generation number. UNAVAILABLE when
  // the pause vanished meanwhile (Redis lost its keys during the rebuild: the new generation may
  // be incomplete, and is not switched to).
  Result<std::int64_t> install_generation(const std::vector<RwCoverage>& rws,
                                          const std::map<std::string, std::int64_t>& offsets,
                                          const std::string& cluster = {});

 private:
  // One try of apply(): nullopt when the script asks for the batch again with the legacy fields.
  Result<std::optional<ApplyStats>> apply_once(const std::vector<PositionedChange>& changes,
                                               const std::map<std::string, std::int64_t>& next_offsets,
                                               const std::string& cluster, bool legacy_fields);
  Result<std::string> data_prefix();
  std::string generation_prefix(const std::string& generation) const;
  Result<std::map<std::string, std::int64_t>> offsets_at(const std::string& prefix,
                                                         const std::vector<std::string>& partitions);
  Result<std::vector<RwCoverage>> rws_at(const std::string& prefix,
                                         const std::vector<std::string>& kelurahan_codes);
  Result<void> run_in_chunks(const std::vector<redis::Command>& commands);
  redis::Client& redis_;
  std::string prefix_;
  std::chrono::seconds dedupe_ttl_;
  bool require_generation_ = false;
  std::string origin_;  // this instance's name in its announcements: unique
  // Whether batches carry the legacy fields: until the script says the window is closed.
  std::atomic<bool> legacy_fields_{true};
};

}  // namespace jaring::coverage
