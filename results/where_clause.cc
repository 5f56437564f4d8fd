#include "results/where_clause.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr size_t kMaxLength = 4096;
constexpr int kMaxDepth = 32;

struct Token {
  enum Kind { kWord, kNumber, kText, kSymbol, kEnd } kind = kEnd;
  std::string text;
  size_t at = 0;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& columns, int first)
      : text_(text), columns_(columns), next_parameter_(first) {
    tokenize();
  }

  WhereClause parse() {
    out_.sql = condition(0);
    if (peek().kind != Token::kEnd) fail(peek(), "AND, OR or the end of the condition");
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const Token& t, const std::string& expected) const {
    // The user's text may hold line breaks; the message is one line.
    const std::string got = t.kind == Token::kEnd ? "the end" : "'" + printable(t.text) + "'";
    throw ConfigError("--where '" + printable(text_) + "': at character " +
                      std::to_string(t.at + 1) + ", expected " + expected + ", got " + got);
  }

  void tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.at = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) {
          ++j;
        }
        t.kind = Token::kWord;
        t.text = text_.substr(i, j - i);
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
                 ((c == '-' || c == '+') && i + 1 < text_.size() &&
                  (std::isdigit(static_cast<unsigned char>(text_[i + 1])) ||
                   text_[i + 1] == '.'))) {
        const char* begin = text_.c_str() + i;
        char* end = nullptr;
        std::strtod(begin, &end);
        if (end == begin) fail(t, "a number");
        t.kind = Token::kNumber;
        t.text = text_.substr(i, static_cast<size_t>(end - begin));
        i += static_cast<size_t>(end - begin);
      } else if (c == '\'') {
        std::string value;
        size_t j = i + 1;
        for (;; ++j) {
          if (j >= text_.size()) fail(t, "a closing ' for the text");
          if (text_[j] == '\'') {
            if (j + 1 < text_.size() && text_[j + 1] == '\'') {
              value += '\'';
              ++j;
              continue;
            }
            break;
          }
          value += text_[j];
        }
        t.kind = Token::kText;
        t.text = value;
        i = j + 1;
      } else {
        static const char* const kSymbols[] = {"<=", ">=", "<>", "!=", "==", "=",
                                               "<",  ">",  "(",  ")",  ","};
        t.kind = Token::kSymbol;
        for (const char* s : kSymbols) {
          if (text_.compare(i, std::char_traits<char>::length(s), s) == 0) {
            t.text = s;
            break;
          }
        }
        if (t.text.empty()) {
          t.text = std::string(1, c);
          fail(t, "a column, a value, a comparison, AND, OR, NOT or a parenthesis");
        }
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.at = text_.size();
    tokens_.push_back(end);
  }

  const Token& peek() const { return tokens_[pos_]; }
  Token take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool keyword(const char* word) const {
    return peek().kind == Token::kWord && upper(peek().text) == word;
  }
  bool symbol(const char* s) const { return peek().kind == Token::kSymbol && peek().text == s; }

  std::string condition(int depth) {
    if (depth > kMaxDepth) fail(peek(), "fewer than 32 nested parentheses");
    std::string sql = term(depth);
    while (keyword("AND") || keyword("OR")) {
      const std::string op = upper(take().text);
      sql += " " + op + " " + term(depth);
    }
    return sql;
  }

  std::string term(int depth) {
    std::string prefix;
    if (keyword("NOT")) {
      take();
      prefix = "NOT ";
    }
    if (symbol("(")) {
      take();
      const std::string inner = condition(depth + 1);
      if (!symbol(")")) fail(peek(), "')'");
      take();
      return prefix + "(" + inner + ")";
    }
    const Token column = take();
    if (column.kind != Token::kWord ||
        std::find(columns_.begin(), columns_.end(), column.text) == columns_.end()) {
      const std::string hint =
          column.kind == Token::kWord ? did_you_mean(column.text, columns_) : "";
      fail(column, "a column of run_summary (docs/results-schema.md)" + hint);
    }
    const std::string name = "\"" + column.text + "\"";  // a known identifier
    if (keyword("IS")) {
      take();
      std::string is = " IS ";
      if (keyword("NOT")) {
        take();
        is += "NOT ";
      }
      if (!keyword("NULL")) fail(peek(), "NULL");
      take();
      return prefix + name + is + "NULL";
    }
    bool negated = false;
    if (keyword("NOT")) {
      take();
      negated = true;
      if (!keyword("IN")) fail(peek(), "IN");
    }
    if (keyword("IN")) {
      take();
      if (!symbol("(")) fail(peek(), "'(' and a list of values");
      take();
      std::vector<std::string> items{value()};
      while (symbol(",")) {
        take();
        items.push_back(value());
      }
      if (!symbol(")")) fail(peek(), "',' or ')'");
      take();
      return prefix + name + (negated ? " NOT IN (" : " IN (") + join(items, ", ") + ")";
    }
    std::string op;
    if (peek().kind == Token::kSymbol && peek().text != "(" && peek().text != ")" &&
        peek().text != ",") {
      op = take().text;
    } else if (keyword("LIKE")) {
      take();
      op = "LIKE";
    } else {
      fail(peek(), "a comparison (=, !=, <, <=, >, >=, LIKE, IN, IS)");
    }
    return prefix + name + " " + op + " " + value();
  }

  // A value as a placeholder, its value kept for binding.
  std::string value() {
    const Token t = take();
    if (t.kind == Token::kNumber) {
      out_.values.emplace_back(std::strtod(t.text.c_str(), nullptr));
    } else if (t.kind == Token::kText) {
      out_.values.emplace_back(t.text);
    } else {
      fail(t, "a number or a 'quoted text'");
    }
    return "?" + std::to_string(next_parameter_++);
  }

  const std::string& text_;
  const std::vector<std::string>& columns_;
  int next_parameter_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  WhereClause out_;
};

}  // namespace

WhereClause parse_where(const std::string& text, const std::vector<std::string>& columns,
                        int first_parameter) {
  if (text.size() > kMaxLength) {
    throw ConfigError("--where is " + std::to_string(text.size()) + " characters long; at most " +
                      std::to_string(kMaxLength) + " are accepted");
  }
  return Parser(text, columns, first_parameter).parse();
}

}  // namespace metabench
