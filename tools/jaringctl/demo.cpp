#include "demo.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.hpp"
#include "demo_partners.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring::tools {
namespace reg = jaring::registration::v1;
namespace con = jaring::contribution::v1;
namespace cov = jaring::coverage::v1;
using ctl::prepare;
using namespace std::chrono_literals;

namespace {

// The demo's kecamatan, their branch office (the Jakarta default mapping) and a name for agents.
struct Kecamatan {
  const char* code;
  const char* branch;
  const char* name;
};
constexpr Kecamatan kKecamatan[] = {
    {"31.75.06", "pulogebang", "Cakung"},
    {"31.75.07", "pulogebang", "Duren Sawit"},
    {"31.75.08", "ceger", "Makasar"},
};
constexpr int kAgentsPerKecamatan = 2;
// Months billed: the registration month and the three after it, so that three unpaid months
// (lapsed) can exist. Registration dates accounts from today and offers no back-dating.
constexpr int kMonthsBilled = 4;
// Items per batch call or rows per import message: well under gRPC's message limit, few enough
// calls to stay fast.
constexpr std::size_t kBatchItems = 500;

// The branches the demo's staff serve.
std::vector<std::string> demo_branches() {
  std::vector<std::string> out;
  for (const auto& k : kKecamatan) {
    if (std::find(out.begin(), out.end(), k.branch) == out.end()) out.push_back(k.branch);
  }
  return out;
}

struct Enrolled {
  std::string participant_id, kelurahan, agent_id, category, payer, programs, first_period;
  std::int64_t income_band = 0;
};
// Who pays which months: a worker and (first month, months) counted from their first month.
using PayItems = std::vector<std::pair<const Enrolled*, std::pair<int, int>>>;

std::string month_after(const std::string& period, int months) {
  const int index = std::stoi(period.substr(0, 4)) * 12 + std::stoi(period.substr(5, 2)) - 1 + months;
  return fmt::format("{:04d}-{:02d}", index / 12, index % 12 + 1);
}

// Pays and bills through the contribution API, quoting each tariff once.
class Collector {
 public:
  Collector(const std::shared_ptr<::grpc::Channel>& channel, DemoPeople& people)
      : stub_(con::ContributionService::NewStub(channel)), people_(people) {}

  // What `months` months from the worker's `from`-th month cost; 0 when a quote failed.
  std::int64_t price(const Enrolled& w, int from, int months, const grpc::TokenSource& as) {
    std::int64_t total = 0;
    for (int m = from; m < from + months; ++m) {
      const auto period = month_after(w.first_period, m);
      const auto key = std::tuple(period, w.category, w.payer, w.programs, w.income_band);
      auto it = quotes_.find(key);
      if (it == quotes_.end()) {
        con::QuoteRequest request;
        request.set_period(period);
        request.set_category(w.category);
        request.set_payer(w.payer);
        request.set_programs(w.programs);
        request.set_income_band(w.income_band);
        con::Charge reply;
        ::grpc::ClientContext context;
        prepare(context, as, 10s);
        if (const auto status = stub_->Quote(&context, request, &reply); !status.ok()) {
          fmt::print(stderr, "demo: quote {}: {}\n", period, status.error_message());
          return 0;
        }
        it = quotes_.emplace(key, reply.total()).first;
      }
      total += it->second;
    }
    return total;
  }

  // The city treasurer pays for a kelurahan's RT/RW officials from the city budget, in batches
  // whose keys derive from `key` so that a second run repeats them instead of adding.
  void pay_city_budget(const std::string& key, const std::string& kelurahan, const PayItems& items) {
    const auto& treasurer = people_.treasurer();
    for (std::size_t start = 0; start < items.size(); start += kBatchItems) {
      con::BatchPaymentRequest request;
      request.set_idempotency_key(fmt::format("{}-{}", key, start / kBatchItems));
      request.set_channel("city_budget");
      request.set_payer_id(DemoPeople::kCityBudget);
      request.set_description("RT/RW officials of " + kelurahan);
      for (std::size_t i = start; i < std::min(items.size(), start + kBatchItems); ++i) {
        const auto& [worker, span] = items[i];
        auto* item = request.add_items();
        item->set_participant_id(worker->participant_id);
        item->set_amount(price(*worker, span.first, span.second, treasurer));
        item->set_months(span.second);
      }
      con::BatchPaymentResult reply;
      ::grpc::ClientContext context;
      prepare(context, treasurer, 60s);
      const auto status = stub_->MakeBatchPayment(&context, request, &reply);
      if (!status.ok() || !reply.accepted()) {
        fmt::print(stderr, "demo: batch {}: {}{}\n", request.idempotency_key(), status.error_message(),
                   reply.failures().empty() ? "" : reply.failures(0).reason());
        ++failed;
        continue;
      }
      payments += reply.items_paid();
      amount += reply.amount_paid();
    }
  }

  // An agent records the cash each worker gave them, one payment each (keys derive from `key`).
  void collect_cash(const std::string& key, const std::string& agent_id, const std::string& branch,
                    const PayItems& items) {
    const auto& agent = people_.agent(agent_id, branch);
    for (const auto& [worker, span] : items) {
      con::PaymentRequest request;
      request.set_idempotency_key(fmt::format("{}-{}", key, worker->participant_id));
      request.set_participant_id(worker->participant_id);
      request.set_channel("agent_cash");
      request.set_agent_id(agent_id);
      request.set_amount(price(*worker, span.first, span.second, agent));
      request.set_months(span.second);
      con::Payment reply;
      ::grpc::ClientContext context;
      prepare(context, agent, 10s);
      if (const auto status = stub_->MakePayment(&context, request, &reply); !status.ok()) {
        fmt::print(stderr, "demo: cash {}: {}\n", request.idempotency_key(), status.error_message());
        ++failed;
        continue;
      }
      ++payments;
      amount += reply.amount();
    }
  }

  void bill(const std::string& key, const std::string& period) {
    con::RunBillingRequest request;
    request.set_idempotency_key(key);
    request.set_period(period);
    con::BillingRun reply;
    ::grpc::ClientContext context;
    prepare(context, people_.admin(), 60s);
    if (const auto status = stub_->RunBilling(&context, request, &reply); !status.ok()) {
      fmt::print(stderr, "demo: billing {}: {}\n", period, status.error_message());
      ++failed;
    }
  }

  // The account's first month once the contribution service opened it (from registration's
  // events, asynchronously); empty while it has not.
  std::string first_period(const std::string& participant_id) {
    con::GetAccountRequest request;
    request.set_participant_id(participant_id);
    con::Account reply;
    ::grpc::ClientContext context;
    prepare(context, people_.officer(), 10s);
    if (!stub_->GetAccount(&context, request, &reply).ok()) return "";
    return reply.first_period();
  }

  // The last period billed on the account's statement; empty while none is (or on an error).
  std::string last_billed(const std::string& participant_id) {
    con::GetStatementRequest request;
    request.set_participant_id(participant_id);
    con::Statement reply;
    ::grpc::ClientContext context;
    prepare(context, people_.officer(), 10s);
    std::string last;
    if (!stub_->GetStatement(&context, request, &reply).ok()) return last;
    for (const auto& line : reply.periods())
      if (line.billed()) last = std::max(last, line.period());
    return last;
  }

  std::int64_t payments = 0;
  std::int64_t amount = 0;
  int failed = 0;

 private:
  std::unique_ptr<con::ContributionService::Stub> stub_;
  DemoPeople& people_;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::int64_t>, std::int64_t>
      quotes_;
};

// Kelurahan staff import their RT/RW officials (paid from the city budget) through the bulk
// stream, one stream per kelurahan; `rows` by worker index. Appends who was registered (or found
// from an earlier load) and returns how many rows failed.
int import_officials(reg::RegistrationService::Stub& stub, DemoPeople& people, const std::string& kelurahan,
                     const std::map<std::int64_t, std::pair<reg::RegisterRequest, Enrolled>>& rows,
                     std::deque<Enrolled>& enrolled) {
  ::grpc::ClientContext context;
  prepare(context, people.kelurahan_staff(kelurahan), 60s);
  auto stream = stub.RegisterBulk(&context);
  reg::RegisterBulkRequest message;
  for (auto it = rows.begin(); it != rows.end(); ++it) {
    *message.add_requests() = it->second.first;
    if (message.requests_size() == static_cast<int>(kBatchItems) || std::next(it) == rows.end()) {
      if (!stream->Write(message)) break;  // the server ended the stream: Finish says why
      message.Clear();
    }
  }
  stream->WritesDone();
  int failed = static_cast<int>(rows.size());
  reg::RegisterBulkResponse response;
  while (stream->Read(&response)) {
    for (const auto& r : response.results()) {
      const auto row = rows.find(r.row());
      if (row != rows.end() && !r.participant_id().empty() && (r.code() == 0 || r.already_present())) {
        enrolled.push_back(row->second.second);
        enrolled.back().participant_id = r.participant_id();
        --failed;
      } else {
        fmt::print(stderr, "demo: import row {} of {}: {}\n", r.row(), kelurahan, r.message());
      }
    }
  }
  if (const auto status = stream->Finish(); !status.ok())
    fmt::print(stderr, "demo: import of {}: {}\n", kelurahan, status.error_message());
  return failed;
}

// The labels of the snapshots coverage takes on day `at` (a trend point, and the M&E snapshots
// of a quarter or semester that ended the day before).
std::vector<std::string> snapshots_of_day(TimePoint at) {
  const auto today = jakarta_date(at);
  std::vector<std::string> out{today};
  const auto ended = Period::jakarta(at).previous();
  if (today.ends_with("-01") && ended.month() % 3 == 0) {
    out.push_back(fmt::format("{}-Q{}", ended.year(), ended.month() / 3));
    if (ended.month() % 6 == 0) out.push_back(fmt::format("{}-S{}", ended.year(), ended.month() / 6));
  }
  return out;
}

// Moves the stack's test clock to `at` and waits until the contribution service's calendar
// billed `sample`'s account through the month it is in and coverage took the day's snapshots
// (snapshots_of_day: a quarter's is taken only within a month of its end, so the next month must
// not come first). False (said why) when they did not come in time.
bool move_clock(const std::string& clock_file, TimePoint at, Collector& collector, const std::string& sample,
                cov::CoverageService::Stub& coverage, DemoPeople& people,
                FileClock::Flow flow = FileClock::Flow::kStands) {
  FileClock::write(clock_file, at, flow);
  const auto period = Period::jakarta(at).str();
  const auto wanted = snapshots_of_day(at);
  const auto taken = [&] {
    cov::ListSnapshotsRequest request;
    request.set_include_trend(true);
    cov::ListSnapshotsResponse reply;
    ::grpc::ClientContext context;
    prepare(context, people.officer(), 10s);
    if (!coverage.ListSnapshots(&context, request, &reply).ok()) return false;
    return std::ranges::all_of(wanted, [&](const std::string& label) {
      return std::ranges::any_of(reply.snapshots(), [&](const auto& s) { return s.period() == label; });
    });
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (collector.last_billed(sample) < period || !taken()) {
    if (std::chrono::steady_clock::now() > deadline) {
      fmt::print(stderr, "demo: the calendar did not bill {} or take the snapshots {} in time\n", period,
                 fmt::join(wanted, ", "));
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition, with a deadline
  }
  return true;
}

}  // namespace

const grpc::TokenSource& DemoPeople::person(const std::string& role, const std::string& subject,
                                            std::vector<std::string> branches, std::vector<std::string> areas,
                                            std::string agent, std::string sponsor) {
  auto it = tokens_.find(subject);
  if (it == tokens_.end()) {
    it = tokens_
             .emplace(subject, grpc::TokenSource::fixed(
                                   authority_.token_for(role, subject, std::move(branches), std::move(areas),
                                                        std::move(agent), std::move(sponsor))))
             .first;
  }
  return it->second;
}

const grpc::TokenSource& DemoPeople::admin() { return person("admin", "demo.admin", {}, {}); }
const grpc::TokenSource& DemoPeople::officer() {
  return person("branch-officer", "demo.officer", demo_branches(), {});
}
const grpc::TokenSource& DemoPeople::approver() {
  return person("approver", "demo.head", demo_branches(), {});
}
const grpc::TokenSource& DemoPeople::paying_approver() {
  return person("approver", "demo.head.deputy", demo_branches(), {});
}
const grpc::TokenSource& DemoPeople::treasurer() {
  return person("treasurer", "demo.treasurer", {}, {}, {}, kCityBudget);
}
const grpc::TokenSource& DemoPeople::kelurahan_staff(const std::string& kelurahan_code) {
  return person("area-official", "demo.kelurahan." + kelurahan_code, {}, {kelurahan_code});
}
const grpc::TokenSource& DemoPeople::agent(const std::string& agent_id, const std::string& branch_code) {
  return person("agent", "demo.agent." + agent_id, {branch_code}, {}, agent_id);
}
const grpc::TokenSource& DemoPeople::sponsor(const std::string& sponsor_id) {
  return person("sponsor", "demo.sponsor." + sponsor_id, {}, {}, {}, sponsor_id);
}

int load_demo(const DemoChannels& channels, DemoPeople& people, const DemoOptions& options) {
  auto stub = reg::RegistrationService::NewStub(channels.registration);
  std::mt19937_64 rng(options.seed);
  const auto& areas = areas::Registry::jakarta();

  // A few Perisai agents per kecamatan, registered by the branch officer; they register the
  // workers and collect their cash.
  std::map<std::string, std::vector<std::string>> agents;  // kecamatan -> agent ids
  std::map<std::string, std::string> agent_branch;         // agent id -> branch
  int failed = 0;
  for (const auto& kec : kKecamatan) {
    for (int i = 1; i <= kAgentsPerKecamatan; ++i) {
      reg::RegisterAgentRequest request;
      request.set_idempotency_key(fmt::format("demo-{}-agent-{}-{}", options.seed, kec.code, i));
      request.set_name(fmt::format("Agen Perisai {} {}", kec.name, i));
      request.set_branch_code(kec.branch);
      request.set_organisation(i % 2 == 1 ? "Perisai Jakarta Timur" : "Koperasi Pekerja Mandiri");
      ::grpc::ClientContext context;
      prepare(context, people.officer(), 10s);
      reg::Agent reply;
      if (const auto status = stub->RegisterAgent(&context, request, &reply); !status.ok()) {
        fmt::print(stderr, "demo: agent {}: {}\n", request.name(), status.error_message());
        ++failed;
        continue;
      }
      agents[kec.code].push_back(reply.agent_id());
      agent_branch[reply.agent_id()] = reply.branch_code().empty() ? kec.branch : reply.branch_code();
    }
  }

  // RWs, kept by the admin: 6 to 14 per kelurahan, each with a weight so that some RWs are
  // nearly at target and others have barely started, as in the field.
  std::vector<std::string> rws;
  std::vector<std::string> rw_kelurahan;
  std::vector<std::string> rw_kecamatan;
  std::vector<std::string> rw_branch;
  std::vector<double> weights;
  for (const auto& kec : kKecamatan) {
    for (const auto* kelurahan : areas.children(kec.code)) {
      const int count = std::uniform_int_distribution<int>(6, 14)(rng);
      for (int number = 1; number <= count; ++number) {
        reg::CreateRwRequest request;
        request.set_kelurahan_code(kelurahan->code);
        request.set_number(number);
        ::grpc::ClientContext context;
        prepare(context, people.admin(), 10s);
        reg::Rw reply;
        const auto status = stub->CreateRw(&context, request, &reply);
        if (!status.ok() && status.error_code() != ::grpc::StatusCode::ALREADY_EXISTS) {
          fmt::print(stderr, "demo: RW {}.{:03d}: {}\n", kelurahan->code, number, status.error_message());
          ++failed;
          continue;
        }
        rws.push_back(areas::RwCode{kelurahan->code, number}.str());
        rw_kelurahan.push_back(kelurahan->code);
        rw_kecamatan.push_back(kec.code);
        rw_branch.push_back(kec.branch);
        weights.push_back(std::gamma_distribution<double>(1.5, 1.0)(rng));
      }
    }
  }
  if (rws.empty()) return 1;

  // Workers: an agent registers each at their door, except the RT/RW officials, whom the
  // kelurahan lists for the city budget and its staff import in bulk. With a history, a third of
  // the agents' workers who pay for themselves come in the fifth month and a third in the ninth
  // (waves at a third and two thirds of it), so that the quarters compare new registrations.
  const int history = options.history_months;
  sample::Generator generator(options.seed);
  std::discrete_distribution<std::size_t> pick_rw(weights.begin(), weights.end());
  std::mt19937_64 wave_rng(options.seed + 3);
  // Stable addresses: the payment plans point at the workers while later waves join.
  std::deque<Enrolled> enrolled;
  std::map<std::string, std::map<std::int64_t, std::pair<reg::RegisterRequest, Enrolled>>> officials;
  struct AtTheDoor {
    int index;
    reg::RegisterRequest request;
    Enrolled worker;
    std::string branch;
  };
  std::map<int, std::vector<AtTheDoor>> waves;  // month of the demo -> workers an agent registers
  for (int i = 0; i < options.workers; ++i) {
    const auto w = generator.worker(static_cast<std::uint64_t>(i));
    const auto rw = pick_rw(rng);
    const auto& kecamatan_agents = agents[rw_kecamatan[rw]];
    const auto agent_id =
        kecamatan_agents.empty() ? std::string() : kecamatan_agents[rng() % kecamatan_agents.size()];
    reg::RegisterRequest request;
    request.set_idempotency_key(fmt::format("demo-{}-{}", options.seed, i));
    sample::fill_register_request(w, request);
    request.set_rw_code(rws[rw]);
    Enrolled worker{"", rw_kelurahan[rw], "", w.category, w.payer, w.programs, "", w.income_band};
    if (w.payer == "city_budget") {
      request.set_row(i + 1);
      officials[rw_kelurahan[rw]].emplace(i + 1, std::pair{request, worker});
      continue;
    }
    request.set_agent_id(agent_id);
    const int wave = history >= 3 && w.payer == "self" && !agent_id.empty()
                         ? history * static_cast<int>(wave_rng() % 3) / 3
                         : 0;
    waves[wave].push_back({i, std::move(request), worker, rw_branch[rw]});
  }
  // Registers a wave; returns how many failed.
  const auto register_wave = [&](const std::vector<AtTheDoor>& wave) {
    int wave_failed = 0;
    for (const auto& [i, request, worker, branch] : wave) {
      ::grpc::ClientContext context;
      // Without an agent in the kecamatan the branch registers the worker directly.
      prepare(context,
              request.agent_id().empty() ? people.officer() : people.agent(request.agent_id(), branch), 10s);
      reg::Participant reply;
      if (const auto status = stub->Register(&context, request, &reply); !status.ok()) {
        fmt::print(stderr, "demo: worker {}: {}\n", i, status.error_message());
        ++wave_failed;
        continue;
      }
      enrolled.push_back(worker);
      enrolled.back().participant_id = reply.participant_id();
      enrolled.back().agent_id = reply.agent_id();
    }
    return wave_failed;
  };
  failed += register_wave(waves[0]);
  for (const auto& [kelurahan, rows] : officials)
    failed += import_officials(*stub, people, kelurahan, rows, enrolled);
  fmt::print(
      "demo: {} RWs in {} kecamatan, {} agents, {} workers registered ({} RT/RW officials imported by "
      "their kelurahan){}\n",
      rws.size(), std::size(kKecamatan), agent_branch.size(), enrolled.size(),
      std::count_if(enrolled.begin(), enrolled.end(),
                    [](const Enrolled& e) { return e.payer == "city_budget"; }),
      waves.size() > 1 ? fmt::format("; {} more to come in {} wave(s)", options.workers - enrolled.size(),
                                     waves.size() - 1)
                       : "");

  // Contribution opens the accounts from registration's events: wait for those from `from` on
  // (a batch naming an account not yet open would be refused as a whole).
  Collector collector(channels.contribution, people);
  const auto open_accounts = [&](std::size_t from) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (auto w = enrolled.begin() + static_cast<std::ptrdiff_t>(from); w != enrolled.end(); ++w) {
      while ((w->first_period = collector.first_period(w->participant_id)).empty()) {
        if (std::chrono::steady_clock::now() > deadline) {
          fmt::print(stderr, "demo: the contribution service did not open account {} in time\n",
                     w->participant_id);
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition, with a deadline
      }
    }
    return true;
  };
  if (!open_accounts(0)) return 1;
  if (enrolled.empty()) return 1;

  // Who pays what, as months from each worker's first month, and in which month of the demo
  // they pay it: the city pays its RT/RW officials six months at a time per kelurahan, sponsors
  // six or twelve, and the agents collect cash from the others: most ahead, some only a month or
  // two (arrears), some nothing (lapsed). With a history the payers of months ahead pay again
  // when those run out, some of the quarterly ones stop halfway (lapsing late in the year) and
  // the monthly ones pay the first half of it; without one everything is paid at once.
  const int span = std::max(history, 1);
  std::mt19937_64 plan_rng(options.seed + 1);
  std::map<int, std::map<std::string, PayItems>> city, cash;  // month of the demo -> payers
  std::vector<std::string> sponsored;
  // The workers from `from` on, who joined in month `wave` of the demo.
  const auto plan = [&](std::size_t from, int wave) {
    const auto every = [&](std::map<int, std::map<std::string, PayItems>>& to, const std::string& who,
                           const Enrolled& w, int months, int until) {
      for (int m = 0; m < std::min(until, span - wave); m += months)
        to[wave + m][who].push_back({&w, {m, months}});
    };
    for (auto it = enrolled.begin() + static_cast<std::ptrdiff_t>(from); it != enrolled.end(); ++it) {
      const auto& w = *it;
      const auto roll = std::uniform_int_distribution<int>(0, 99)(plan_rng);
      if (w.payer == "city_budget") {
        every(city, w.kelurahan, w, 6, span);
      } else if (w.payer == "sponsor") {
        sponsored.push_back(w.participant_id);
      } else if (w.agent_id.empty()) {
        continue;  // registered directly at the branch: nobody collects (lapsed)
      } else if (roll < 20) {
        every(cash, w.agent_id, w, 6, span);
      } else if (roll < 50) {
        every(cash, w.agent_id, w, 3, roll < 40 ? span : 6);
      } else if (roll < 60) {
        every(cash, w.agent_id, w, 12, span);
      } else if (roll < 74) {  // single months: one month unpaid (arrears), then lapsed in a history
        cash[wave][w.agent_id].push_back({&w, {0, 1}});
        for (int m = 1; m < std::max(2, history / 2); ++m) {
          const int at = history > 0 ? wave + m : 0;
          if (at < span) cash[at][w.agent_id].push_back({&w, {m, 1}});
        }
      } else if (roll < 87) {  // one month: two unpaid (arrears), then lapsed
        cash[wave][w.agent_id].push_back({&w, {0, 1}});
      }  // the rest never paid: awaiting their first payment
    }
  };
  plan(0, 0);
  const auto pay_month = [&](int m) {
    for (const auto& [kelurahan, items] : city[m])
      collector.pay_city_budget(fmt::format("demo-{}-apbd-{}-{}", options.seed, kelurahan, m), kelurahan,
                                items);
    // Cash in order of the month paid for: a second single month after the first.
    for (const auto& [agent, items] : cash[m]) {
      std::map<int, PayItems> by_month;
      for (const auto& item : items) by_month[item.second.first].push_back(item);
      for (const auto& [from, paid] : by_month)
        collector.collect_cash(fmt::format("demo-{}-cash-{}-{}", options.seed, agent, from), agent,
                               agent_branch[agent], paid);
    }
  };

  // Two deaths among workers whose agent collects six months at a time: an RW official who died
  // of an illness (JKM, Rp42 million to his widow) and one who died in a meeting at his office
  // (JKK). The account the demo watches for the calendar's billing is not one of theirs.
  const auto& watched = enrolled.back().participant_id;
  std::vector<DemoDeath> deaths;
  sample::Generator heirs(options.seed + 7);
  for (const auto& [agent, items] : cash[0]) {
    for (const auto& [w, months] : items) {
      if (months.second != 6 || deaths.size() == 2 || w->participant_id == watched) continue;
      const auto heir = heirs.worker(deaths.size());
      const bool at_work = deaths.size() == 1;
      deaths.push_back({w->participant_id, agent, agent_branch[agent], at_work ? "jkk_death" : "jkm_death",
                        heir.name, heir.nik,
                        at_work ? "died during a neighbourhood forum meeting at his office"
                                : "RW head, died of an illness"});
    }
  }

  // Sponsors take on the workers listed for them before the months are billed: csr-donor pays
  // each of their bills from the wallet as contribution bills it.
  const auto first = enrolled.front().first_period;
  if (history == 0) {
    pay_month(0);
    failed += load_demo_sponsors(channels.csr_donor, people, sponsored, first, options.seed);
    // Bill from the registration month on; a month counts as unpaid once the next one is billed.
    for (int m = 0; m < kMonthsBilled; ++m) {
      const auto period = month_after(first, m);
      collector.bill(fmt::format("demo-{}-bill-{}", options.seed, period), period);
    }
    failed += collector.failed;
    fmt::print("demo: billed {} to {}; {} payments (Rp{}) made or found from an earlier load; {} failures\n",
               first, month_after(first, kMonthsBilled - 1), collector.payments, collector.amount, failed);
    failed += load_demo_claims(channels.claims, people, deaths,
                               jakarta_date(std::chrono::system_clock::now()), options.seed);
    return failed == 0 ? 0 : 1;
  }

  // A history on the test clock: the months come one by one, each billed by the calendar at
  // its start, the snapshots of the quarters and semesters that end taken by coverage, a trend
  // point a day visited; the deaths happen on the first day of the last month, and the clock
  // ends at the wall clock's now.
  failed += load_demo_sponsors(channels.csr_donor, people, sponsored, first, options.seed);
  auto coverage = cov::CoverageService::NewStub(channels.coverage);
  const auto start = *Period::parse(first);
  for (int m = 0; m <= history; ++m) {
    const auto month = start.next(m);
    if (m > 0 && !move_clock(options.clock_file, *parse_utc(fmt::format("{}-01T00:05:00+07:00", month.str())),
                             collector, watched, *coverage, people))
      return 1;
    if (m > 0 && waves.contains(m)) {
      const auto from = enrolled.size();
      failed += register_wave(waves[m]);
      if (!open_accounts(from)) return 1;
      plan(from, m);
      fmt::print("demo: {} workers registered in {}\n", enrolled.size() - from, month.str());
    }
    pay_month(m);
    if (m == history - 1)
      failed +=
          load_demo_claims(channels.claims, people, deaths, fmt::format("{}-01", month.str()), options.seed);
  }
  // The history ends at the wall clock's now, and the stack goes on in real time from there.
  if (!move_clock(options.clock_file, std::chrono::system_clock::now(), collector, watched, *coverage, people,
                  FileClock::Flow::kRuns))
    return 1;
  failed += collector.failed;
  fmt::print(
      "demo: {} months of history, {} to {}, billed by the calendar; {} payments (Rp{}); {} failures\n",
      history + 1, first, start.next(history).str(), collector.payments, collector.amount, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace jaring::tools
