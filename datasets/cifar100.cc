// CIFAR-FS (Bertinetto et al. 2019) and FC100 (Oreshkin et al. 2018), both
// built from the CIFAR-100 binary distribution (cifar-100-binary.tar.gz:
// train.bin and test.bin, records of <coarse label, fine label, 3072 bytes of
// R, G, B planes>, plus fine_label_names.txt and coarse_label_names.txt).
// The train and test files are pooled: 600 images of 32x32 per class.
//
// CIFAR-FS splits the 100 classes 64/16/20 by fine class, FC100 60/20/20 by
// superclass (12/4/4), both as listed below; these are the splits of the
// papers' released code.
#include <ATen/ATen.h>

#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "core/files.h"
#include "core/strings.h"
#include "datasets/cifar_records.h"
#include "datasets/class_pool.h"
#include "datasets/image_class_dataset.h"
#include "datasets/io/data_paths.h"
#include "datasets/io/image_decode.h"
#include "datasets/io/source_files.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr const char* kCifar100DecoderVersion = "cifar100-decoder-v1";

const std::set<std::string> kCifarFsVal = {
    "beaver", "otter", "flatfish", "shark", "lamp",      "television", "beetle",     "butterfly",
    "sea",    "camel", "cattle",   "crab",  "crocodile", "maple_tree", "motorcycle", "tractor"};
const std::set<std::string> kCifarFsTest = {
    "whale",    "poppy",   "rose",  "sweet_pepper", "telephone",    "bed",   "table",
    "wardrobe", "leopard", "plain", "chimpanzee",   "fox",          "snail", "worm",
    "baby",     "man",     "woman", "bicycle",      "pickup_truck", "rocket"};
const std::set<std::string> kFc100Val = {"large_carnivores", "large_omnivores_and_herbivores",
                                         "non-insect_invertebrates", "small_mammals"};
const std::set<std::string> kFc100Test = {"aquatic_mammals", "insects", "medium_mammals", "people"};

std::vector<std::string> read_names(const std::string& path) {
  std::vector<std::string> names;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

ClassPool decode_cifar100(const std::string& dir, const std::string& dataset) {
  const auto fine = read_names(dir + "/fine_label_names.txt");
  const auto coarse = read_names(dir + "/coarse_label_names.txt");
  if (fine.size() != 100 || coarse.size() != 20) {
    throw DatasetError("dataset '" + dataset + "': expected 100 names in '" + dir +
                       "/fine_label_names.txt' and 20 in coarse_label_names.txt, found " +
                       std::to_string(fine.size()) + " and " + std::to_string(coarse.size()));
  }
  ClassPool pool;
  for (const auto& name : fine) pool.add_class(name, "");
  ContentChecksum checksum;
  std::vector<at::Tensor> chunks;
  int64_t count = 0;
  for (const char* file : {"train.bin", "test.bin"}) {
    const std::string path = dir + "/" + file;
    const std::string bytes = read_file(path);
    checksum.add(file, bytes);
    if (bytes.empty() || bytes.size() % kCifar100Record != 0) {
      throw DatasetError("dataset '" + dataset + "': '" + path + "' has " +
                         std::to_string(bytes.size()) + " bytes, not a whole number of " +
                         std::to_string(kCifar100Record) + "-byte CIFAR-100 records (truncated?)");
    }
    const at::Tensor images =
        decode_cifar100_records(bytes, path, dataset, fine, coarse, count, pool);
    const int64_t records = images.size(0);
    count += records;
    chunks.push_back(images);
  }
  pool.images = at::cat(chunks, 0);
  pool.source_checksum = checksum.hex_digest();
  return pool;
}

// data.* options.
struct CifarOptions {
  std::string dir = "cifar-100-binary";
  std::string cache_dir;
};

std::unique_ptr<Dataset> create_cifar(const DataContext& ctx, const CifarOptions& o) {
  const std::string& name = ctx.name;
  const std::string dir = dataset_dir(ctx.data_root, o.dir);
  const std::string hint = download_hint("cifar-100", ctx.data_root);
  for (const char* file :
       {"train.bin", "test.bin", "fine_label_names.txt", "coarse_label_names.txt"}) {
    require_file(name, dir + "/" + file, hint);
  }
  Sha256 key;
  key.update(kCifar100DecoderVersion);
  key.update(source_fingerprint(dir));
  const ClassPool pool = load_or_decode(o.cache_dir, "cifar-100", key.hex_digest(),
                                        [&] { return decode_cifar100(dir, name); });
  const bool by_superclass = name == "fc100";
  const auto& val = by_superclass ? kFc100Val : kCifarFsVal;
  const auto& test = by_superclass ? kFc100Test : kCifarFsTest;
  std::vector<int> split(pool.num_classes(), 0);
  std::set<std::string> seen;
  for (int64_t c = 0; c < pool.num_classes(); ++c) {
    const std::string& key_name = by_superclass ? pool.class_groups[c] : pool.class_names[c];
    seen.insert(key_name);
    split[c] = val.count(key_name) ? 1 : (test.count(key_name) ? 2 : 0);
  }
  for (const auto* listed : {&val, &test}) {
    for (const auto& wanted : *listed) {
      if (!seen.count(wanted)) {
        throw DatasetError("dataset '" + name + "': the standard split names " +
                           (by_superclass ? "superclass '" : "class '") + wanted + "', which '" +
                           dir + "' does not have");
      }
    }
  }
  return split_pool(name, pool, split, /*rotations=*/false);
}

OptionsSchema<CifarOptions> cifar_options() {
  OptionsSchema<CifarOptions> s;
  s.add_string("dir", &CifarOptions::dir, "CIFAR-100 binary folder, relative to the data root")
      .not_hashed();
  add_cache_dir_option(s);
  return s;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("cifar-fs",
                "CIFAR-FS from the CIFAR-100 binary set: 64/16/20 classes x 600, 32x32 RGB",
                TaskKind::kClassification)
        .factory(cifar_options(), create_cifar));

METABENCH_REGISTER_DATASET(
    DatasetInfo("fc100",
                "FC100 from the CIFAR-100 binary set: 60/20/20 classes by superclass, 32x32 RGB",
                TaskKind::kClassification)
        .factory(cifar_options(), create_cifar));

}  // namespace
}  // namespace metabench
