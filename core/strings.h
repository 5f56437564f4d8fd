// Small string helpers shared by the config validator, the CLI and reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace metabench {

std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string trim(std::string_view text);  // without leading and trailing white space
// `text` with its control characters (line breaks included) written as
// \xNN, UTF-8 kept: safe inside a one-line message.
std::string printable(std::string_view text);
// `text` as one word for a POSIX shell: as is when it has only safe
// characters, else in single quotes (a ' written as '\'').  Nothing in it
// is expanded.
std::string shell_quote(std::string_view text);

// Splits a comma-separated list, trimming each item and dropping empty ones.
std::vector<std::string> split_list(std::string_view text);

// Edit distance (adjacent transpositions count as one edit), for "did you mean" suggestions.
size_t levenshtein(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is plausibly a typo of it.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" when there is no close candidate.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// "1h02m", "3m05s", "12.3s".
std::string human_duration(double seconds);

}  // namespace metabench
