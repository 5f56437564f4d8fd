#include "datasets/io/split_csv.h"

#include <sstream>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {

std::vector<CsvRow> parse_split_csv(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::vector<CsvRow> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty()) continue;
    const auto fields = split(line, ',');
    if (fields.size() != 2) {
      throw DatasetError(
          format("'%s' line %d: expected 2 comma-separated fields "
                 "(filename,label), got %zu",
                 path.c_str(), number, fields.size()));
    }
    if (number == 1 && fields[0] == "filename") continue;  // the header
    rows.push_back({trim(fields[0]), trim(fields[1]), number});
  }
  if (rows.empty()) throw DatasetError("'" + path + "' lists no images");
  return rows;
}

}  // namespace metabench
