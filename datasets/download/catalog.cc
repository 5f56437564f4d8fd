// The pinned downloads.  Sizes and SHA-256 sums are those of the files at the
// official URLs (as also pinned by TensorFlow Datasets); the two Omniglot
// small subsets were checked against the copies used in metabench's tests.
#include "core/strings.h"
#include "datasets/download/download.h"
#include "metabench/errors.h"

namespace metabench {

const std::vector<DownloadSpec>& download_catalog() {
  static const std::string kOmniglot = "https://github.com/brendenlake/omniglot/raw/master/python/";
  static const std::vector<DownloadSpec> catalog = {
      {"omniglot",
       "Omniglot images_background.zip + images_evaluation.zip (Lake et al. 2015), 15 MB",
       "omniglot",
       {{kOmniglot + "images_background.zip",
         "ad41ab679c8b5d90b271ef46be6987cc81211774a695c29dcc5367b2b26ee640", 9464212},
        {kOmniglot + "images_evaluation.zip",
         "1f61a8f3366785b057fc117d9228e78a16e3d976c8953b2a10fcc74cf0609cee", 6462886}}},
      {"omniglot-small",
       "Omniglot images_background_small1.zip + small2.zip, 2.9 MB",
       "omniglot",
       {{kOmniglot + "images_background_small1.zip",
         "f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4", 1319022},
        {kOmniglot + "images_background_small2.zip",
         "3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f", 1580917}}},
      {"cifar-100",
       "CIFAR-100 binary version (for cifar-fs and fc100), 161 MB",
       "",
       {{"https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
         "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", 168513733}}},
  };
  return catalog;
}

const DownloadSpec& find_download(const std::string& name) {
  const std::string wanted = (name == "cifar-fs" || name == "fc100") ? "cifar-100" : name;
  std::vector<std::string> names;
  for (const auto& spec : download_catalog()) {
    if (spec.name == wanted) return spec;
    names.push_back(spec.name);
  }
  if (name == "mini-imagenet") {
    throw DatasetError(
        "mini-imagenet has no public download (ImageNet's licence); place images/ and the "
        "Ravi-Larochelle train.csv, val.csv, test.csv under <data root>/mini-imagenet/");
  }
  if (name == "fashion-mnist") {
    throw DatasetError(
        "fashion-mnist comes from the Debian package: apt-get install dataset-fashion-mnist");
  }
  throw DatasetError("no download named '" + name + "'" + did_you_mean(name, names) +
                     "; available: " + join(names, ", "));
}

}  // namespace metabench
