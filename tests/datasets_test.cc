// The real-format dataset loaders on fixtures written in those formats, the
// decode cache, and their errors.  The real omniglot-small subsets and the
// Debian Fashion-MNIST package are used where present (skipped, saying why,
// where not).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>

#include <filesystem>

#include "datasets/class_pool.h"
#include "harness/config/experiment_config.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::unique_ptr<Dataset> load(const std::string& dataset, const std::string& root,
                              const std::string& cache, std::vector<std::string> sets = {}) {
  sets.insert(sets.begin(), {"dataset=" + dataset, "data.root=" + root, "data.cache_dir=" + cache});
  const ExperimentConfig cfg = resolve_assignments(sets);
  return create_dataset(cfg);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "(no DatasetError)";
}

const std::map<std::string, int> kAlphabets = {{"Alpha", 4}, {"Beta", 3}, {"Gamma", 3}};
const std::vector<std::string> kAlphabetSplit = {
    "data.sources=images_background", "data.split=alphabets", "data.train_alphabets=Alpha",
    "data.val_alphabets=Beta", "data.test_alphabets=Gamma"};

TEST(Omniglot, ZipAndFolderGiveTheSameDataAndChecksums) {
  TempDir dir;
  const auto entries = testing::omniglot_entries("images_background/", kAlphabets, 6);
  testing::write_zip(dir.file("zip/omniglot/images_background.zip"), entries);
  testing::write_tree(dir.file("tree/omniglot"), entries);
  const auto from_zip = load("omniglot", dir.file("zip"), dir.file("cache1"), kAlphabetSplit);
  const auto from_tree = load("omniglot", dir.file("tree"), dir.file("cache2"), kAlphabetSplit);
  EXPECT_EQ(from_zip->checksum(), from_tree->checksum());
  EXPECT_EQ(from_zip->source_checksum(), from_tree->source_checksum());
  EXPECT_EQ(from_zip->source_checksum().size(), 64u);
  // Rotations make four classes of each character, in the character's split.
  EXPECT_EQ(from_zip->num_classes(Split::kTrain), 16);
  EXPECT_EQ(from_zip->num_classes(Split::kValidation), 12);
  EXPECT_EQ(from_zip->num_classes(Split::kTest), 12);
  EXPECT_EQ(from_zip->input_shape(), (std::vector<int64_t>{1, 28, 28}));

  Rng rng(1);
  const Episode e = from_zip->sample(Split::kTest, {5, 2, 3}, rng, nullptr);
  // Strokes are 1 and background 0 after inversion; bars cover a minority.
  const double mean = e.support_x.mean().item<double>();
  EXPECT_GT(mean, 0.02);
  EXPECT_LT(mean, 0.5);
  EXPECT_NEAR(e.support_x.min().item<double>(), 0.0, 1e-6);
  EXPECT_GT(e.support_x.max().item<double>(), 0.9);
}

TEST(Omniglot, RotationsCanBeTurnedOffAndSizeChosen) {
  TempDir dir;
  testing::write_tree(dir.file("omniglot"),
                      testing::omniglot_entries("images_background/", kAlphabets, 4));
  auto sets = kAlphabetSplit;
  sets.push_back("data.rotations=false");
  sets.push_back("data.image_size=14");
  const auto d = load("omniglot", dir.path(), dir.file("cache"), sets);
  EXPECT_EQ(d->num_classes(Split::kTrain), 4);
  EXPECT_EQ(d->input_shape(), (std::vector<int64_t>{1, 14, 14}));
}

TEST(Omniglot, CharacterSplitIsSeededAndCoversEveryCharacter) {
  TempDir dir;
  testing::write_tree(dir.file("omniglot"),
                      testing::omniglot_entries("images_background/", kAlphabets, 3));
  const std::vector<std::string> sets = {"data.sources=images_background",
                                         "data.train_characters=7", "data.val_characters=2",
                                         "data.rotations=false"};
  const auto a = load("omniglot", dir.path(), dir.file("cache"), sets);
  EXPECT_EQ(a->num_classes(Split::kTrain), 5);
  EXPECT_EQ(a->num_classes(Split::kValidation), 2);
  EXPECT_EQ(a->num_classes(Split::kTest), 3);
  const auto b = load("omniglot", dir.path(), dir.file("cache"), sets);
  EXPECT_EQ(a->checksum(), b->checksum());
  auto reseeded = sets;
  reseeded.push_back("data.split_seed=5");
  EXPECT_NE(load("omniglot", dir.path(), dir.file("cache"), reseeded)->checksum(), a->checksum());
  auto too_many = sets;
  too_many.push_back("data.train_characters=10");
  EXPECT_NE(error_of([&] {
              load("omniglot", dir.path(), dir.file("cache"), too_many);
            }).find("data.train_characters (10) must be below the 10 characters"),
            std::string::npos);
}

TEST(Omniglot, BadAlphabetListsAreNamed) {
  TempDir dir;
  testing::write_tree(dir.file("omniglot"),
                      testing::omniglot_entries("images_background/", kAlphabets, 2));
  auto typo = kAlphabetSplit;
  typo.push_back("data.test_alphabets=Gama");
  EXPECT_NE(error_of([&] { load("omniglot", dir.path(), dir.file("c"), typo); })
                .find("data.test_alphabets names alphabet 'Gama', which is not in the data "
                      "(did you mean 'Gamma'?)"),
            std::string::npos);
  auto twice = kAlphabetSplit;
  twice.push_back("data.val_alphabets=Alpha");
  EXPECT_NE(error_of([&] {
              load("omniglot", dir.path(), dir.file("c"), twice);
            }).find("alphabet 'Alpha' is listed in more than one split"),
            std::string::npos);
}

TEST(Omniglot, MissingCorruptAndTruncatedSourcesAreNamed) {
  TempDir dir;
  const std::string missing = error_of([&] { load("omniglot-small", dir.path(), dir.file("c")); });
  EXPECT_NE(missing.find("missing source 'images_background_small1'"), std::string::npos);
  EXPECT_NE(missing.find(dir.path() + "/omniglot/images_background_small1.zip"), std::string::npos);
  EXPECT_NE(missing.find("metabench data download omniglot-small"), std::string::npos);

  auto entries = testing::omniglot_entries("images_background/", kAlphabets, 2);
  entries[3].second = entries[3].second.substr(0, 40);  // a PNG cut short
  testing::write_zip(dir.file("bad/omniglot/images_background.zip"), entries);
  const std::string corrupt =
      error_of([&] { load("omniglot", dir.file("bad"), dir.file("c"), kAlphabetSplit); });
  EXPECT_NE(corrupt.find("images_background.zip:" + entries[3].first + "' is not a readable image"),
            std::string::npos)
      << corrupt;

  const auto good = testing::omniglot_entries("images_background/", kAlphabets, 2);
  testing::write_zip(dir.file("zip.zip"), good);
  const std::string bytes = testing::read_bytes(dir.file("zip.zip"));
  testing::write_bytes(dir.file("cut/omniglot/images_background.zip"),
                       bytes.substr(0, bytes.size() / 2));
  const std::string truncated =
      error_of([&] { load("omniglot", dir.file("cut"), dir.file("c"), kAlphabetSplit); });
  EXPECT_NE(truncated.find("images_background.zip' is truncated or corrupt"), std::string::npos)
      << truncated;
}

TEST(Omniglot, TooFewClassesOrImagesForTheEpisodeShape) {
  TempDir dir;
  testing::write_tree(dir.file("omniglot"),
                      testing::omniglot_entries("images_background/", kAlphabets, 4));
  const auto d = load("omniglot", dir.path(), dir.file("c"), kAlphabetSplit);
  EXPECT_NE(error_of([&] {
              d->check_shape(Split::kTest, {20, 1, 1});
            }).find("the test split has 12 classes, fewer than the 20 ways requested"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              d->check_shape(Split::kTest, {5, 1, 15});
            }).find("has 4 examples, fewer than the 16 (shots + queries)"),
            std::string::npos);
}

TEST(DecodeCache, SecondLoadHitsAndAChangedSourceMisses) {
  TempDir dir;
  const auto entries = testing::omniglot_entries("images_background/", kAlphabets, 3);
  testing::write_zip(dir.file("omniglot/images_background.zip"), entries);
  auto cache_files = [&] {
    std::vector<std::string> files;
    if (fs::exists(dir.file("cache"))) {
      for (const auto& f : fs::directory_iterator(dir.file("cache"))) files.push_back(f.path());
    }
    return files;
  };
  const auto first = load("omniglot", dir.path(), dir.file("cache"), kAlphabetSplit);
  ASSERT_EQ(cache_files().size(), 1u);
  const std::string cache_file = cache_files()[0];
  const auto stamp = fs::last_write_time(cache_file);
  const auto second = load("omniglot", dir.path(), dir.file("cache"), kAlphabetSplit);
  EXPECT_EQ(second->checksum(), first->checksum());
  EXPECT_EQ(second->source_checksum(), first->source_checksum());
  EXPECT_EQ(fs::last_write_time(cache_file), stamp) << "a hit must not rewrite the cache";

  // A corrupt cache file is only a cache: it is decoded again and rewritten.
  testing::write_bytes(cache_file, "garbage");
  const auto third = load("omniglot", dir.path(), dir.file("cache"), kAlphabetSplit);
  EXPECT_EQ(third->checksum(), first->checksum());
  EXPECT_GT(fs::file_size(cache_file), 1000u);

  // A damaged header declaring a 2^40-pixel image: rebuilt, nothing huge
  // allocated (the reader checks sizes against the file first).
  {
    std::string bytes = testing::read_text(cache_file);
    uint64_t key_length = 0, checksum_length = 0;
    std::memcpy(&key_length, bytes.data() + 8, 8);
    std::memcpy(&checksum_length, bytes.data() + 16 + key_length, 8);
    const size_t dims_at = 24 + key_length + checksum_length;
    const uint64_t huge = uint64_t{1} << 40;
    std::memcpy(bytes.data() + dims_at + 8, &huge, 8);
    testing::write_bytes(cache_file, bytes);
  }
  const auto fourth = load("omniglot", dir.path(), dir.file("cache"), kAlphabetSplit);
  EXPECT_EQ(fourth->checksum(), first->checksum());

  // Replacing the archive (one more drawer) changes the key and the data.
  testing::write_zip(dir.file("omniglot/images_background.zip"),
                     testing::omniglot_entries("images_background/", kAlphabets, 4));
  const auto changed = load("omniglot", dir.path(), dir.file("cache"), kAlphabetSplit);
  EXPECT_NE(changed->source_checksum(), first->source_checksum());
  EXPECT_EQ(cache_files().size(), 2u);
}

TEST(MiniImageNet, ReadsTheCsvLayoutAndNamesMissingImages) {
  TempDir dir;
  testing::write_mini_imagenet(dir.file("mini-imagenet"), {4, 2, 3}, 5, 84);
  const auto d = load("mini-imagenet", dir.path(), dir.file("c"));
  EXPECT_EQ(d->num_classes(Split::kTrain), 4);
  EXPECT_EQ(d->num_classes(Split::kValidation), 2);
  EXPECT_EQ(d->num_classes(Split::kTest), 3);
  EXPECT_EQ(d->input_shape(), (std::vector<int64_t>{3, 84, 84}));
  const auto small = load("mini-imagenet", dir.path(), dir.file("c"), {"data.image_size=42"});
  EXPECT_EQ(small->input_shape(), (std::vector<int64_t>{3, 42, 42}));

  std::string csv = testing::read_bytes(dir.file("mini-imagenet/val.csv"));
  testing::write_bytes(dir.file("mini-imagenet/val.csv"), csv + "n99999999.jpg,n00001004\n");
  const std::string missing = error_of([&] { load("mini-imagenet", dir.path(), dir.file("c")); });
  EXPECT_NE(missing.find("val.csv' line 12 names image 'n99999999.jpg', but '" +
                         dir.file("mini-imagenet/images/n99999999.jpg") + "' does not exist"),
            std::string::npos)
      << missing;
}

TEST(CifarFsAndFc100, BuildTheStandardSplitsFromTheBinaryDistribution) {
  TempDir dir;
  testing::write_cifar100(dir.file("cifar-100-binary"), 3, 1);
  const auto fs_data = load("cifar-fs", dir.path(), dir.file("c"));
  EXPECT_EQ(fs_data->num_classes(Split::kTrain), 64);
  EXPECT_EQ(fs_data->num_classes(Split::kValidation), 16);
  EXPECT_EQ(fs_data->num_classes(Split::kTest), 20);
  EXPECT_EQ(fs_data->input_shape(), (std::vector<int64_t>{3, 32, 32}));
  const auto fc = load("fc100", dir.path(), dir.file("c"));
  EXPECT_EQ(fc->num_classes(Split::kTrain), 60);
  EXPECT_EQ(fc->num_classes(Split::kValidation), 20);
  EXPECT_EQ(fc->num_classes(Split::kTest), 20);
  EXPECT_EQ(fc->source_checksum(), fs_data->source_checksum());
  Rng rng(3);
  const Episode e = fc->sample(Split::kTest, {5, 2, 2}, rng, nullptr);
  EXPECT_EQ(e.support_x.sizes(), (std::vector<int64_t>{10, 3, 32, 32}));

  const std::string bytes = testing::read_bytes(dir.file("cifar-100-binary/test.bin"));
  testing::write_bytes(dir.file("cifar-100-binary/test.bin"), bytes.substr(0, bytes.size() - 5));
  EXPECT_NE(error_of([&] { load("cifar-fs", dir.path(), dir.file("c")); })
                .find("test.bin' has " + std::to_string(bytes.size() - 5) +
                      " bytes, not a whole number of 3074-byte CIFAR-100 records"),
            std::string::npos);
}

TEST(FashionMnist, ReadsGzippedIdxAsATestOnlyDataset) {
  TempDir dir;
  testing::write_fashion_mnist(dir.file("fashion-mnist"), "t10k", 6);
  const auto d = load("fashion-mnist", dir.path(), dir.file("c"));
  EXPECT_EQ(d->num_classes(Split::kTest), 10);
  EXPECT_EQ(d->num_classes(Split::kTrain), 0);
  EXPECT_EQ(d->input_shape(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_NE(error_of([&] {
              d->check_shape(Split::kTrain, {5, 1, 1});
            }).find("has no train classes"),
            std::string::npos);
  const std::string images =
      testing::read_bytes(dir.file("fashion-mnist/t10k-images-idx3-ubyte.gz"));
  testing::write_bytes(dir.file("fashion-mnist/t10k-images-idx3-ubyte.gz"),
                       images.substr(0, images.size() / 2));
  EXPECT_NE(error_of([&] {
              load("fashion-mnist", dir.path(), dir.file("c"));
            }).find("t10k-images-idx3-ubyte.gz"),
            std::string::npos);
}

TEST(FashionMnist, TheDebianPackageLoads) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Debian package dataset-fashion-mnist is not installed";
  }
  TempDir dir;
  const auto d = load("fashion-mnist", dir.file("no-local-copy"), dir.file("c"));
  EXPECT_EQ(d->num_classes(Split::kTest), 10);
  EXPECT_NE(d->describe().find("10000 images of 1x28x28"), std::string::npos) << d->describe();
}

TEST(OmniglotSmall, TheRealSubsetsGiveTheDocumentedSplit) {
  const std::string root = testing::source_path("../shared/datasets");
  if (!fs::exists(root + "/omniglot/images_background_small1.zip")) {
    GTEST_SKIP() << "the real Omniglot small subsets are not at " << root << "/omniglot";
  }
  TempDir dir;
  const auto d = load("omniglot-small", root, dir.file("c"));
  // 153/39/50 characters by alphabet, four rotations each.
  EXPECT_EQ(d->num_classes(Split::kTrain), 4 * 153);
  EXPECT_EQ(d->num_classes(Split::kValidation), 4 * 39);
  EXPECT_EQ(d->num_classes(Split::kTest), 4 * 50);
  EXPECT_NE(d->describe().find("19360 images of 1x28x28"), std::string::npos) << d->describe();
}

}  // namespace
}  // namespace metabench
