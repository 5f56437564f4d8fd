// Downloading dataset archives safely: `metabench data download`.
//
// Each file is fetched with libcurl into <root>/.downloads/<name>.part,
// resuming a partial file with an HTTP range request, then checked against
// its pinned size and SHA-256.  Only a verified archive is unpacked, into a
// temporary folder under the root, whose top-level entries are then renamed
// into place; so the dataset folder either appears complete or not at all.
// A truncated transfer keeps the .part file for the next attempt to resume;
// a wrong checksum (or an HTML page served instead of the archive) deletes
// it.  Every failure is a DatasetError saying what happened.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace metabench {

struct DownloadFile {
  std::string url;
  std::string sha256;  // pinned, lower-case hex
  int64_t size = 0;    // bytes; 0 = unknown
};

struct DownloadSpec {
  std::string name;         // as given to `metabench data download`
  std::string description;  // one line
  // Folder under the data root that receives the archives' top-level
  // entries ("" = the root itself).
  std::string destination;
  std::vector<DownloadFile> files;
};

struct DownloadOptions {
  std::string data_root;
  // When set, a file is fetched from mirror + "/" + its URL's last component.
  std::string mirror;
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// Downloads, verifies and unpacks every file of `spec` that is not already
// in place; returns the number of files it installed.
int download_dataset(const DownloadSpec& spec, const DownloadOptions& options);

// The catalog of datasets with public downloads, and lookup by name (also
// accepting the datasets that are built from one, e.g. cifar-fs).
const std::vector<DownloadSpec>& download_catalog();
const DownloadSpec& find_download(const std::string& name);

}  // namespace metabench
