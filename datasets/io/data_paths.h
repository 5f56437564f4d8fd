// Locating a dataset's files under the data root, with errors that say where
// metabench looked and how to get the data.
#pragma once

#include <string>
#include <vector>

namespace metabench {

// A dataset's `dir` option resolved against the data root (--data-root,
// METABENCH_DATA or data.root) unless it is absolute.
std::string dataset_dir(const std::string& data_root, const std::string& dir);

// The source `name` inside `dir`: the folder `dir/name` if it exists, else the
// first of `dir/name` + each of `archive_suffixes` that exists.  Throws
// DatasetError listing what was tried and `hint` (e.g. how to download it).
std::string find_source(const std::string& dataset, const std::string& dir, const std::string& name,
                        const std::vector<std::string>& archive_suffixes, const std::string& hint);

// Throws DatasetError unless `path` is a regular file, naming the dataset.
void require_file(const std::string& dataset, const std::string& path, const std::string& hint);

// "; download it with `metabench data download NAME --data-root ROOT`".
std::string download_hint(const std::string& download_name, const std::string& data_root);

}  // namespace metabench
