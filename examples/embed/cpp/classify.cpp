// Classifies handwritten digits with the lecture's MNIST CNN compiled ahead of
// time, using parameters trained by `nnc train` (a checkpoint):
//
//   nnc train examples/mnist_cnn.nn --data image=train-images-idx3-ubyte
//       --data label=train-labels-idx1-ubyte --scale image=1/255 -o cnn.ckpt
//   nnc compile examples/mnist_cnn.nn --inference-only -o mnist_cnn.o
//   c++ -std=c++17 -I. classify.cpp mnist_cnn.o libnnrt.a -lpthread -o classify
//   ./classify cnn.ckpt digit.pgm t10k-images-idx3-ubyte
//
// Each image is a binary PGM (P5, 28x28, maxval up to 255) or every image of
// an IDX file (MNIST's format: unsigned bytes, N x 28 x 28). Prints one line
// per image: its name, the most likely class and the ten probabilities.
#include "mnist_cnn.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kSide = 28, kPixels = kSide * kSide, kClasses = 10;

struct Image {
  std::string name;
  std::vector<float> pixels; // 0..1, as training scaled them (1/255)
};

bool fail(const std::string &message) {
  std::fprintf(stderr, "classify: error: %s\n", message.c_str());
  return false;
}

uint32_t bigEndian(const unsigned char *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// IDX: magic 0x00000803 (unsigned bytes, 3 dimensions), then N, 28, 28.
bool readIdx(const std::string &path, const std::string &bytes, std::vector<Image> &out) {
  auto *b = reinterpret_cast<const unsigned char *>(bytes.data());
  if (bytes.size() < 16 || bigEndian(b) != 0x803)
    return fail(path + ": not an IDX file of unsigned-byte images (magic 0x00000803)");
  uint32_t n = bigEndian(b + 4);
  if (bigEndian(b + 8) != kSide || bigEndian(b + 12) != kSide)
    return fail(path + ": images are not 28x28");
  if ((bytes.size() - 16) / kPixels < n)
    return fail(path + ": truncated (header says " + std::to_string(n) + " images)");
  for (uint32_t i = 0; i < n; ++i) {
    Image img{path + "[" + std::to_string(i) + "]", std::vector<float>(kPixels)};
    for (int p = 0; p < kPixels; ++p)
      img.pixels[p] = b[16 + size_t(i) * kPixels + p] / 255.0f;
    out.push_back(std::move(img));
  }
  return true;
}

// Binary PGM: "P5" width height maxval, whitespace and # comments between,
// one whitespace character, then width*height bytes.
bool readPgm(const std::string &path, const std::string &bytes, std::vector<Image> &out) {
  size_t pos = 2;
  long fields[3];
  for (long &field : fields) {
    while (pos < bytes.size() && (isspace(uint8_t(bytes[pos])) || bytes[pos] == '#')) {
      if (bytes[pos] == '#')
        while (pos < bytes.size() && bytes[pos] != '\n')
          ++pos;
      else
        ++pos;
    }
    size_t start = pos;
    field = 0;
    while (pos < bytes.size() && isdigit(uint8_t(bytes[pos])) && field < 100000)
      field = field * 10 + (bytes[pos++] - '0');
    if (pos == start)
      return fail(path + ": malformed PGM header");
  }
  if (fields[0] != kSide || fields[1] != kSide)
    return fail(path + ": image is " + std::to_string(fields[0]) + "x" +
                std::to_string(fields[1]) + ", expected 28x28");
  if (fields[2] < 1 || fields[2] > 255)
    return fail(path + ": maxval must be 1..255 (8-bit PGM)");
  ++pos; // the single whitespace after maxval
  if (bytes.size() < pos + kPixels)
    return fail(path + ": truncated pixel data");
  Image img{path, std::vector<float>(kPixels)};
  for (int p = 0; p < kPixels; ++p)
    img.pixels[p] = uint8_t(bytes[pos + p]) / float(fields[2]);
  out.push_back(std::move(img));
  return true;
}

bool readImages(const std::string &path, std::vector<Image> &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.compare(0, 2, "P5") == 0)
    return readPgm(path, bytes, out);
  return readIdx(path, bytes, out);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CHECKPOINT IMAGE.pgm|IMAGES.idx...\n", argv[0]);
    return 2;
  }
  // open = create + load without the random initialisation it would replace.
  std::unique_ptr<mnist_cnn, void (*)(mnist_cnn *)> model(mnist_cnn_open(argv[1]),
                                                          mnist_cnn_destroy);
  if (!model) {
    std::fprintf(stderr, "classify: error: %s\n", nnrt_last_error());
    return 1;
  }
  std::vector<Image> images;
  for (int i = 2; i < argc; ++i)
    if (!readImages(argv[i], images))
      return 1;

  // Batches of up to 64 images: one call amortises the kernels' set-up.
  const size_t batch = 64;
  std::vector<float> pixels, probs;
  for (size_t first = 0; first < images.size(); first += batch) {
    size_t n = std::min(batch, images.size() - first);
    pixels.clear();
    for (size_t i = 0; i < n; ++i)
      pixels.insert(pixels.end(), images[first + i].pixels.begin(),
                    images[first + i].pixels.end());
    probs.assign(n * kClasses, 0.0f);
    if (mnist_cnn_predict(model.get(), int64_t(n), pixels.data(), probs.data()) != 0) {
      std::fprintf(stderr, "classify: error: %s\n", mnist_cnn_error(model.get()));
      return 1;
    }
    for (size_t i = 0; i < n; ++i) {
      const float *p = &probs[i * kClasses];
      int best = 0;
      for (int c = 1; c < kClasses; ++c)
        if (p[c] > p[best])
          best = c;
      std::printf("%s: class %d probabilities", images[first + i].name.c_str(), best);
      for (int c = 0; c < kClasses; ++c)
        std::printf(" %.6f", p[c]);
      std::printf("\n");
    }
  }
  return 0;
}
