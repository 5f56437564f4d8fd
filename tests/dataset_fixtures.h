// Small datasets written by the tests in the real on-disk formats: Omniglot
// PNG trees (as folders or zip archives), miniImageNet JPEGs with the
// Ravi-Larochelle CSVs, the CIFAR-100 binary distribution, Fashion-MNIST IDX
// files (gzip), plus the encoders and archivers they need.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace metabench::testing {

using ArchiveEntries = std::vector<std::pair<std::string, std::string>>;  // (path, bytes)

std::string encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels);
std::string encode_jpg(const std::vector<uint8_t>& pixels, int width, int height, int channels);
void write_zip(const std::string& path, const ArchiveEntries& entries);
void write_tar_gz(const std::string& path, const ArchiveEntries& entries);
void write_gzip(const std::string& path, const std::string& bytes);
void write_bytes(const std::string& path, const std::string& bytes);
std::string read_bytes(const std::string& path);

// Omniglot-style entries "<top>/Alphabet/characterNN/NNNN_DD.png" (105x105,
// black strokes on white): `alphabets` maps alphabet name to character count.
// Each character is a distinct bar pattern; drawers jitter it.
ArchiveEntries omniglot_entries(const std::string& top, const std::map<std::string, int>& alphabets,
                                int drawers);
// Writes the entries as files under `root` (creating folders).
void write_tree(const std::string& root, const ArchiveEntries& entries);

// <dir>/images/*.jpg (size x size RGB) and train/val/test.csv with
// `classes[s]` classes of `per_class` images in split s.
void write_mini_imagenet(const std::string& dir, const std::array<int, 3>& classes, int per_class,
                         int size);

// <dir>/train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt with
// the real CIFAR-100 class taxonomy and `train_per_class` / `test_per_class`
// 32x32 images per class.
void write_cifar100(const std::string& dir, int train_per_class, int test_per_class);

// <dir>/<part>-images-idx3-ubyte.gz and -labels-idx1-ubyte.gz, `per_class`
// 28x28 images for each of the 10 classes.
void write_fashion_mnist(const std::string& dir, const std::string& part, int per_class);

}  // namespace metabench::testing
