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

#include "core/strings.h"
#include "datasets/class_pool.h"
#include "datasets/image_class_dataset.h"
#include "datasets/io/data_paths.h"
#include "datasets/io/image_decode.h"
#include "datasets/io/source_files.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr const char* kOmniglotDecoderVersion = "omniglot-decoder-v1";

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

// data.* options; the defaults are the full dataset's, and omniglot-small
// overrides the sources and the split.
struct OmniglotOptions {
  std::string dir = "omniglot";
  std::string sources = "images_background,images_evaluation";
  std::string split = "characters";
  int64_t train_characters = 1200;
  int64_t val_characters = 100;
  int64_t split_seed = 0;
  std::string train_alphabets, val_alphabets, test_alphabets;
  bool rotations = true;
  int64_t image_size = 28;
  std::string cache_dir;
};

std::vector<int> split_by_characters(const ClassPool& pool, const OmniglotOptions& o) {
  const int64_t total = pool.num_classes();
  const int64_t train = o.train_characters;
  const int64_t val = o.val_characters;
  if (train >= total || val >= train) {
    throw DatasetError(format(
        "dataset 'omniglot': data.train_characters (%lld) must be below the %lld characters "
        "found and data.val_characters (%lld) below data.train_characters",
        static_cast<long long>(train), static_cast<long long>(total), static_cast<long long>(val)));
  }
  std::vector<int64_t> order(total);
  for (int64_t i = 0; i < total; ++i) order[i] = i;
  Rng rng(derive_seed({static_cast<uint64_t>(o.split_seed), 0x6f6d6e69ull}));
  rng.shuffle(order.begin(), order.end());
  std::vector<int> split(total, 2);
  for (int64_t i = 0; i < train; ++i) split[order[i]] = i < train - val ? 0 : 1;
  return split;
}

std::vector<int> split_by_alphabets(const std::string& dataset, const ClassPool& pool,
                                    const OmniglotOptions& o) {
  std::set<std::string> known(pool.class_groups.begin(), pool.class_groups.end());
  const std::vector<std::string> known_list(known.begin(), known.end());
  std::map<std::string, int> split_of;
  const char* keys[3] = {"data.train_alphabets", "data.val_alphabets", "data.test_alphabets"};
  const std::string* lists[3] = {&o.train_alphabets, &o.val_alphabets, &o.test_alphabets};
  for (int s = 0; s < 3; ++s) {
    const auto names = split_list(*lists[s]);
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

std::unique_ptr<Dataset> create_omniglot(const DataContext& ctx, const OmniglotOptions& o) {
  const std::string& name = ctx.name;
  const std::string dir = dataset_dir(ctx.data_root, o.dir);
  const std::string hint = download_hint(name, ctx.data_root);
  std::vector<std::string> sources;
  for (const auto& source : split_list(o.sources)) {
    sources.push_back(find_source(name, dir, source, {".zip"}, hint));
  }
  if (sources.empty()) throw DatasetError("dataset '" + name + "': data.sources is empty");
  const int64_t size = o.image_size;
  Sha256 key;
  key.update(kOmniglotDecoderVersion);
  key.update_value(size);
  for (const auto& source : sources) key.update(source_fingerprint(source));
  const ClassPool pool = load_or_decode(o.cache_dir, name, key.hex_digest(),
                                        [&] { return decode_omniglot(sources, size); });
  const std::vector<int> split =
      o.split == "characters" ? split_by_characters(pool, o) : split_by_alphabets(name, pool, o);
  return split_pool(name, pool, split, o.rotations);
}

OptionsSchema<OmniglotOptions> omniglot_options(const OmniglotOptions& defaults) {
  using O = OmniglotOptions;
  OptionsSchema<O> s(defaults);
  s.add_string("dir", &O::dir, "folder holding the sources, relative to the data root")
      .not_hashed();
  s.add_string("sources", &O::sources, "comma-separated folders or .zip archives inside data.dir");
  s.add_string("split", &O::split,
               "characters: seeded 1200-character split; alphabets: by alphabet")
      .choices({"characters", "alphabets"});
  s.add_int("train_characters", &O::train_characters,
            "split=characters: characters for training (incl. val)")
      .min(2);
  s.add_int("val_characters", &O::val_characters,
            "split=characters: validation characters taken from them")
      .min(1);
  s.add_int("split_seed", &O::split_seed, "split=characters: seed of the character shuffle").min(0);
  s.add_string("train_alphabets", &O::train_alphabets,
               "split=alphabets: comma-separated training alphabets");
  s.add_string("val_alphabets", &O::val_alphabets, "split=alphabets: validation alphabets");
  s.add_string("test_alphabets", &O::test_alphabets, "split=alphabets: test alphabets");
  s.add_bool("rotations", &O::rotations,
             "add 90/180/270-degree rotations of each character as classes");
  s.add_int("image_size", &O::image_size, "side after area-averaging resize from 105")
      .min(8)
      .max(105);
  add_cache_dir_option(s);
  return s;
}

// The two official small background subsets: 8 alphabets, 242 characters.
OmniglotOptions small_subsets() {
  OmniglotOptions o;
  o.sources = "images_background_small1,images_background_small2";
  o.split = "alphabets";
  o.train_alphabets = "Balinese,Japanese_(katakana),Korean,Sanskrit";
  o.val_alphabets = "Early_Aramaic,Tagalog";
  o.test_alphabets = "Greek,Latin";
  return o;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("omniglot",
                "Omniglot, official layout (images_background + images_evaluation), "
                "1200/423-character split",
                TaskKind::kClassification)
        .factory(omniglot_options(OmniglotOptions()), create_omniglot));

METABENCH_REGISTER_DATASET(
    DatasetInfo("omniglot-small",
                "Omniglot images_background_small1+2: 153/39/50 characters by alphabet (x4 "
                "rotations)",
                TaskKind::kClassification)
        .factory(omniglot_options(small_subsets()), create_omniglot));

}  // namespace
}  // namespace metabench
