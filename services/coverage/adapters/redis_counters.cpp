#include "redis_counters.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <ranges>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "jaring/common/assert.hpp"
#include "jaring/common/ids.hpp"

namespace jaring::coverage {
namespace {

// ARGV: base prefix, ttl, require_generation (1/0), cluster, origin (announced with the RWs
//       changed, see the header), legacy fields (1/0: whether the batch carries them, below),
//       n_partitions, (partition, next_offset) x n, n_lists, then per list of changes: n_ops,
//       (kind, rw, field, amount) x n_ops, then n_runs, (partition, first offset, n_events) x
//       n_runs: the events in runs of consecutive offsets of one partition, then per event: seen
//       slot, member (see the header), its list of changes (1-based; slot empty: an event without
//       an id, applied whenever its offset is new), and with legacy fields, each event's legacy
//       field after them. Events that make the same changes (registrations in one RW) share a
//       list, and a run names its partition and offsets once: an event costs the script three
//       values. Redis receiving them is most of what an event costs it.
// Returns {applied, skipped, legacy window open (1/0)}, {-1, 0, 0} while a rebuild holds the pause
// key, {-2, 0, 0} when a generation is required and Redis holds none, {-3, 0, 0} when the offsets
// stored are of another log than the batch's (the broker's cluster id differs), or {-4, 0, 1}
// when the legacy window is open and the batch came without legacy fields (send it again with
// them): nothing applied in any of these cases.
// The first batch with a cluster id stores it when none is (a generation from before it was kept).
// Counters and offsets live under the current generation (see the header); event ids under the
// base prefix, so that a re-published event stays a duplicate across a rebuild.
constexpr const char* kApplyScript = R"lua(
local base, ttl = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', base .. 'paused') == 1 then return {-1, 0, 0} end
local generation = redis.call('GET', base .. 'generation')
if not generation and ARGV[3] == '1' then return {-2, 0, 0} end
local prefix = base
if generation then prefix = base .. 'g' .. generation .. ':' end
if ARGV[4] ~= '' then
  local cluster = redis.call('GET', base .. 'cluster')
  if cluster and cluster ~= ARGV[4] then return {-3, 0, 0} end
  if not cluster then redis.call('SET', base .. 'cluster', ARGV[4]) end
end
-- Event ids are remembered in sets; while `seen-legacy-until` lies ahead, also in the hashes that
-- releases before the sets read and wrote (see the header). Absent, the window starts now: this
-- Redis holds counters (a fresh one gets "0" from the first generation's switch).
local seen, legacy_seen = base .. 'ids:', base .. 'seen:'
local now = tonumber(redis.call('TIME')[1])
local legacy_until = tonumber(redis.call('GET', base .. 'seen-legacy-until') or '-1')
if legacy_until < 0 then
  legacy_until = now + ttl
  redis.call('SET', base .. 'seen-legacy-until', legacy_until)
end
local legacy = now < legacy_until
if legacy and ARGV[6] ~= '1' then return {-4, 0, 1} end
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
    f.value = f.value + amount
  else  -- a value set replaces what came before it; later increments add to it
    f.set, f.value = true, amount
  end
end
local i = 7
local ends = {}
for _ = 1, tonumber(ARGV[i]) do
  ends[#ends + 1] = {ARGV[i + 1], tonumber(ARGV[i + 2])}
  i = i + 2
end
i = i + 1
-- The lists of changes: where each starts, its length, and whether it only increments (then n
-- events making it add up to one change of n times the amounts).
local list_at, list_length, increments_only = {}, {}, {}
local n_lists = tonumber(ARGV[i])
i = i + 1
for l = 1, n_lists do
  local n_ops = tonumber(ARGV[i])
  list_at[l], list_length[l], increments_only[l] = i + 1, n_ops, true
  for op = 0, n_ops - 1 do
    if ARGV[i + 1 + 4 * op] ~= 'incr' then increments_only[l] = false end
  end
  i = i + 1 + 4 * n_ops
end
local function make(l, count)
  for op = 0, list_length[l] - 1 do
    local at = list_at[l] + 4 * op
    local kind = ARGV[at]
    local amount = tonumber(ARGV[at + 3])
    if kind == 'incr' then amount = amount * count end
    change(kind, ARGV[at + 1], ARGV[at + 2], amount)
  end
end
local runs = {}
for r = 1, tonumber(ARGV[i]) do
  runs[r] = {ARGV[i + 3 * r - 2], tonumber(ARGV[i + 3 * r - 1]), tonumber(ARGV[i + 3 * r])}
end
i = i + 1 + 3 * #runs
-- The events whose offsets are new, and the ids to look for in each seen slot: one SMISMEMBER a
-- slot (and one HMGET in the legacy window).
local fresh, slot_of, member_of, legacy_of, list_of = {}, {}, {}, {}, {}
-- Events by seen slot, and the slots in the order first met.
local asked, asked_order, added, added_order = {}, {}, {}, {}
local function list_in(lists, order, hash)
  local list = lists[hash]
  if not list then
    list = {}
    lists[hash] = list
    order[#order + 1] = hash
  end
  return list
end
local n_events = 0
for _, run in ipairs(runs) do
  -- The run's events from this offset on are fresh.
  local first_fresh = stored_of(run[1]) - run[2]
  for k = 0, run[3] - 1 do
    local e, slot = n_events + 1, ARGV[i]
    n_events = e
    fresh[e] = k >= first_fresh
    slot_of[e], member_of[e], list_of[e] = slot, ARGV[i + 1], tonumber(ARGV[i + 2])
    if fresh[e] and slot ~= '' then
      local list = list_in(asked, asked_order, slot)
      list[#list + 1] = e
    end
    i = i + 3
  end
end
if legacy then
  for e = 1, n_events do legacy_of[e] = ARGV[i + e - 1] end
end
-- unpack() puts a list on Lua's stack, which holds about 8,000 values: at most 1,000 at a time.
local function in_chunks(list, fn)
  for from = 1, #list, 1000 do fn(from, unpack(list, from, math.min(from + 999, #list))) end
end
-- The values of `of` for a list of events.
local function values(of, events)
  local out = {}
  for k, e in ipairs(events) do out[k] = of[e] end
  return out
end
local known = {}
for _, slot in ipairs(asked_order) do
  local members, have = values(member_of, asked[slot]), {}
  known[slot] = have
  in_chunks(members, function(from, ...)
    local got = redis.call('SMISMEMBER', seen .. slot, ...)
    for k = 1, #got do
      if got[k] == 1 then have[members[from + k - 1]] = true end
    end
  end)
  if legacy then
    in_chunks(values(legacy_of, asked[slot]), function(from, ...)
      local got = redis.call('HMGET', legacy_seen .. slot, ...)
      for k = 1, #got do
        if got[k] then have[members[from + k - 1]] = true end
      end
    end)
  end
end
-- An id seen before, or earlier in this batch, is skipped. Lists that only increment are counted,
-- and made once each (times their count) before a list that sets a value, and at the end.
local applied, skipped = 0, 0
local times, times_order = {}, {}
local function make_counted()
  for _, l in ipairs(times_order) do make(l, times[l]) end
  times, times_order = {}, {}
end
for e = 1, n_events do
  local apply, slot = fresh[e], slot_of[e]
  if apply and slot ~= '' then
    local have, member = known[slot], member_of[e]
    if have[member] then
      apply = false
    else
      have[member] = true
      local list = list_in(added, added_order, slot)
      list[#list + 1] = e
    end
  end
  if apply then
    local l = list_of[e]
    if increments_only[l] then
      if not times[l] then times_order[#times_order + 1] = l end
      times[l] = (times[l] or 0) + 1
    else
      make_counted()
      make(l, 1)
    end
    applied = applied + 1
  else
    skipped = skipped + 1
  end
end
make_counted()
for _, slot in ipairs(added_order) do
  local key = seen .. slot
  in_chunks(values(member_of, added[slot]), function(_, ...) redis.call('SADD', key, ...) end)
  redis.call('EXPIRE', key, ttl)
  if legacy then
    local legacy_key, fields = legacy_seen .. slot, {}
    for _, e in ipairs(added[slot]) do
      fields[#fields + 1] = legacy_of[e]
      fields[#fields + 1] = ''
    end
    in_chunks(fields, function(_, ...) redis.call('HSET', legacy_key, ...) end)
    redis.call('EXPIRE', legacy_key, ttl)
  end
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
-- The RWs changed, for every replica's live views. pcall: a Redis user not allowed the channel
-- (ACL) still counts; the other replicas' views then wait for their own next change.
if #hash_order > 0 then
  redis.pcall('PUBLISH', base .. 'changes', ARGV[5] .. ' ' .. table.concat(hash_order, ' '))
end
return {applied, skipped, legacy and 1 or 0}
)lua";

// ARGV: base prefix, new generation, its log's cluster id. 1 when switched, 0 when the pause key
// is gone. The first generation of a Redis that holds none (fresh, or lost its keys) has no
// legacy seen hashes to read: event ids go to the sets alone (see the header).
constexpr const char* kSwitchScript = R"lua(
local base = ARGV[1]
if redis.call('EXISTS', base .. 'paused') == 0 then return 0 end
if redis.call('EXISTS', base .. 'generation') == 0 then
  redis.call('SET', base .. 'seen-legacy-until', '0', 'NX')
end
redis.call('SET', base .. 'generation', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', base .. 'cluster', ARGV[3]) end
redis.call('DEL', base .. 'paused')
return 1
)lua";

// FNV-1a, not std::hash: every instance and every release must put one id in the same hash.
std::uint32_t fnv1a(std::string_view text) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return static_cast<std::uint32_t>(hash);
}

// Where an event id is remembered (see the header): the slot (the key's name after "ids:" and,
// in the legacy window, "seen:"), the set's member, and the legacy hash's field. Jaring's ids are
// "e_", 12 hex digits of milliseconds, then 20 hex digits of random bits or digest
// (common/ids.cpp, events/envelope.cpp).
struct SeenSlot {
  std::string slot;
  std::string member;
  std::string_view legacy_field;
};
SeenSlot seen_slot(std::string_view event_id) {
  constexpr std::size_t kTimeDigits = 12;
  constexpr std::size_t kTailDigits = 20;
  constexpr std::size_t kMemberDigits = 15;  // 60 bits: an integer Redis keeps in an intset
  constexpr std::string_view kPrefix = "e_";
  const auto slot = fnv1a(event_id);
  std::uint64_t ms = 0;
  if (event_id.size() == kPrefix.size() + kTimeDigits + kTailDigits && event_id.starts_with(kPrefix)) {
    const auto time = event_id.substr(kPrefix.size(), kTimeDigits);
    const auto [end, error] = std::from_chars(time.data(), time.data() + time.size(), ms, 16);
    if (error == std::errc{} && end == time.data() + time.size() &&
        std::all_of(event_id.begin() + kPrefix.size(), event_id.end(),
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
      const auto member = event_id.substr(event_id.size() - kMemberDigits);
      std::uint64_t bits = 0;
      const auto parsed = std::from_chars(member.data(), member.data() + member.size(), bits, 16);
      JARING_ASSERT(parsed.ec == std::errc{}, "the id's digits were checked to be hex");
      return {fmt::format("{}:{}", ms / 1000, slot % RedisCounters::kSeenSlots), std::to_string(bits),
              event_id.substr(event_id.size() - kTailDigits)};
    }
  }
  return {fmt::format("id:{}", slot % RedisCounters::kForeignSlots), std::string(event_id), event_id};
}

// Lists of changes by value, for the script's arguments.
struct OpsHash {
  std::size_t operator()(const std::vector<CounterOp>* ops) const noexcept {
    std::size_t hash = ops->size();
    for (const auto& op : *ops) {
      hash = hash * 31 + std::hash<std::string_view>{}(op.rw_code);
      hash = hash * 31 + std::hash<std::string_view>{}(op.field);
      hash = hash * 31 + std::hash<std::int64_t>{}(op.amount) + static_cast<std::size_t>(op.kind);
    }
    return hash;
  }
};
struct OpsEqual {
  bool operator()(const std::vector<CounterOp>* a, const std::vector<CounterOp>* b) const noexcept {
    return *a == *b;
  }
};

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

RedisCounters::RedisCounters(redis::Client& redis, std::string prefix, std::chrono::seconds dedupe_ttl,
                             bool require_generation)
    : redis_(redis),
      prefix_(std::move(prefix)),
      dedupe_ttl_(dedupe_ttl),
      require_generation_(require_generation),
      origin_(new_id("c_")) {}

std::optional<std::vector<std::string>> RedisCounters::changed_elsewhere(std::string_view message) const {
  const auto space = message.find(' ');
  if (space == std::string_view::npos || message.substr(0, space) == origin_) return std::nullopt;
  std::vector<std::string> rws;
  for (const auto word : std::views::split(message.substr(space + 1), ' ')) {
    if (!word.empty()) rws.emplace_back(word.begin(), word.end());
  }
  return rws;
}

Result<ApplyStats> RedisCounters::apply(const std::vector<PositionedChange>& changes,
                                        const std::map<std::string, std::int64_t>& next_offsets,
                                        const std::string& cluster) {
  // Without the legacy fields while the script last said the window was closed; should it be
  // open after all (a Redis that earlier releases counted into, met after a fresh one), the
  // script refuses the batch and it goes again with them.
  auto applied = apply_once(changes, next_offsets, cluster, legacy_fields_.load());
  if (applied && !*applied) applied = apply_once(changes, next_offsets, cluster, true);
  if (!applied) return fail(applied.error());
  JARING_ASSERT(applied->has_value(), "a batch with the legacy fields is never sent back for them");
  return **applied;
}

Result<std::optional<ApplyStats>> RedisCounters::apply_once(
    const std::vector<PositionedChange>& changes, const std::map<std::string, std::int64_t>& next_offsets,
    const std::string& cluster, bool legacy_fields) {
  const auto ttl = std::max<std::int64_t>(dedupe_ttl_.count(), 1);
  // The arguments refer to the changes where they are; the numbers written out live in `owned`
  // (a deque: adding one moves none of the others).
  std::deque<std::string> owned;
  const auto number = [&owned](std::int64_t n) -> std::string_view {
    return owned.emplace_back(std::to_string(n));
  };
  std::vector<std::string_view> args{prefix_,
                                     number(ttl),
                                     require_generation_ ? "1" : "0",
                                     cluster,
                                     origin_,
                                     legacy_fields ? "1" : "0",
                                     number(static_cast<std::int64_t>(next_offsets.size()))};
  for (const auto& [partition, next] : next_offsets) {
    args.push_back(partition);
    args.push_back(number(next));
  }
  // Each distinct list of changes once, in the order first met; events refer to theirs.
  std::unordered_map<const std::vector<CounterOp>*, std::int64_t, OpsHash, OpsEqual> lists;
  std::vector<std::int64_t> list_of;
  list_of.reserve(changes.size());
  std::vector<const std::vector<CounterOp>*> distinct;
  for (const auto& c : changes) {
    const auto [at, added] = lists.try_emplace(&c.change.ops, static_cast<std::int64_t>(distinct.size()) + 1);
    if (added) distinct.push_back(&c.change.ops);
    list_of.push_back(at->second);
  }
  args.push_back(number(static_cast<std::int64_t>(distinct.size())));
  for (const auto* ops : distinct) {
    args.push_back(number(static_cast<std::int64_t>(ops->size())));
    for (const auto& op : *ops) {
      args.push_back(op.kind == CounterOp::Kind::kDeclareRw ? "declare"
                     : op.kind == CounterOp::Kind::kSet     ? "set"
                                                            : "incr");
      args.push_back(op.rw_code);
      args.push_back(op.field);
      args.push_back(number(op.amount));
    }
  }
  // The runs of events at consecutive offsets of one partition.
  struct Run {
    std::string_view partition;
    std::int64_t first = 0;
    std::int64_t count = 0;
  };
  std::vector<Run> runs;
  for (const auto& c : changes) {
    if (runs.empty() || runs.back().partition != c.partition ||
        runs.back().first + runs.back().count != c.offset) {
      runs.push_back({c.partition, c.offset, 0});
    }
    ++runs.back().count;
  }
  args.push_back(number(static_cast<std::int64_t>(runs.size())));
  for (const auto& run : runs) {
    args.push_back(run.partition);
    args.push_back(number(run.first));
    args.push_back(number(run.count));
  }
  std::vector<std::string_view> legacy;
  if (legacy_fields) legacy.reserve(changes.size());
  for (std::size_t e = 0; e < changes.size(); ++e) {
    const auto& c = changes[e];
    if (c.change.event_id.empty()) {
      args.insert(args.end(), 2, std::string_view());
      if (legacy_fields) legacy.emplace_back();
    } else {
      auto [slot, member, legacy_field] = seen_slot(c.change.event_id);
      args.push_back(owned.emplace_back(std::move(slot)));
      args.push_back(owned.emplace_back(std::move(member)));
      if (legacy_fields) legacy.push_back(legacy_field);
    }
    args.push_back(number(list_of[e]));
  }
  args.insert(args.end(), legacy.begin(), legacy.end());
  auto reply = redis_.eval(kApplyScript, {}, args);
  if (!reply) return fail(reply.error());
  if (reply->is_error() || reply->elements.size() != 3) {
    return fail(Error::internal("coverage apply script failed: " + reply->str));
  }
  const auto outcome = reply->elements[0].as_int();
  // The refusals before it (pause, generation, cluster) come before the script read the window.
  if (outcome >= 0 || outcome == -4) legacy_fields_ = reply->elements[2].as_int() != 0;
  switch (outcome) {
    case -1:
      return fail(Error::unavailable("counters are paused for a rebuild"));
    case -2:
      return fail(Error::unavailable(
          "Redis holds no generation marker (it lost its state): waiting for the rebuild"));
    case -3:
      return fail(Error::unavailable(
          "the broker's log was replaced: the counters wait for the rebuild on the new one"));
    case -4:
      return std::optional<ApplyStats>{};
    default:
      JARING_ASSERT(outcome >= 0, "the apply script answers a count or one of the refusals above");
      return std::optional<ApplyStats>{ApplyStats{outcome, reply->elements[1].as_int()}};
  }
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
  out.reserve(codes.size());
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
