#include "report_render.hpp"

#include <fmt/format.h>

#include "jaring/csv/writer.hpp"

namespace jaring::coverage {
namespace {

struct Column {
  const char* field;  // a counter, or "rws_at_target"
  const char* label;  // Indonesian, as leaders read it
};

constexpr Column kColumns[] = {
    {"registrations", "Pendaftaran baru"},
    {"registered", "Terdaftar"},
    {"active", "Aktif"},
    {"arrears", "Menunggak"},
    {"lapsed", "Nonaktif"},
    {"sponsored", "Dibiayai donatur"},
    {"claims_paid", "Klaim dibayar"},
    {"claims_paid_rupiah", "Klaim dibayar (Rp)"},
    {"rws_at_target", "RW mencapai target"},
};

std::int64_t value(const AreaSummary& s, std::string_view field) {
  if (field == "rws_at_target") return s.rws_at_target;
  return *field_of(s.totals, field);
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string snapshot_label(const Snapshot& s) {
  return s.id == 0 ? fmt::format("sekarang ({})", s.as_of) : fmt::format("{} (per {})", s.period, s.as_of);
}

}  // namespace

std::string render_csv(const Report& report) {
  csv::Row header{"area_code", "area_name", "level"};
  for (const auto& c : kColumns) {
    for (const auto* suffix : {"_from", "_to", "_change"}) header.add(std::string(c.field) + suffix);
  }
  std::string out = header.line();
  const auto row = [&](const ReportRow& r) {
    csv::Row line;
    line.add(r.to.code).add(r.to.name).add(to_string(r.to.level));
    for (const auto& c : kColumns) {
      // New registrations are the change of the ever-registered count.
      const auto from = value(r.from, c.field), to = value(r.to, c.field);
      line.add(from).add(to).add(to - from);
    }
    out += line.line();
  };
  for (const auto& r : report.rows) row(r);
  row(report.total);
  return out;
}

std::string render_html(const Report& report) {
  const auto& area = report.total.to;
  std::string out =
      fmt::format(R"(<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Monev {0} {1} - {2}</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 1.5cm; color: #111; }}
 h1 {{ font-size: 1.3rem; margin: 0; }} p {{ margin: .3rem 0 1rem; color: #444; }}
 table {{ border-collapse: collapse; width: 100%; font-size: .8rem; }}
 th, td {{ border: 1px solid #999; padding: .25rem .4rem; text-align: right; }}
 th:first-child, td:first-child {{ text-align: left; }} tfoot td {{ font-weight: bold; }}
 .up {{ color: #0a6b2d; }} .down {{ color: #a11; }}
 @media print {{ body {{ margin: 0; }} @page {{ size: A4 landscape; margin: 1cm; }} }}
</style></head><body>
<h1>Monitoring dan evaluasi 1 RW 100 Pekerja Rentan: {0} ({1})</h1>
<p>{3} {2} dibandingkan dengan {4}. Setiap sel: nilai akhir (perubahan).</p>
<table><thead><tr><th>Wilayah</th>)",
                  html_escape(area.name), html_escape(area.code), html_escape(snapshot_label(report.to)),
                  "Keadaan", html_escape(snapshot_label(report.from)));
  for (const auto& c : kColumns) out += fmt::format("<th>{}</th>", c.label);
  out += "</tr></thead>\n<tbody>\n";
  const auto row = [&](const ReportRow& r, bool footer) {
    out += fmt::format("<tr><td>{} <small>{}</small></td>", html_escape(footer ? "Jumlah" : r.to.name),
                       html_escape(r.to.code));
    for (const auto& c : kColumns) {
      const auto from = value(r.from, c.field), to = value(r.to, c.field);
      const auto change = to - from;
      out += fmt::format("<td>{} <span class=\"{}\">({:+})</span></td>", to,
                         change > 0   ? "up"
                         : change < 0 ? "down"
                                      : "",
                         change);
    }
    out += "</tr>\n";
  };
  for (const auto& r : report.rows) row(r, false);
  out += "</tbody><tfoot>";
  row(report.total, true);
  out += "</tfoot></table>\n</body></html>\n";
  return out;
}

}  // namespace jaring::coverage
