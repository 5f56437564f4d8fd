// Omniglot (Lake et al. 2015) in its official layout, and `omniglot-small`.
//
// Sources are the official folders or zip archives, each holding
// Alphabet/characterNN/*.png at 105x105 with black strokes on white.  Images
// are inverted (strokes 1, background 0) and resized by area averaging to
// data.image_size.  A class is one character ("Alphabet/characterNN"); a
// character present in several sources (the two small background subsets
// share Greek and Latin) is read from the first source listed only.
//
// Splits:
//   characters  the standard split of the full set: characters sorted by
//               name, shuffled with data.split_seed (metabench's portable
//               RNG), the first data.train_characters (1200) for training of
//               which the last data.val_characters go to validation, the rest
//               (423 for the full set) for testing.
//   alphabets   whole alphabets per split, listed in data.train_alphabets,
//               data.val_alphabets and data.test_alphabets.
// With data.rotations, each character adds three classes rotated by 90, 180
// and 270 degrees, in the same split.
#include <ATen/ATen.h>

#include <map>
#include <set>

#include "datasets/class_pool.h"
#include "datasets/dataset.h"
#include "datasets/image_class_dataset.h"
#include "datasets/io/data_paths.h"
#include "datasets/io/image_decode.h"
#include "datasets/io/source_files.h"
#include "harness/config/experiment_config.h"
#include "harness/core/errors.h"
#include "harness/core/strings.h"

namespace metabench {
namespace {

constexpr const char* kDecoderVersion = "omniglot-decoder-v1";

ClassPool decode_omniglot(const std::vector<std::string>& sources, int64_t size) {
  // class key -> (file name -> image); std::map keeps everything sorted, so
  // the pool does not depend on the order of entries in an archive.
  std::map<std::string, std::map<std::string, at::Tensor>> classes;
  ContentChecksum checksum;
  for (const std::string& source : sources) {
    std::set<std::string> from_this_source;
    auto want = [&](const std::string& path) {
      const auto parts = split(path, '/');
      if (parts.size() != 3 || !ends_with(parts[2], ".png")) return false;
      const std::string key = parts[0] + "/" + parts[1];
      return from_this_source.count(key) > 0 || classes.count(key) == 0;
    };
    visit_source_files(
        source, want,
        [&](const std::string& path, const std::string& bytes, const std::string& origin) {
          const auto parts = split(path, '/');
          const std::string key = parts[0] + "/" + parts[1];
          from_this_source.insert(key);
          checksum.add(path, bytes);
          at::Tensor ink = 255 - decode_image(bytes, 1, origin);
          classes[key][parts[2]] = resize_area(ink, size);
        });
  }
  ClassPool pool;
  std::vector<at::Tensor> images;
  for (auto& [key, files] : classes) {
    const int64_t c = pool.add_class(key, split(key, '/')[0]);
    for (auto& [file, image] : files) {
      pool.class_examples[c].push_back(static_cast<int64_t>(images.size()));
      images.push_back(image);
    }
  }
  if (images.empty()) {
    throw DatasetError("no Omniglot images (Alphabet/characterNN/*.png) found in " +
                       join(sources, ", "));
  }
  pool.images = at::stack(images);
  pool.source_checksum = checksum.hex_digest();
  return pool;
}

std::vector<int> split_by_characters(const ClassPool& pool, const ConfigValues& v) {
  const int64_t total = pool.num_classes();
  const int64_t train = v.get_int("data.train_characters");
  const int64_t val = v.get_int("data.val_characters");
  if (train >= total || val >= train) {
    throw DatasetError(format(
        "dataset 'omniglot': data.train_characters (%lld) must be below the %lld characters "
        "found and data.val_characters (%lld) below data.train_characters",
        static_cast<long long>(train), static_cast<long long>(total), static_cast<long long>(val)));
  }
  std::vector<int64_t> order(total);
  for (int64_t i = 0; i < total; ++i) order[i] = i;
  Rng rng(derive_seed({static_cast<uint64_t>(v.get_int("data.split_seed")), 0x6f6d6e69ull}));
  rng.shuffle(order.begin(), order.end());
  std::vector<int> split(total, 2);
  for (int64_t i = 0; i < train; ++i) split[order[i]] = i < train - val ? 0 : 1;
  return split;
}

std::vector<int> split_by_alphabets(const std::string& dataset, const ClassPool& pool,
                                    const ConfigValues& v) {
  std::set<std::string> known(pool.class_groups.begin(), pool.class_groups.end());
  const std::vector<std::string> known_list(known.begin(), known.end());
  std::map<std::string, int> split_of;
  const char* keys[3] = {"data.train_alphabets", "data.val_alphabets", "data.test_alphabets"};
  for (int s = 0; s < 3; ++s) {
    const auto names = split_list(v.get_string(keys[s]));
    if (names.empty()) {
      throw DatasetError("dataset '" + dataset + "': " + keys[s] +
                         " is empty; expected a comma-separated list of alphabets from: " +
                         join(known_list, ", "));
    }
    for (const auto& name : names) {
      if (!known.count(name)) {
        throw DatasetError("dataset '" + dataset + "': " + keys[s] + " names alphabet '" + name +
                           "', which is not in the data" + did_you_mean(name, known_list) +
                           "; alphabets found: " + join(known_list, ", "));
      }
      if (!split_of.emplace(name, s).second) {
        throw DatasetError("dataset '" + dataset + "': alphabet '" + name +
                           "' is listed in more than one split (" + keys[split_of[name]] + " and " +
                           keys[s] + ")");
      }
    }
  }
  std::vector<int> split(pool.num_classes(), -1);
  for (int64_t c = 0; c < pool.num_classes(); ++c) {
    auto it = split_of.find(pool.class_groups[c]);
    if (it != split_of.end()) split[c] = it->second;
  }
  return split;
}

std::unique_ptr<Dataset> create_omniglot(const std::string& name, const ExperimentConfig& cfg) {
  const ConfigValues& v = cfg.values;
  const std::string dir = dataset_dir(cfg);
  const std::string hint = download_hint(name, cfg);
  std::vector<std::string> sources;
  for (const auto& source : split_list(v.get_string("data.sources"))) {
    sources.push_back(find_source(name, dir, source, {".zip"}, hint));
  }
  if (sources.empty()) throw DatasetError("dataset '" + name + "': data.sources is empty");
  const int64_t size = v.get_int("data.image_size");
  Sha256 key;
  key.update(kDecoderVersion);
  key.update_value(size);
  for (const auto& source : sources) key.update(source_fingerprint(source));
  const ClassPool pool =
      load_or_decode(v, name, key.hex_digest(), [&] { return decode_omniglot(sources, size); });
  const std::vector<int> split = v.get_string("data.split") == "characters"
                                     ? split_by_characters(pool, v)
                                     : split_by_alphabets(name, pool, v);
  return split_pool(name, pool, split, v.get_bool("data.rotations"));
}

Schema omniglot_options(const std::string& sources, const std::string& split,
                        const std::string& train, const std::string& val, const std::string& test) {
  Schema s;
  s.add_string("dir", "omniglot", "folder holding the sources, relative to the data root")
      .not_hashed();
  s.add_string("sources", sources, "comma-separated folders or .zip archives inside data.dir");
  s.add_string("split", split, "characters: seeded 1200-character split; alphabets: by alphabet")
      .choices({"characters", "alphabets"});
  s.add_int("train_characters", 1200, "split=characters: characters for training (incl. val)")
      .min(2);
  s.add_int("val_characters", 100, "split=characters: validation characters taken from them")
      .min(1);
  s.add_int("split_seed", 0, "split=characters: seed of the character shuffle").min(0);
  s.add_string("train_alphabets", train, "split=alphabets: comma-separated training alphabets");
  s.add_string("val_alphabets", val, "split=alphabets: validation alphabets");
  s.add_string("test_alphabets", test, "split=alphabets: test alphabets");
  s.add_bool("rotations", true, "add 90/180/270-degree rotations of each character as classes");
  s.add_int("image_size", 28, "side after area-averaging resize from 105").min(8).max(105);
  add_cache_dir_option(s);
  return s;
}

METABENCH_REGISTER_DATASET(DatasetInfo{
    "omniglot",
    "Omniglot, official layout (images_background + images_evaluation), 1200/423-character split",
    TaskKind::kClassification,
    omniglot_options("images_background,images_evaluation", "characters", "", "", ""),
    [](const ExperimentConfig& cfg) { return create_omniglot("omniglot", cfg); }});

// The two official small background subsets: 8 alphabets, 242 characters.
METABENCH_REGISTER_DATASET(DatasetInfo{
    "omniglot-small",
    "Omniglot images_background_small1+2: 153/39/50 characters by alphabet (x4 rotations)",
    TaskKind::kClassification,
    omniglot_options("images_background_small1,images_background_small2", "alphabets",
                     "Balinese,Japanese_(katakana),Korean,Sanskrit", "Early_Aramaic,Tagalog",
                     "Greek,Latin"),
    [](const ExperimentConfig& cfg) { return create_omniglot("omniglot-small", cfg); }});

}  // namespace
}  // namespace metabench
