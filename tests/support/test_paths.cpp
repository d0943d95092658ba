#include "support/test_paths.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace qbtest {

namespace fs = std::filesystem;

std::string sharedPath(const std::string& relative) {
    const char* env = std::getenv("QUANTBENCH_SHARED");
    const fs::path root = env && *env ? fs::path(env) : fs::path(QB_SOURCE_DIR) / ".." / "shared";
    const fs::path p = root / relative;
    if (!fs::exists(p)) throw std::runtime_error("shared data missing: " + p.string() + " (set QUANTBENCH_SHARED)");
    return p.lexically_normal().string();
}

std::string scratchDir(const std::string& name) {
    // CTest runs the same test binary under several entries at once (one per
    // forced kernel variant); each gets its own folder
    const char* variant = std::getenv("QUANTBENCH_VK_KERNELS");
    const std::string suffix = variant && *variant ? std::string(".") + variant : std::string();
    const char* base = std::getenv("QUANTBENCH_TEST_SCRATCH"); // a test binary run away from its build folder (the GPU bundle)
    const fs::path p = (base && *base ? fs::path(base) : fs::path(QB_BINARY_DIR) / "test-scratch") / (name + suffix);
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

double timeScale() {
    const char* v = std::getenv("QUANTBENCH_TIME_SCALE");
    const double s = v ? std::atof(v) : 1.0;
    return s >= 1.0 ? s : 1.0;
}

} // namespace qbtest
