#include "tests/dataset_fixtures.h"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <stb_image_write.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/strings.h"
#include "metabench/rng.h"

namespace metabench::testing {
namespace {

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

void write_archive(const std::string& path, const ArchiveEntries& entries, bool zip) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  archive* a = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
  }
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot write " + path);
  }
  std::vector<std::string> folders;
  for (const auto& [name, bytes] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// A grey image with the bars of `code` (one bar per set bit), shifted by
// (dx, dy); ink 0 on 255 as in Omniglot's PNGs.
std::vector<uint8_t> bar_image(int size, uint32_t code, int dx, int dy, bool ink_dark) {
  std::vector<uint8_t> pixels(size * size, ink_dark ? 255 : 0);
  for (int bit = 0; bit < 12; ++bit) {
    if (!(code >> bit & 1)) continue;
    const bool vertical = bit < 6;
    const int at = (bit % 6) * size / 7 + size / 10;
    for (int t = size / 8; t < size - size / 8; ++t) {
      for (int w = 0; w < std::max(1, size / 30); ++w) {
        const int x = (vertical ? at + w : t) + dx, y = (vertical ? t : at + w) + dy;
        if (x >= 0 && y >= 0 && x < size && y < size) pixels[y * size + x] = ink_dark ? 0 : 255;
      }
    }
  }
  return pixels;
}

}  // namespace

std::string encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  std::string out;
  stbi_write_png_to_func(append, &out, width, height, channels, pixels.data(), width * channels);
  return out;
}

std::string encode_jpg(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  std::string out;
  stbi_write_jpg_to_func(append, &out, width, height, channels, pixels.data(), 95);
  return out;
}

void write_zip(const std::string& path, const ArchiveEntries& entries) {
  write_archive(path, entries, true);
}
void write_tar_gz(const std::string& path, const ArchiveEntries& entries) {
  write_archive(path, entries, false);
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile out = gzopen(path.c_str(), "wb");
  gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(out);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ArchiveEntries omniglot_entries(const std::string& top, const std::map<std::string, int>& alphabets,
                                int drawers) {
  ArchiveEntries entries;
  uint32_t code = 1;
  for (const auto& [alphabet, characters] : alphabets) {
    for (int c = 1; c <= characters; ++c) {
      code = code * 2654435761u + 12345u;
      for (int d = 1; d <= drawers; ++d) {
        const auto pixels = bar_image(105, (code >> 8) | 1, d % 3 - 1, d % 2, true);
        entries.emplace_back(format("%s%s/character%02d/%04d_%02d.png", top.c_str(),
                                    alphabet.c_str(), c, 100 + c, d),
                             encode_png(pixels, 105, 105, 1));
      }
    }
  }
  return entries;
}

void write_tree(const std::string& root, const ArchiveEntries& entries) {
  for (const auto& [path, bytes] : entries) write_bytes(root + "/" + path, bytes);
}

void write_mini_imagenet(const std::string& dir, const std::array<int, 3>& classes, int per_class,
                         int size) {
  const char* names[3] = {"train", "val", "test"};
  int wnid = 1000;
  for (int s = 0; s < 3; ++s) {
    std::string csv = "filename,label\n";
    for (int c = 0; c < classes[s]; ++c, ++wnid) {
      for (int i = 0; i < per_class; ++i) {
        const std::string label = format("n%08d", wnid);
        const std::string file = format("%s%08d.jpg", label.c_str(), i + 1);
        std::vector<uint8_t> rgb(size * size * 3);
        const auto grey = bar_image(size, static_cast<uint32_t>(wnid * 97), i % 3, 0, false);
        for (int p = 0; p < size * size; ++p) {
          rgb[3 * p] = grey[p];
          rgb[3 * p + 1] = static_cast<uint8_t>(wnid * 13);
          rgb[3 * p + 2] = static_cast<uint8_t>(255 - grey[p]);
        }
        write_bytes(dir + "/images/" + file, encode_jpg(rgb, size, size, 3));
        csv += file + "," + label + "\n";
      }
    }
    write_bytes(dir + "/" + names[s] + ".csv", csv);
  }
}

void write_cifar100(const std::string& dir, int train_per_class, int test_per_class) {
  // The real CIFAR-100 taxonomy: superclass -> its five classes.
  const std::vector<std::pair<std::string, std::vector<std::string>>> taxonomy = {
      {"aquatic_mammals", {"beaver", "dolphin", "otter", "seal", "whale"}},
      {"fish", {"aquarium_fish", "flatfish", "ray", "shark", "trout"}},
      {"flowers", {"orchid", "poppy", "rose", "sunflower", "tulip"}},
      {"food_containers", {"bottle", "bowl", "can", "cup", "plate"}},
      {"fruit_and_vegetables", {"apple", "mushroom", "orange", "pear", "sweet_pepper"}},
      {"household_electrical_devices", {"clock", "keyboard", "lamp", "telephone", "television"}},
      {"household_furniture", {"bed", "chair", "couch", "table", "wardrobe"}},
      {"insects", {"bee", "beetle", "butterfly", "caterpillar", "cockroach"}},
      {"large_carnivores", {"bear", "leopard", "lion", "tiger", "wolf"}},
      {"large_man-made_outdoor_things", {"bridge", "castle", "house", "road", "skyscraper"}},
      {"large_natural_outdoor_scenes", {"cloud", "forest", "mountain", "plain", "sea"}},
      {"large_omnivores_and_herbivores", {"camel", "cattle", "chimpanzee", "elephant", "kangaroo"}},
      {"medium_mammals", {"fox", "porcupine", "possum", "raccoon", "skunk"}},
      {"non-insect_invertebrates", {"crab", "lobster", "snail", "spider", "worm"}},
      {"people", {"baby", "boy", "girl", "man", "woman"}},
      {"reptiles", {"crocodile", "dinosaur", "lizard", "snake", "turtle"}},
      {"small_mammals", {"hamster", "mouse", "rabbit", "shrew", "squirrel"}},
      {"trees", {"maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"}},
      {"vehicles_1", {"bicycle", "bus", "motorcycle", "pickup_truck", "train"}},
      {"vehicles_2", {"lawn_mower", "rocket", "streetcar", "tank", "tractor"}}};
  std::vector<std::string> fine;
  std::map<std::string, int> coarse_of;
  std::string coarse_names;
  for (size_t s = 0; s < taxonomy.size(); ++s) {
    coarse_names += taxonomy[s].first + "\n";
    for (const auto& f : taxonomy[s].second) {
      fine.push_back(f);
      coarse_of[f] = static_cast<int>(s);
    }
  }
  std::sort(fine.begin(), fine.end());  // fine labels are numbered alphabetically
  std::string fine_names;
  for (const auto& f : fine) fine_names += f + "\n";
  write_bytes(dir + "/fine_label_names.txt", fine_names);
  write_bytes(dir + "/coarse_label_names.txt", coarse_names);
  Rng rng(42);
  for (const auto& [file, per_class] : std::vector<std::pair<std::string, int>>{
           {"train.bin", train_per_class}, {"test.bin", test_per_class}}) {
    std::string bytes;
    for (int i = 0; i < per_class; ++i) {
      for (size_t label = 0; label < fine.size(); ++label) {
        bytes += static_cast<char>(coarse_of[fine[label]]);
        bytes += static_cast<char>(label);
        for (int p = 0; p < 3072; ++p) {
          bytes += static_cast<char>((label * 31 + p * 7 + rng.uniform_int(16)) & 255);
        }
      }
    }
    write_bytes(dir + "/" + file, bytes);
  }
}

void write_fashion_mnist(const std::string& dir, const std::string& part, int per_class) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const uint32_t n = static_cast<uint32_t>(10 * per_class);
  std::string images = be32(0x803) + be32(n) + be32(28) + be32(28);
  std::string labels = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) {
    const auto pixels =
        bar_image(28, 0x9e3779b9u * (i % 10 + 1), 0, static_cast<int>(i / 10 % 2), false);
    images.append(pixels.begin(), pixels.end());
    labels += static_cast<char>(i % 10);
  }
  std::filesystem::create_directories(dir);
  write_gzip(dir + "/" + part + "-images-idx3-ubyte.gz", images);
  write_gzip(dir + "/" + part + "-labels-idx1-ubyte.gz", labels);
}

}  // namespace metabench::testing
