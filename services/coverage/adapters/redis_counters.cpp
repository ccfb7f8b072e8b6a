#include "redis_counters.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jaring::coverage {
namespace {

// ARGV: prefix, ttl, n_partitions, (partition, next_offset) x n, n_events,
//       then per event: partition, offset, event_id, n_ops, (kind, rw, field, amount) x n_ops.
// Returns {applied, skipped}.
constexpr const char* kApplyScript = R"lua(
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local offsets_key = prefix .. 'offsets'
local stored = {}
local function stored_of(partition)
  if stored[partition] == nil then
    stored[partition] = tonumber(redis.call('HGET', offsets_key, partition) or '0')
  end
  return stored[partition]
end
local i = 3
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
  local partition, offset, event_id, n_ops = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local fresh = offset >= stored_of(partition)
  if fresh and event_id ~= '' then
    fresh = redis.call('SET', prefix .. 'seen:' .. event_id, '1', 'NX', 'EX', ttl) ~= false
  end
  for _ = 1, n_ops do
    local kind, rw, field, amount = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    i = i + 4
    if fresh then
      local kelurahan = string.sub(rw, 1, 13)
      local key = prefix .. 'rw:' .. rw
      if kind == 'declare' then
        redis.call('HSET', key, 'kelurahan', kelurahan, 'target', amount)
      else
        redis.call('HINCRBY', key, field, amount)
        redis.call('HSETNX', key, 'kelurahan', kelurahan)
      end
      redis.call('SADD', prefix .. 'kel:' .. kelurahan .. ':rws', rw)
      redis.call('SADD', prefix .. 'kelurahans', kelurahan)
    end
  end
  if fresh then applied = applied + 1 else skipped = skipped + 1 end
end
for _, e in ipairs(ends) do
  if e[2] > stored_of(e[1]) then redis.call('HSET', offsets_key, e[1], e[2]) end
end
return {applied, skipped}
)lua";

constexpr const char* kCounterFields[] = {"registered", "active",      "arrears",           "lapsed",
                                          "sponsored",  "claims_paid", "claims_paid_rupiah"};

std::int64_t& field_of(Counters& c, std::string_view name) {
  if (name == "registered") return c.registered;
  if (name == "active") return c.active;
  if (name == "arrears") return c.arrears;
  if (name == "lapsed") return c.lapsed;
  if (name == "sponsored") return c.sponsored;
  if (name == "claims_paid") return c.claims_paid;
  return c.claims_paid_rupiah;
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
    } else if (name != "kelurahan") {
      for (const char* f : kCounterFields) {
        if (name == f) field_of(rw.counters, name) = value.as_int();
      }
    }
  }
  return rw;
}

}  // namespace

Result<ApplyStats> RedisCounters::apply(const std::vector<PositionedChange>& changes,
                                        const std::map<std::string, std::int64_t>& next_offsets) {
  std::vector<std::string> args{prefix_, std::to_string(dedupe_ttl_.count()),
                                std::to_string(next_offsets.size())};
  for (const auto& [partition, next] : next_offsets) {
    args.push_back(partition);
    args.push_back(std::to_string(next));
  }
  args.push_back(std::to_string(changes.size()));
  for (const auto& c : changes) {
    args.push_back(c.partition);
    args.push_back(std::to_string(c.offset));
    args.push_back(c.change.event_id);
    args.push_back(std::to_string(c.change.ops.size()));
    for (const auto& op : c.change.ops) {
      args.push_back(op.kind == CounterOp::Kind::kDeclareRw ? "declare" : "incr");
      args.push_back(op.rw_code);
      args.push_back(op.field);
      args.push_back(std::to_string(op.amount));
    }
  }
  auto reply = redis_.eval(kApplyScript, {}, args);
  if (!reply) return fail(reply.error());
  if (reply->is_error() || reply->elements.size() != 2) {
    return fail(Error::internal("coverage apply script failed: " + reply->str));
  }
  return ApplyStats{reply->elements[0].as_int(), reply->elements[1].as_int()};
}

Result<std::map<std::string, std::int64_t>> RedisCounters::offsets(
    const std::vector<std::string>& partitions) {
  std::map<std::string, std::int64_t> out;
  if (partitions.empty()) return out;
  redis::Command cmd{"HMGET", prefix_ + "offsets"};
  cmd.insert(cmd.end(), partitions.begin(), partitions.end());
  auto reply = redis_.command(cmd);
  if (!reply) return fail(reply.error());
  if (reply->is_error()) return fail(Error::internal("HMGET offsets: " + reply->str));
  for (std::size_t i = 0; i < partitions.size() && i < reply->elements.size(); ++i) {
    if (!reply->elements[i].is_nil()) out[partitions[i]] = reply->elements[i].as_int();
  }
  return out;
}

Result<std::vector<std::string>> RedisCounters::kelurahans() {
  auto reply = redis_.command({"SMEMBERS", prefix_ + "kelurahans"});
  if (!reply) return fail(reply.error());
  std::vector<std::string> out;
  for (const auto& m : reply->elements) out.push_back(m.str);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::optional<RwCoverage>> RedisCounters::rw(const std::string& rw_code) {
  auto reply = redis_.command({"HGETALL", prefix_ + "rw:" + rw_code});
  if (!reply) return fail(reply.error());
  return parse_rw(rw_code, *reply);
}

Result<std::vector<RwCoverage>> RedisCounters::rws_of_kelurahan(const std::string& kelurahan_code) {
  auto members = redis_.command({"SMEMBERS", prefix_ + "kel:" + kelurahan_code + ":rws"});
  if (!members) return fail(members.error());
  std::vector<redis::Command> commands;
  for (const auto& m : members->elements) commands.push_back({"HGETALL", prefix_ + "rw:" + m.str});
  std::vector<RwCoverage> out;
  if (commands.empty()) return out;
  auto hashes = redis_.pipeline(commands);
  if (!hashes) return fail(hashes.error());
  for (std::size_t i = 0; i < hashes->size(); ++i) {
    if (auto rw = parse_rw(members->elements[i].str, (*hashes)[i])) out.push_back(std::move(*rw));
  }
  return out;
}

}  // namespace jaring::coverage
