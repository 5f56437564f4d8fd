#include "datasets/io/source_files.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/files.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"

namespace fs = std::filesystem;

namespace metabench {
namespace {

std::vector<fs::path> sorted_files(const fs::path& root) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) throw DatasetError("cannot list '" + root.string() + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

ArchivePtr open_archive(const std::string& source) {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), source.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw DatasetError("cannot open archive '" + source + "': " + archive_error_string(a.get()));
  }
  return a;
}

[[noreturn]] void archive_failure(const std::string& source, archive* a, const std::string& at) {
  const char* why = archive_error_string(a);
  throw DatasetError("archive '" + source + "' is truncated or corrupt" +
                     (at.empty() ? "" : " at entry '" + at + "'") + ": " +
                     (why ? why : "unknown libarchive error") +
                     "; delete it and download it again");
}

// Lists the entry names, to find a common top-level folder to strip.
std::vector<std::string> archive_names(const std::string& source) {
  ArchivePtr a = open_archive(source);
  std::vector<std::string> names;
  archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    names.push_back(archive_entry_pathname(entry));
    // Skipping the data still reads it, so truncation is caught here too.
    if (archive_read_data_skip(a.get()) != ARCHIVE_OK)
      archive_failure(source, a.get(), names.back());
  }
  if (status != ARCHIVE_EOF) archive_failure(source, a.get(), names.empty() ? "" : names.back());
  return names;
}

std::string common_top_folder(const std::vector<std::string>& names) {
  std::string top;
  for (const auto& name : names) {
    const auto slash = name.find('/');
    if (slash == std::string::npos) return "";  // a file at the top level
    const std::string first = name.substr(0, slash + 1);
    if (top.empty()) top = first;
    if (first != top) return "";
  }
  return top;
}

void visit_archive(const std::string& source, const SourceFilter& want,
                   const SourceVisitor& visit) {
  const std::string strip = common_top_folder(archive_names(source));
  ArchivePtr a = open_archive(source);
  archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const std::string path = name.substr(strip.size());
    if (!want(path)) continue;
    // The entry's size field is not trusted for an allocation: read in
    // chunks, up to a bound (a dataset file is never near it).
    constexpr size_t kMaxEntryBytes = size_t{1} << 31;
    std::string bytes;
    char chunk[1 << 16];
    la_ssize_t got;
    while ((got = archive_read_data(a.get(), chunk, sizeof(chunk))) > 0) {
      if (bytes.size() + static_cast<size_t>(got) > kMaxEntryBytes) {
        throw DatasetError("'" + source + "': entry '" + name + "' is larger than " +
                           std::to_string(kMaxEntryBytes >> 20) +
                           " MiB; not a dataset file this reader expects");
      }
      bytes.append(chunk, static_cast<size_t>(got));
    }
    if (got < 0) archive_failure(source, a.get(), name);
    if (archive_entry_size_is_set(entry) &&
        static_cast<int64_t>(bytes.size()) != archive_entry_size(entry)) {
      throw DatasetError("'" + source + "': entry '" + name + "' holds " +
                         std::to_string(bytes.size()) + " bytes, its header says " +
                         std::to_string(archive_entry_size(entry)) + " (a damaged archive)");
    }
    visit(path, bytes, source + ":" + name);
  }
  if (status != ARCHIVE_EOF) archive_failure(source, a.get(), "");
}

}  // namespace

bool is_archive_path(const std::string& path) {
  return ends_with(path, ".zip") || ends_with(path, ".tar") || ends_with(path, ".tar.gz") ||
         ends_with(path, ".tgz");
}

void visit_source_files(const std::string& source, const SourceFilter& want,
                        const SourceVisitor& visit) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    const fs::path root(source);
    for (const fs::path& file : sorted_files(root)) {
      const std::string path = file.lexically_relative(root).generic_string();
      if (want(path)) visit(path, read_file(file.string()), file.string());
    }
  } else if (fs::is_regular_file(source, ec) && is_archive_path(source)) {
    visit_archive(source, want, visit);
  } else if (fs::exists(source, ec)) {
    throw DatasetError("'" + source + "' is neither a folder nor a .zip/.tar/.tar.gz archive");
  } else {
    throw DatasetError("dataset source '" + source + "' does not exist");
  }
}

void ContentChecksum::add(const std::string& path, const std::string& bytes) {
  entries_.emplace_back(path, sha256_hex(bytes));
}

std::string ContentChecksum::hex_digest() const {
  auto sorted = entries_;
  std::sort(sorted.begin(), sorted.end());
  Sha256 h;
  h.update("metabench-source-v1");
  for (const auto& [path, digest] : sorted) {
    h.update_value(static_cast<uint64_t>(path.size()));
    h.update(path);
    h.update(digest);
  }
  return h.hex_digest();
}

std::string source_fingerprint(const std::string& source) {
  Sha256 h;
  std::error_code ec;
  auto add = [&](const fs::path& file) {
    const auto size = fs::file_size(file, ec);
    const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
    h.update(file.generic_string());
    h.update_value(static_cast<uint64_t>(size));
    h.update_value(static_cast<int64_t>(mtime));
  };
  if (fs::is_directory(source, ec)) {
    for (const fs::path& file : sorted_files(source)) add(file);
  } else {
    add(source);
  }
  return h.hex_digest();
}

}  // namespace metabench
