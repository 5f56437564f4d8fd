// Reading a dataset's source files, whether they sit in an extracted folder or
// in the archive they were published as (zip, tar, tar.gz).
//
// Paths handed to the visitor are relative to the source and '/'-separated;
// for an archive whose entries all live under one top-level folder (as in
// Omniglot's `images_background.zip`) that folder is stripped, so a folder and
// its archive yield the same paths.  The content checksum is order-independent
// for the same reason: it hashes (path, bytes) pairs sorted by path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace metabench {

// Called once per regular file: `path` relative to the source, `bytes` its
// content.  `origin` names the file for error messages ("a.zip:x/y.png").
using SourceVisitor = std::function<void(const std::string& path, const std::string& bytes,
                                         const std::string& origin)>;

// Decides from the relative path alone whether a file's bytes are needed.
using SourceFilter = std::function<bool(const std::string& path)>;

// Visits the files of `source` (a directory, or a .zip/.tar/.tar.gz/.tgz
// file) that `want` accepts.  Throws DatasetError naming the source for a
// missing path, an unreadable file, or a truncated or corrupt archive.
void visit_source_files(const std::string& source, const SourceFilter& want,
                        const SourceVisitor& visit);

// Accumulates an order-independent SHA-256 over visited files.
class ContentChecksum {
 public:
  void add(const std::string& path, const std::string& bytes);
  std::string hex_digest() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // (path, sha256 of bytes)
};

// A cheap identity of a source as it is on disk now: every file's path, size
// and modification time (not the content).  Used to key the decode cache;
// changes whenever a file is replaced, added or removed.
std::string source_fingerprint(const std::string& source);

// True for the archive extensions visit_source_files() reads.
bool is_archive_path(const std::string& path);

}  // namespace metabench
