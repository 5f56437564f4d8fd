#include "datasets/io/data_paths.h"

#include <filesystem>

#include "core/strings.h"
#include "metabench/errors.h"

namespace fs = std::filesystem;

namespace metabench {

std::string dataset_dir(const std::string& data_root, const std::string& dir) {
  if (fs::path(dir).is_absolute()) return dir;
  return (fs::path(data_root) / dir).string();
}

std::string find_source(const std::string& dataset, const std::string& dir, const std::string& name,
                        const std::vector<std::string>& archive_suffixes, const std::string& hint) {
  std::error_code ec;
  const std::string folder = dir + "/" + name;
  if (fs::is_directory(folder, ec)) return folder;
  std::vector<std::string> tried{"'" + folder + "/'"};
  for (const auto& suffix : archive_suffixes) {
    const std::string archive = folder + suffix;
    if (fs::is_regular_file(archive, ec)) return archive;
    tried.push_back("'" + archive + "'");
  }
  throw DatasetError("dataset '" + dataset + "': missing source '" + name + "': none of " +
                     join(tried, ", ") + " exists" + hint);
}

void require_file(const std::string& dataset, const std::string& path, const std::string& hint) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw DatasetError("dataset '" + dataset + "': missing file '" + path + "'" + hint);
  }
}

std::string download_hint(const std::string& download_name, const std::string& data_root) {
  return "; set the data root with --data-root or METABENCH_DATA (now '" + data_root +
         "'), or download it with `metabench data download " + download_name + " --data-root " +
         data_root + "`";
}

}  // namespace metabench
