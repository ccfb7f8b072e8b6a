#include "redis_counters.hpp"

#include <algorithm>
#include <deque>
#include <string_view>

#include <fmt/format.h>

namespace jaring::coverage {
namespace {

// ARGV: base prefix, ttl, require_generation (1/0), cluster, window, n_partitions,
//       (partition, next_offset) x n, n_events, then per event: partition, offset, event_id,
//       bucket, n_ops, (kind, rw, field, amount) x n_ops.
// Returns {applied, skipped}, {-1, 0} while a rebuild holds the pause key, {-2, 0} when a
// generation is required and Redis holds none, or {-3, 0} when the offsets stored are of another
// log than the batch's (the broker's cluster id differs: nothing applied in any of these cases).
// The first batch with a cluster id stores it when none is (a generation from before it was kept).
// Counters and offsets live under the current generation (see the header); event ids under the
// base prefix, so that a re-published event stays a duplicate across a rebuild.
constexpr const char* kApplyScript = R"lua(
local base, ttl = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', base .. 'paused') == 1 then return {-1, 0} end
local generation = redis.call('GET', base .. 'generation')
if not generation and ARGV[3] == '1' then return {-2, 0} end
local prefix = base
if generation then prefix = base .. 'g' .. generation .. ':' end
if ARGV[4] ~= '' then
  local cluster = redis.call('GET', base .. 'cluster')
  if cluster and cluster ~= ARGV[4] then return {-3, 0} end
  if not cluster then redis.call('SET', base .. 'cluster', ARGV[4]) end
end
local window = tonumber(ARGV[5])
local seen_now, seen_before = base .. 'seen:' .. window .. ':', base .. 'seen:' .. (window - 1) .. ':'
-- Remembers the id in this window's bucket; false when this window or the last one has it.
local function first_sighting(event_id, bucket)
  if redis.call('HEXISTS', seen_before .. bucket, event_id) == 1 then return false end
  local key = seen_now .. bucket
  if redis.call('HSETNX', key, event_id, '') == 0 then return false end
  if redis.call('HLEN', key) == 1 then redis.call('EXPIRE', key, 2 * ttl) end
  return true
end
local offsets_key = prefix .. 'offsets'
local stored = {}
local function stored_of(partition)
  if stored[partition] == nil then
    stored[partition] = tonumber(redis.call('HGET', offsets_key, partition) or '0')
  end
  return stored[partition]
end
-- The fresh events' changes add up per RW hash and field in the script, and reach Redis once
-- each at the end: a batch's registrations share RWs and fields (registered, registrations,
-- awaiting ...), and a call into Redis costs more than the sum.
local hashes, hash_order = {}, {}
local function change(kind, rw, field, amount)
  local hash = hashes[rw]
  if not hash then
    hash = {fields = {}, order = {}}
    hashes[rw] = hash
    hash_order[#hash_order + 1] = rw
  end
  if kind == 'declare' then field = 'target' end
  local f = hash.fields[field]
  if not f then
    f = {set = false, value = 0}
    hash.fields[field] = f
    hash.order[#hash.order + 1] = field
  end
  if kind == 'incr' then
    f.value = f.value + tonumber(amount)
  else  -- a value set replaces what came before it; later increments add to it
    f.set, f.value = true, tonumber(amount)
  end
end
local i = 6
local ends = {}
for _ = 1, tonumber(ARGV[i]) do
  ends[#ends + 1] = {ARGV[i + 1], tonumber(ARGV[i + 2])}
  i = i + 2
end
i = i + 1
local n_events = tonumber(ARGV[i])
i = i + 1
local applied, skipped = 0, 0
for _ = 1, n_events do
  local partition, offset, event_id, bucket = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local n_ops = tonumber(ARGV[i + 4])
  i = i + 5
  local fresh = offset >= stored_of(partition)
  if fresh and event_id ~= '' then fresh = first_sighting(event_id, bucket) end
  if fresh then
    for op = 0, n_ops - 1 do
      local at = i + 4 * op
      change(ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3])
    end
    applied = applied + 1
  else
    skipped = skipped + 1
  end
  i = i + 4 * n_ops
end
for _, rw in ipairs(hash_order) do
  local key, hash = prefix .. 'rw:' .. rw, hashes[rw]
  for _, field in ipairs(hash.order) do
    local f = hash.fields[field]
    local value = string.format('%d', f.value)
    if f.set then redis.call('HSET', key, field, value) else redis.call('HINCRBY', key, field, value) end
  end
  -- An RW's hash gets its kelurahan field when it is created: only then is it listed.
  local kelurahan = string.sub(rw, 1, 13)
  if redis.call('HSETNX', key, 'kelurahan', kelurahan) == 1 then
    redis.call('SADD', prefix .. 'kel:' .. kelurahan .. ':rws', rw)
    redis.call('SADD', prefix .. 'kelurahans', kelurahan)
  end
end
for _, e in ipairs(ends) do
  if e[2] > stored_of(e[1]) then redis.call('HSET', offsets_key, e[1], e[2]) end
end
return {applied, skipped}
)lua";

// ARGV: base prefix, new generation, its log's cluster id. 1 when switched, 0 when the pause key
// is gone.
constexpr const char* kSwitchScript = R"lua(
local base = ARGV[1]
if redis.call('EXISTS', base .. 'paused') == 0 then return 0 end
redis.call('SET', base .. 'generation', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', base .. 'cluster', ARGV[3]) end
redis.call('DEL', base .. 'paused')
return 1
)lua";

// Spreads event ids over kSeenBuckets hashes per window. FNV-1a, not std::hash: every
// instance and every release must put one id in the same bucket.
std::uint32_t seen_bucket(std::string_view event_id) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : event_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return static_cast<std::uint32_t>(hash % RedisCounters::kSeenBuckets);
}

std::optional<RwCoverage> parse_rw(const std::string& rw_code, const redis::Reply& hash) {
  if (hash.elements.empty()) return std::nullopt;
  RwCoverage rw;
  rw.rw_code = rw_code;
  rw.kelurahan_code = rw_code.substr(0, 13);
  for (std::size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    const auto& name = hash.elements[i].str;
    const auto& value = hash.elements[i + 1];
    if (name == "target") {
      rw.target = static_cast<int>(value.as_int());
    } else if (name == "active_rw") {
      rw.active = value.as_int() != 0;
    } else if (auto* counter = field_of(rw.counters, name)) {
      *counter = value.as_int();
    }
  }
  return rw;
}

}  // namespace

std::string RedisCounters::generation_prefix(const std::string& generation) const {
  return prefix_ + "g" + generation + ":";
}

Result<ApplyStats> RedisCounters::apply(const std::vector<PositionedChange>& changes,
                                        const std::map<std::string, std::int64_t>& next_offsets,
                                        const std::string& cluster) {
  const auto ttl = std::max<std::int64_t>(dedupe_ttl_.count(), 1);
  // The arguments refer to the changes where they are; the numbers written out live in `owned`
  // (a deque: adding one moves none of the others).
  std::deque<std::string> owned;
  const auto number = [&owned](std::int64_t n) -> std::string_view {
    return owned.emplace_back(std::to_string(n));
  };
  std::vector<std::string_view> args{
      prefix_, number(ttl),          require_generation_ ? "1" : "0",
      cluster, number(now_() / ttl), number(static_cast<std::int64_t>(next_offsets.size()))};
  for (const auto& [partition, next] : next_offsets) {
    args.push_back(partition);
    args.push_back(number(next));
  }
  args.push_back(number(static_cast<std::int64_t>(changes.size())));
  for (const auto& c : changes) {
    args.push_back(c.partition);
    args.push_back(number(c.offset));
    args.push_back(c.change.event_id);
    args.push_back(number(seen_bucket(c.change.event_id)));
    args.push_back(number(static_cast<std::int64_t>(c.change.ops.size())));
    for (const auto& op : c.change.ops) {
      args.push_back(op.kind == CounterOp::Kind::kDeclareRw ? "declare"
                     : op.kind == CounterOp::Kind::kSet     ? "set"
                                                            : "incr");
      args.push_back(op.rw_code);
      args.push_back(op.field);
      args.push_back(number(op.amount));
    }
  }
  auto reply = redis_.eval(kApplyScript, {}, args);
  if (!reply) return fail(reply.error());
  if (reply->is_error() || reply->elements.size() != 2) {
    return fail(Error::internal("coverage apply script failed: " + reply->str));
  }
  if (reply->elements[0].as_int() == -2) {
    return fail(
        Error::unavailable("Redis holds no generation marker (it lost its state): waiting for the rebuild"));
  }
  if (reply->elements[0].as_int() == -3) {
    return fail(Error::unavailable(
        "the broker's log was replaced: the counters wait for the rebuild on the new one"));
  }
  if (reply->elements[0].as_int() < 0) return fail(Error::unavailable("counters are paused for a rebuild"));
  return ApplyStats{reply->elements[0].as_int(), reply->elements[1].as_int()};
}

Result<std::string> RedisCounters::data_prefix() {
  auto reply = redis_.command({"GET", prefix_ + "generation"});
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("GET generation: " + reply->str));
  return reply->is_nil() ? prefix_ : generation_prefix(reply->str);
}

Result<std::map<std::string, std::int64_t>> RedisCounters::offsets(
    const std::vector<std::string>& partitions) {
  auto prefix = data_prefix();
  if (!prefix) return fail(prefix.error());
  return offsets_at(*prefix, partitions);
}

Result<std::map<std::string, std::int64_t>> RedisCounters::offsets_at(
    const std::string& prefix, const std::vector<std::string>& partitions) {
  std::map<std::string, std::int64_t> out;
  redis::Command cmd{"HGETALL", prefix + "offsets"};
  auto reply = redis_.command(cmd);
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("HGETALL offsets: " + reply->str));
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    const auto& partition = reply->elements[i].str;
    if (partitions.empty() || std::find(partitions.begin(), partitions.end(), partition) != partitions.end())
      out[partition] = reply->elements[i + 1].as_int();
  }
  return out;
}

Result<std::vector<std::string>> RedisCounters::kelurahans() {
  auto prefix = data_prefix();
  if (!prefix) return fail(prefix.error());
  auto reply = redis_.command({"SMEMBERS", *prefix + "kelurahans"});
  if (!reply) return fail(reply.error());
  std::vector<std::string> out;
  for (const auto& m : reply->elements) out.push_back(m.str);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::optional<RwCoverage>> RedisCounters::rw(const std::string& rw_code) {
  auto prefix = data_prefix();
  if (!prefix) return fail(prefix.error());
  auto reply = redis_.command({"HGETALL", *prefix + "rw:" + rw_code});
  if (!reply) return fail(reply.error());
  return parse_rw(rw_code, *reply);
}

Result<std::vector<RwCoverage>> RedisCounters::rws_of_kelurahan(const std::string& kelurahan_code) {
  return rws_of_kelurahans({kelurahan_code});
}

Result<std::vector<RwCoverage>> RedisCounters::rws_of_kelurahans(
    const std::vector<std::string>& kelurahan_codes) {
  auto prefix = data_prefix();
  if (!prefix) return fail(prefix.error());
  return rws_at(*prefix, kelurahan_codes);
}

Result<std::vector<RwCoverage>> RedisCounters::rws_at(const std::string& prefix,
                                                      const std::vector<std::string>& kelurahan_codes) {
  std::vector<RwCoverage> out;
  if (kelurahan_codes.empty()) return out;
  // Two round trips however many kelurahan: the RW sets, then every RW hash.
  std::vector<redis::Command> set_commands;
  set_commands.reserve(kelurahan_codes.size());
  for (const auto& k : kelurahan_codes)
    set_commands.push_back({"SMEMBERS", fmt::format("{}kel:{}:rws", prefix, k)});
  auto sets = redis_.pipeline(set_commands);
  if (!sets) return fail(sets.error());
  std::vector<std::string> codes;
  for (const auto& set : *sets) {
    for (const auto& m : set.elements) codes.push_back(m.str);
  }
  if (codes.empty()) return out;
  std::vector<redis::Command> commands;
  commands.reserve(codes.size());
  for (const auto& code : codes) commands.push_back({"HGETALL", fmt::format("{}rw:{}", prefix, code)});
  auto hashes = redis_.pipeline(commands);
  if (!hashes) return fail(hashes.error());
  for (std::size_t i = 0; i < hashes->size(); ++i) {
    if (auto rw = parse_rw(codes[i], (*hashes)[i])) out.push_back(std::move(*rw));
  }
  return out;
}

Result<bool> RedisCounters::pause(std::chrono::seconds ttl) {
  auto reply = redis_.command({"SET", prefix_ + "paused", "1", "NX", "EX", std::to_string(ttl.count())});
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("SET paused: " + reply->str));
  return !reply->is_nil();
}

Result<std::optional<std::int64_t>> RedisCounters::generation() {
  auto reply = redis_.command({"GET", prefix_ + "generation"});
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("GET generation: " + reply->str));
  if (reply->is_nil()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{reply->as_int()};
}

Result<void> RedisCounters::resume() {
  auto reply = redis_.command({"DEL", prefix_ + "paused"});
  if (!reply) return fail(reply.error());
  return {};
}

Result<void> RedisCounters::run_in_chunks(const std::vector<redis::Command>& commands) {
  constexpr std::size_t kChunk = 2000;
  for (std::size_t at = 0; at < commands.size(); at += kChunk) {
    const auto end = std::min(commands.size(), at + kChunk);
    auto replies = redis_.pipeline({commands.begin() + static_cast<std::ptrdiff_t>(at),
                                    commands.begin() + static_cast<std::ptrdiff_t>(end)});
    if (!replies) return fail(replies.error());
    for (const auto& r : *replies) {
      if (r.is_error()) return fail(Error::internal("writing a generation: " + r.str));
    }
  }
  return {};
}

Result<std::optional<std::string>> RedisCounters::cluster() {
  auto reply = redis_.command({"GET", prefix_ + "cluster"});
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("GET cluster: " + reply->str));
  if (reply->is_nil()) return std::optional<std::string>{};
  return std::optional<std::string>{reply->str};
}

Result<std::int64_t> RedisCounters::install_generation(const std::vector<RwCoverage>& rws,
                                                       const std::map<std::string, std::int64_t>& offsets,
                                                       const std::string& cluster) {
  auto old_prefix = data_prefix();
  if (!old_prefix) return fail(old_prefix.error());
  auto old_kelurahans = kelurahans();
  if (!old_kelurahans) return fail(old_kelurahans.error());
  auto old_rws = rws_at(*old_prefix, *old_kelurahans);
  if (!old_rws) return fail(old_rws.error());

  auto seq = redis_.command({"INCR", prefix_ + "generation_seq"});
  if (!seq) return fail(seq.error());
  const auto generation = seq->as_int();
  const auto prefix = generation_prefix(std::to_string(generation));
  std::vector<redis::Command> writes;
  for (const auto& rw : rws) {
    redis::Command hset{"HSET",   prefix + "rw:" + rw.rw_code, "kelurahan", rw.kelurahan_code,
                        "target", std::to_string(rw.target),   "active_rw", rw.active ? "1" : "0"};
    for (const char* field : kCounterFields) {
      hset.push_back(field);
      hset.push_back(std::to_string(*field_of(rw.counters, field)));
    }
    writes.push_back(std::move(hset));
    writes.push_back({"SADD", prefix + "kel:" + rw.kelurahan_code + ":rws", rw.rw_code});
    writes.push_back({"SADD", prefix + "kelurahans", rw.kelurahan_code});
  }
  for (const auto& [partition, next] : offsets) {
    writes.push_back({"HSET", prefix + "offsets", partition, std::to_string(next)});
  }
  if (auto written = run_in_chunks(writes); !written) return fail(written.error());
  // The switch and the end of the pause in one step: no batch can land between them. Only
  // while the pause still holds: without it, Redis lost its keys since (or the pause expired).
  auto switched = redis_.eval(kSwitchScript, {}, {prefix_, std::to_string(generation), cluster});
  if (!switched) return fail(switched.error());
  if (switched->is_error()) return fail(Error::internal("switching generation failed: " + switched->str));
  if (switched->as_int() != 1) {
    return fail(
        Error::unavailable("the rebuild's pause vanished (Redis lost its keys meanwhile?): not switched"));
  }
  // The previous generation is garbage now; a failure here only leaves stale keys behind.
  std::vector<redis::Command> deletes{{"DEL", *old_prefix + "kelurahans"}, {"DEL", *old_prefix + "offsets"}};
  for (const auto& k : *old_kelurahans) deletes.push_back({"DEL", *old_prefix + "kel:" + k + ":rws"});
  for (const auto& rw : *old_rws) deletes.push_back({"DEL", *old_prefix + "rw:" + rw.rw_code});
  (void)run_in_chunks(deletes);
  return generation;
}

}  // namespace jaring::coverage
