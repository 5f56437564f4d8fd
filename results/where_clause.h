// `metabench report --where`: a condition on the columns of run_summary,
// parsed here and turned into SQL with bound parameters, so the user's text
// never becomes SQL itself.
//
//   condition := term { (AND | OR) term }
//   term      := [NOT] ( '(' condition ')'
//                      | column op value
//                      | column [NOT] IN '(' value { ',' value } ')'
//                      | column IS [NOT] NULL )
//   op        := = | == | != | <> | < | <= | > | >= | LIKE
//   value     := number | 'text' (a '' inside is one ')
//
// Keywords are case-insensitive; columns must be run_summary's
// (docs/results-schema.md).  Nesting is bounded (32 levels), as is the
// length (4096 characters).
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace metabench {

struct WhereClause {
  std::string sql;  // with ?N placeholders, numbered from the first_parameter given
  std::vector<std::variant<double, std::string>> values;  // in placeholder order
};

// Parses `text` against `columns`; ConfigError naming the position and what
// was expected.  Placeholders are numbered from `first_parameter` on.
WhereClause parse_where(const std::string& text, const std::vector<std::string>& columns,
                        int first_parameter);

}  // namespace metabench
