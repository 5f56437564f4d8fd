#include "results/published_results.h"

#include <cstdlib>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {

extern const char* const kPublishedCsv;  // generated from results/data/published.csv

namespace {

// One CSV record's fields: commas separate, double quotes quote ("" is a
// quote inside quotes).  Records never span lines in this table.
std::vector<std::string> csv_fields(const std::string& line, bool* ok) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  *ok = true;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) *ok = false;
  return fields;
}

const char* const kColumns[] = {"algorithm",     "dataset",  "ways",   "shots",
                                "requires",      "accuracy", "spread", "spread_kind",
                                "test_episodes", "source",   "note"};
constexpr size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

}  // namespace

std::string PublishedResult::required_text() const {
  std::vector<std::string> parts;
  for (const auto& [key, value] : required) parts.push_back(key + "=" + value);
  return join(parts, " ");
}

std::string PublishedResult::value_text() const {
  if (spread_kind == "none" || spread <= 0) return format("%.2f", accuracy);
  const char* kind = spread_kind == "ci95_episodes" ? "95% CI over episodes"
                     : spread_kind == "std_seeds"   ? "SD over seeds"
                                                    : "95% CI";
  return format("%.2f ± %.2f (%s)", accuracy, spread, kind);
}

std::vector<PublishedResult> parse_published_csv(const std::string& text,
                                                 const std::string& origin) {
  std::vector<PublishedResult> out;
  bool header = true;
  int line_number = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++line_number;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = origin + ":" + std::to_string(line_number) + ": ";
    bool ok = true;
    const std::vector<std::string> f = csv_fields(line, &ok);
    if (!ok) throw UserError(where + "unterminated quoted field");
    if (header) {
      header = false;
      if (f.size() != kColumnCount) {
        throw UserError(where + "expected the header " +
                        join({std::begin(kColumns), std::end(kColumns)}, ",") + ", got '" + line +
                        "'");
      }
      for (size_t i = 0; i < kColumnCount; ++i) {
        if (f[i] != kColumns[i]) {
          throw UserError(where + "expected column '" + kColumns[i] + "', got '" + f[i] + "'");
        }
      }
      continue;
    }
    if (f.size() != kColumnCount) {
      throw UserError(where + "expected " + std::to_string(kColumnCount) + " fields, got " +
                      std::to_string(f.size()));
    }
    PublishedResult r;
    r.algorithm = f[0];
    r.dataset = f[1];
    char* end = nullptr;
    auto number = [&](const std::string& field, const char* column) {
      if (field.empty()) return 0.0;
      const double v = std::strtod(field.c_str(), &end);
      if (*end != '\0') {
        throw UserError(where + "column '" + column + "': expected a number, got '" + field + "'");
      }
      return v;
    };
    // Counts: whole numbers in a sane range (a double outside int64's is
    // undefined to convert: UBSan, found by fuzz_csv).
    auto count = [&](const std::string& field, const char* column) {
      const double v = number(field, column);
      if (!(v >= 0 && v <= 1e9) || v != static_cast<double>(static_cast<int64_t>(v))) {
        throw UserError(where + "column '" + column + "': expected a whole number from 0 to 1e9, "
                        "got '" + field + "'");
      }
      return static_cast<int64_t>(v);
    };
    r.ways = count(f[2], "ways");
    r.shots = count(f[3], "shots");
    for (const std::string& item : split(f[4], ' ')) {
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UserError(where + "column 'requires': expected KEY=VALUE items, got '" + item + "'");
      }
      r.required.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    r.accuracy = number(f[5], "accuracy");
    r.spread = number(f[6], "spread");
    r.spread_kind = f[7];
    if (r.spread_kind != "ci95_episodes" && r.spread_kind != "ci95" &&
        r.spread_kind != "std_seeds" && r.spread_kind != "none") {
      throw UserError(where +
                      "column 'spread_kind': expected ci95_episodes, ci95, std_seeds or "
                      "none, got '" +
                      r.spread_kind + "'");
    }
    r.test_episodes = count(f[8], "test_episodes");
    r.source = f[9];
    r.note = f[10];
    if (r.algorithm.empty() || r.dataset.empty() || r.ways < 1 || r.shots < 1 || r.source.empty()) {
      throw UserError(where +
                      "expected an algorithm, a dataset, ways and shots of at least 1 "
                      "and a source");
    }
    out.push_back(std::move(r));
  }
  if (header) throw UserError(origin + ": no header line");
  return out;
}

const std::vector<PublishedResult>& published_results() {
  static const std::vector<PublishedResult> results = [] {
    try {
      return parse_published_csv(kPublishedCsv, "results/data/published.csv");
    } catch (const UserError& e) {
      throw InternalError(std::string("the embedded published table is malformed: ") + e.what());
    }
  }();
  return results;
}

PublishedMatch find_published(const std::string& algorithm, const std::string& dataset,
                              int64_t ways, int64_t shots,
                              const std::map<std::string, std::string>& settings) {
  PublishedMatch match;
  size_t fewest = static_cast<size_t>(-1);
  for (const auto& r : published_results()) {
    if (r.algorithm != algorithm || r.dataset != dataset || r.ways != ways || r.shots != shots) {
      continue;
    }
    std::vector<std::string> differences;
    for (const auto& [key, value] : r.required) {
      const auto ours = settings.find(key);
      if (ours == settings.end() || ours->second != value) {
        differences.push_back(key + "=" + value + " (this run: " +
                              (ours == settings.end() ? std::string("not set") : ours->second) +
                              ")");
      }
    }
    if (differences.empty()) {
      match.result = r;
      match.differs.clear();
      return match;
    }
    if (differences.size() < fewest) {
      fewest = differences.size();
      match.differs = r.source + " requires " + join(differences, ", ");
    }
  }
  return match;
}

}  // namespace metabench
