#pragma once
// A streaming CSV reader (RFC 4180: quoted fields, "" inside quotes, line breaks inside quotes,
// CRLF or LF) that knows the line each record starts on, so that an import can name the line
// of every bad row. A malformed record is reported and reading goes on with the next line.
// Written here rather than taken from libcsv because libcsv reports records, not the lines
// they start on.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace jaring::csv {

struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;  // 1-based line the record starts on
  std::string error;     // non-empty when the record is malformed (fields are then partial)
};

class Reader {
 public:
  explicit Reader(std::istream& in, char separator = ',') : in_(in), separator_(separator) {}

  // Reads the next record into `record`; false at the end of the input. Blank lines are
  // skipped; a UTF-8 byte order mark at the start is ignored.
  bool next(Record& record);
  // Bytes consumed so far (for progress).
  std::size_t bytes_read() const { return bytes_; }

 private:
  int get();
  int peek();
  void skip_rest_of_line();

  std::istream& in_;
  char separator_;
  std::size_t line_ = 1;
  std::size_t bytes_ = 0;
  bool started_ = false;
  std::string pending_;  // bytes read ahead at the start that turned out to be data
};

}  // namespace jaring::csv
