#pragma once
// The M&E report as CSV (for spreadsheets) and as a printable HTML page. Both the gRPC API
// and the dashboard serve these, so there is one rendering.

#include <string>

#include "../core/evaluation.hpp"

namespace jaring::coverage {

std::string render_csv(const Report& report);
std::string render_html(const Report& report);

}  // namespace jaring::coverage
