#pragma once
// A device the workbench can run on: a Vulkan device or the CPU reference.
#include <QString>
#include <cstdint>
#include <vector>

struct DeviceChoice {
    QString id;             // as RunOptions takes it: "vulkan:0", "cpu"
    QString name;           // for people: "llvmpipe (LLVM 15.0.6, 256 bits) — cpu, Vulkan"
    uint64_t memoryBytes = 0; // largest device-local heap; the CPU: physical RAM
    bool cpu = false;
};

// The Vulkan devices present, then the CPU. Slow-ish (creates a Vulkan
// instance): call it off the GUI thread.
std::vector<DeviceChoice> listDeviceChoices();
