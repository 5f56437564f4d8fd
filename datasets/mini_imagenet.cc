// miniImageNet (Vinyals et al. 2016) in the layout of Ravi and Larochelle
// (2017): a folder `images/` of JPEG files and the split files train.csv,
// val.csv and test.csv, each with the header "filename,label" and one row per
// image.  64/16/20 classes of 600 images, 84x84 RGB.  Images of another size
// are resized by area averaging to data.image_size.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "core/files.h"
#include "core/strings.h"
#include "datasets/class_pool.h"
#include "datasets/image_class_dataset.h"
#include "datasets/io/data_paths.h"
#include "datasets/io/image_decode.h"
#include "datasets/io/source_files.h"
#include "datasets/io/split_csv.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr const char* kMiniImagenetDecoderVersion = "mini-imagenet-decoder-v1";
constexpr const char* kSplits[3] = {"train", "val", "test"};

ClassPool decode_mini_imagenet(const std::string& dir, int64_t size) {
  ClassPool pool;
  ContentChecksum checksum;
  std::vector<at::Tensor> images;
  std::map<std::string, std::string> split_of_label;
  for (const char* split_name : kSplits) {
    const std::string csv = dir + "/" + split_name + ".csv";
    // Classes in order of first appearance; files in CSV order.
    std::map<std::string, int64_t> class_of;
    for (const CsvRow& row : parse_split_csv(read_file(csv), csv)) {
      auto [it, inserted] = class_of.emplace(row.label, 0);
      if (inserted) {
        auto [other, fresh] = split_of_label.emplace(row.label, split_name);
        if (!fresh) {
          throw DatasetError(
              format("'%s' line %d: class '%s' is already in %s.csv; the splits "
                     "must not share classes",
                     csv.c_str(), row.line, row.label.c_str(), other->second.c_str()));
        }
        it->second = pool.add_class(row.label, split_name);
      }
      const std::string path = dir + "/images/" + row.filename;
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        throw DatasetError(format("'%s' line %d names image '%s', but '%s' does not exist",
                                  csv.c_str(), row.line, row.filename.c_str(), path.c_str()));
      }
      const std::string bytes = read_file(path);
      checksum.add(std::string(split_name) + "/" + row.filename, bytes);
      pool.class_examples[it->second].push_back(static_cast<int64_t>(images.size()));
      images.push_back(resize_area(decode_image(bytes, 3, path), size));
    }
  }
  pool.images = at::stack(images);
  pool.source_checksum = checksum.hex_digest();
  return pool;
}

// data.* options.
struct MiniImageNetOptions {
  std::string dir = "mini-imagenet";
  int64_t image_size = 84;
  std::string cache_dir;
};

std::unique_ptr<Dataset> create_mini_imagenet(const DataContext& ctx,
                                              const MiniImageNetOptions& o) {
  const std::string dir = dataset_dir(ctx.data_root, o.dir);
  const std::string hint =
      "; miniImageNet has no public download: place images/ and train.csv, val.csv, test.csv "
      "(Ravi and Larochelle's split) there, or set data.dir";
  for (const char* split_name : kSplits) {
    require_file("mini-imagenet", dir + "/" + split_name + ".csv", hint);
  }
  const int64_t size = o.image_size;
  Sha256 key;
  key.update(kMiniImagenetDecoderVersion);
  key.update_value(size);
  for (const char* split_name : kSplits) {
    key.update(source_fingerprint(dir + "/" + split_name + ".csv"));
  }
  key.update(source_fingerprint(dir + "/images"));
  const ClassPool pool = load_or_decode(o.cache_dir, "mini-imagenet", key.hex_digest(),
                                        [&] { return decode_mini_imagenet(dir, size); });
  std::vector<int> split(pool.num_classes());
  for (int64_t c = 0; c < pool.num_classes(); ++c) {
    const std::string& group = pool.class_groups[c];
    split[c] = group == "train" ? 0 : (group == "val" ? 1 : 2);
  }
  return split_pool("mini-imagenet", pool, split, /*rotations=*/false);
}

OptionsSchema<MiniImageNetOptions> mini_imagenet_options() {
  OptionsSchema<MiniImageNetOptions> s;
  s.add_string("dir", &MiniImageNetOptions::dir,
               "folder with images/ and the CSVs, under the data root")
      .not_hashed();
  s.add_int("image_size", &MiniImageNetOptions::image_size,
            "side in pixels (area-averaging resize if the files differ)")
      .min(8)
      .max(512);
  add_cache_dir_option(s);
  return s;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("mini-imagenet",
                "miniImageNet, Ravi & Larochelle CSV layout: 64/16/20 classes x 600, 84x84 RGB",
                TaskKind::kClassification)
        .factory(mini_imagenet_options(), create_mini_imagenet));

}  // namespace
}  // namespace metabench
