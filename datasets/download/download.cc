#include "datasets/download/download.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/files.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"

namespace fs = std::filesystem;

namespace metabench {
namespace {

std::string base_name(const std::string& url) {
  const auto slash = url.find_last_of('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) std::fclose(f);
  }
};

// Fetches `url` into `part`, appending to what it already holds.  Returns
// normally when the server finished the transfer; throws DatasetError
// otherwise (keeping `part` for a later resume).
void fetch(const std::string& url, const std::string& part) {
  std::error_code ec;
  const int64_t have = fs::exists(part, ec) ? static_cast<int64_t>(fs::file_size(part, ec)) : 0;
  std::unique_ptr<FILE, FileCloser> out(std::fopen(part.c_str(), "ab"));
  if (!out) throw DatasetError("cannot write '" + part + "'");
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw InternalError("curl_easy_init failed");
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, out.get());
  curl_easy_setopt(curl.get(), CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled connection (under 1 KB/s for a minute) is a failure, not a hang.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "metabench-data-download/1");
  const CURLcode code = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  std::fflush(out.get());
  const int64_t got = static_cast<int64_t>(fs::file_size(part, ec));
  if (code == CURLE_OK) return;
  if (code == CURLE_HTTP_RETURNED_ERROR && status == 416 && have > 0) {
    return;  // the range starts at the end: the part file is already whole
  }
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    out.reset();
    if (have == 0) fs::remove(part, ec);
    throw DatasetError(
        format("downloading '%s' failed: the server answered HTTP %ld", url.c_str(), status));
  }
  if (code == CURLE_PARTIAL_FILE || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR) {
    throw DatasetError(
        format("downloading '%s' was cut off after %lld bytes (%s); the partial "
               "file '%s' is kept and the next attempt resumes it",
               url.c_str(), static_cast<long long>(got), *error ? error : curl_easy_strerror(code),
               part.c_str()));
  }
  throw DatasetError("downloading '" + url +
                     "' failed: " + (*error ? std::string(error) : curl_easy_strerror(code)));
}

// Throws DatasetError (deleting `part`) unless it has the pinned size and hash.
void verify(const DownloadFile& file, const std::string& part) {
  const int64_t size = static_cast<int64_t>(fs::file_size(part));
  const bool size_ok = file.size == 0 || size == file.size;
  // Hash (streaming) only a file of the pinned size; anything else is wrong.
  const std::string actual = size_ok ? sha256_file(part) : "";
  if (size_ok && actual == file.sha256) return;
  std::string head(512, '\0');
  {
    std::ifstream in(part, std::ios::binary);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
  }
  std::error_code ec;
  fs::remove(part, ec);
  std::string lower;
  for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("<html") != std::string::npos ||
      lower.find("<!doctype html") != std::string::npos) {
    throw DatasetError(
        format("'%s' returned an HTML page (%lld bytes) instead of the archive; "
               "the server or a proxy refused the download. Nothing was unpacked",
               file.url.c_str(), static_cast<long long>(size)));
  }
  if (!size_ok) {
    throw DatasetError(
        format("'%s' has %lld bytes, expected %lld: truncated or not the pinned "
               "file; deleted it. Nothing was unpacked",
               file.url.c_str(), static_cast<long long>(size), static_cast<long long>(file.size)));
  }
  throw DatasetError("'" + file.url + "' failed its checksum: SHA-256 " + actual + ", expected " +
                     file.sha256 + "; deleted it. Nothing was unpacked");
}

// Extracts `archive_path` into the empty folder `into`.
void extract(const std::string& archive_path, const std::string& into) {
  std::unique_ptr<archive, int (*)(archive*)> in(archive_read_new(), archive_read_free);
  std::unique_ptr<archive, int (*)(archive*)> out(archive_write_disk_new(), archive_write_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  auto fail = [&](archive* a) {
    throw DatasetError("cannot unpack '" + archive_path + "': " +
                       (archive_error_string(a) ? archive_error_string(a) : "unknown error"));
  };
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    fail(in.get());
  }
  archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    // Entries are re-rooted under `into`; refuse names that would escape it.
    if (name.empty() || name[0] == '/' || name == ".." || starts_with(name, "../") ||
        name.find("/../") != std::string::npos) {
      throw DatasetError("archive '" + archive_path + "' has an unsafe entry name '" + name +
                         "'; refusing to unpack it");
    }
    const std::string target = into + "/" + name;
    archive_entry_set_pathname(entry, target.c_str());
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK) fail(out.get());
    const void* block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(out.get(), block, size, offset) != ARCHIVE_OK) fail(out.get());
    }
    if (r != ARCHIVE_EOF) fail(in.get());
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) fail(out.get());
  }
  if (status != ARCHIVE_EOF) fail(in.get());
}

}  // namespace

int download_dataset(const DownloadSpec& spec, const DownloadOptions& options) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)global;
  const std::string root = options.data_root.empty() ? "." : options.data_root;
  const std::string destination = spec.destination.empty() ? root : root + "/" + spec.destination;
  const std::string downloads = root + "/.downloads";
  make_directories(downloads);
  make_directories(destination);
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  int installed_count = 0;
  for (const DownloadFile& file : spec.files) {
    const std::string name = base_name(file.url);
    // Written last, after the rename: present only for a complete install.
    const std::string marker = destination + "/." + name + ".installed";
    std::error_code ec;
    if (fs::exists(marker, ec)) {
      log(name + ": already installed in " + destination);
      continue;
    }
    const std::string url = options.mirror.empty() ? file.url : options.mirror + "/" + name;
    const std::string part = downloads + "/" + name + ".part";
    log(name + ": downloading " + url);
    fetch(url, part);
    verify(DownloadFile{url, file.sha256, file.size}, part);
    log(name + ": SHA-256 verified; unpacking");
    const std::string temp = root + "/.unpack-" + name + "-" + std::to_string(getpid());
    fs::remove_all(temp, ec);
    make_directories(temp);
    try {
      extract(part, temp);
      for (const auto& entry : fs::directory_iterator(temp)) {
        const fs::path target = fs::path(destination) / entry.path().filename();
        if (fs::exists(target)) {
          log(name + ": replacing '" + target.string() + "', which was not installed by a " +
              "verified download");
          fs::remove_all(target);
        }
        fs::rename(entry.path(), target);
      }
    } catch (...) {
      fs::remove_all(temp, ec);
      throw;
    }
    fs::remove_all(temp, ec);
    write_file_atomically(marker, file.sha256 + "  " + name + "\n");
    fs::remove(part, ec);
    log(name + ": installed in " + destination);
    ++installed_count;
  }
  return installed_count;
}

}  // namespace metabench
