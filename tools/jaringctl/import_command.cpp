// jaringctl import participants FILE.csv: streams a kelurahan list through RegisterBulk (one
// stream, batched transactions on the server), writes every bad row with its line number and
// reason to an error file, and sums up. Importing the same file again adds nothing: each row's
// idempotency key is derived from its NIK.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/csv/reader.hpp"
#include "jaring/csv/writer.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::ctl {
namespace {

namespace reg = jaring::registration::v1;

const std::vector<std::string> kColumns = {"nik", "name",     "birth_date",  "sex",      "phone", "rw_code",
                                           "rt",  "category", "income_band", "programs", "payer", "agent_id"};
const std::string kOptionalColumn = "project_end_date";
constexpr int kRowsPerMessage = 1000;  // rows per RegisterBulk message, one transaction each

struct Options {
  std::string file;
  std::string errors;
  bool progress = true;
  int timeout_seconds = 3600;
};

// The error file: the original row with its line number and the reason, so that kelurahan
// staff can fix the rows and import the file of errors again.
class ErrorFile {
 public:
  ErrorFile(std::string path, std::vector<std::string> header)
      : path_(std::move(path)), header_(std::move(header)) {
    std::filesystem::remove(path_);  // a stale file from an earlier import would mislead
  }
  void add(std::size_t line, const std::string& reason, const std::vector<std::string>& fields) {
    std::lock_guard lock(mutex_);
    if (!out_.is_open()) {
      out_.open(path_);
      write_row(csv::Row{"line", "reason"}, header_);
    }
    write_row(csv::Row().add(line).add(reason), fields);
    ++count_;
  }
  std::size_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  // The rows come from a file anyone may have written: csv::Row neutralises formula cells.
  void write_row(csv::Row row, const std::vector<std::string>& fields) {
    for (const auto& f : fields) row.add(f);
    out_ << row.line();
  }
  std::string path_;
  std::vector<std::string> header_;
  std::ofstream out_;
  std::mutex mutex_;
  std::size_t count_ = 0;
};

template <typename T>
bool parse_number(const std::string& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Builds a request from a row, or says why the row cannot be sent.
std::optional<std::string> to_request(const std::vector<std::string>& f,
                                      const std::map<std::string, std::size_t>& at, std::size_t line,
                                      reg::RegisterRequest& r) {
  const auto col = [&](const std::string& name) -> const std::string& {
    static const std::string empty;
    const auto it = at.find(name);
    return it == at.end() ? empty : f[it->second];
  };
  int rt = 0;
  std::int64_t income = 0;
  if (!parse_number(col("rt"), rt)) return "rt: must be a whole number";
  if (!parse_number(col("income_band"), income)) return "income_band: must be whole rupiah, digits only";
  r.set_row(static_cast<std::int64_t>(line));
  r.set_idempotency_key("import:" + col("nik"));
  r.set_nik(col("nik"));
  r.set_name(col("name"));
  r.set_birth_date(col("birth_date"));
  r.set_sex(col("sex"));
  r.set_phone(col("phone"));
  r.set_rw_code(col("rw_code"));
  r.set_rt(rt);
  r.set_category(col("category"));
  r.set_income_band(income);
  r.set_programs(col("programs"));
  r.set_payer(col("payer"));
  r.set_agent_id(col("agent_id"));
  r.set_project_end_date(col(kOptionalColumn));
  return std::nullopt;
}

std::string reason_of(const reg::RegisterResult& result) {
  if (result.errors().empty()) return result.message();
  std::string reason;
  for (const auto& e : result.errors()) reason += (reason.empty() ? "" : "; ") + e.field() + ": " + e.rule();
  return reason;
}

class Progress {
 public:
  Progress(bool enabled, std::uintmax_t total_bytes)
      : enabled_(enabled && ::isatty(2)), total_(total_bytes) {}
  void show(std::size_t bytes, std::size_t rows, bool final = false) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double share = total_ == 0 ? 1.0 : static_cast<double>(bytes) / static_cast<double>(total_);
    const int filled = static_cast<int>(share * 30);
    const double seconds = std::chrono::duration<double>(now - start_).count();
    fmt::print(stderr, "\r[{}{}] {:3.0f}% {} rows, {:.0f} rows/s{}", std::string(filled, '#'),
               std::string(30 - filled, ' '), share * 100, rows,
               seconds > 0 ? static_cast<double>(rows) / seconds : 0.0, final ? "\n" : "");
  }

 private:
  bool enabled_;
  std::uintmax_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

int import_participants(const Globals& g, const Options& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "error: cannot read {}\n", o.file);
    return 2;
  }
  csv::Reader reader(in);
  csv::Record header;
  if (!reader.next(header) || !header.error.empty()) {
    fmt::print(stderr, "error: {} has no header line ({})\n", o.file, fmt::join(kColumns, ","));
    return 2;
  }
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < header.fields.size(); ++i) at[header.fields[i]] = i;
  std::vector<std::string> missing, unknown;
  for (const auto& c : kColumns) {
    if (!at.contains(c)) missing.push_back(c);
  }
  for (const auto& [name, _] : at) {
    if (std::find(kColumns.begin(), kColumns.end(), name) == kColumns.end() && name != kOptionalColumn) {
      unknown.push_back(name);
    }
  }
  if (!missing.empty() || !unknown.empty()) {
    fmt::print(stderr, "error: header of {}: missing columns [{}], unknown columns [{}]; expected {}\n",
               o.file, fmt::join(missing, ", "), fmt::join(unknown, ", "), fmt::join(kColumns, ","));
    return 2;
  }

  ErrorFile errors(o.errors.empty() ? o.file + ".errors.csv" : o.errors, header.fields);
  Progress progress(o.progress, std::filesystem::file_size(o.file));
  auto stub = reg::RegistrationService::NewStub(channel_to(g, "registration"));
  ::grpc::ClientContext context;
  prepare(context, g, std::chrono::seconds(o.timeout_seconds));
  auto stream = stub->RegisterBulk(&context);

  // Rows sent and not yet answered, kept to copy them into the error file.
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<std::string>> in_flight;
  std::atomic<std::size_t> rows{0};
  std::thread writer([&] {
    reg::RegisterBulkRequest batch;
    csv::Record record;
    while (reader.next(record)) {
      ++rows;
      progress.show(reader.bytes_read(), rows);
      if (!record.error.empty()) {
        errors.add(record.line, record.error, record.fields);
        continue;
      }
      if (record.fields.size() != header.fields.size()) {
        errors.add(record.line,
                   fmt::format("expected {} fields, found {}", header.fields.size(), record.fields.size()),
                   record.fields);
        continue;
      }
      reg::RegisterRequest request;
      if (auto problem = to_request(record.fields, at, record.line, request)) {
        errors.add(record.line, *problem, record.fields);
        continue;
      }
      {
        std::lock_guard lock(mutex);
        in_flight[record.line] = record.fields;
      }
      *batch.add_requests() = std::move(request);
      if (batch.requests_size() == kRowsPerMessage) {
        if (!stream->Write(batch)) break;  // the server ended the stream: Finish says why
        batch.Clear();
      }
    }
    if (batch.requests_size() > 0) stream->Write(batch);
    stream->WritesDone();
  });

  std::size_t imported = 0, present = 0;
  reg::RegisterBulkResponse response;
  while (stream->Read(&response)) {
    for (const auto& result : response.results()) {
      std::vector<std::string> fields;
      {
        std::lock_guard lock(mutex);
        auto node = in_flight.extract(static_cast<std::size_t>(result.row()));
        if (!node.empty()) fields = std::move(node.mapped());
      }
      if (result.already_present()) {
        ++present;
      } else if (result.code() == 0) {
        ++imported;
      } else {
        errors.add(static_cast<std::size_t>(result.row()), reason_of(result), fields);
      }
    }
  }
  writer.join();
  const auto status = stream->Finish();
  progress.show(reader.bytes_read(), rows, true);
  if (!status.ok()) {
    report(status);
    fmt::print(stderr, "the import stopped: rows not answered were not imported; run it again to finish\n");
  }
  const auto rejected = errors.count();
  if (g.json) {
    fmt::print("{{\"imported\": {}, \"already_present\": {}, \"rejected\": {}, \"errors_file\": \"{}\"}}\n",
               imported, present, rejected, rejected ? errors.path() : "");
  } else {
    fmt::print("imported {}, already present {}, rejected {}{}\n", imported, present, rejected,
               rejected ? fmt::format(" (see {})", errors.path()) : "");
  }
  if (!status.ok()) return 1;
  return rejected == 0 ? 0 : 3;
}

}  // namespace

void add_import_command(CLI::App& app, Globals& g) {
  auto* import = app.add_subcommand("import", "Bulk imports");
  import->require_subcommand(1);
  auto* participants = import->add_subcommand(
      "participants",
      "Register every good row of a CSV file (header: " + fmt::format("{}", fmt::join(kColumns, ",")) +
          "[,project_end_date]); bad rows go to an error file with their line and reason. Exit code 3 when "
          "rows "
          "were rejected.");
  auto options = std::make_shared<Options>();
  participants->add_option("file", options->file, "CSV file")->required()->check(CLI::ExistingFile);
  participants->add_option("--errors", options->errors, "error file (default: FILE.errors.csv)");
  participants->add_flag("!--no-progress", options->progress, "no progress bar");
  participants
      ->add_option("--import-timeout", options->timeout_seconds, "deadline of the whole import, seconds")
      ->capture_default_str();
  participants->callback([&g, options] { g.exit_code = import_participants(g, *options); });
}

}  // namespace jaring::ctl
