// miniImageNet's split files (Ravi & Larochelle, 2017): train.csv, val.csv
// and test.csv, each with the header "filename,label" and one image per row.
#pragma once

#include <string>
#include <vector>

namespace metabench {

struct CsvRow {
  std::string filename, label;
  int line = 0;  // 1-based, for errors
};

// Parses a split file's text (`path` names it in errors): DatasetError
// naming the file and line for a row without exactly two fields, or a file
// without rows.
std::vector<CsvRow> parse_split_csv(const std::string& text, const std::string& path);

}  // namespace metabench
