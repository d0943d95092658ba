#include "gui/device_choice.h"

#include "common/host_memory.h"
#include "vk/context.h"

#include <QObject>
#include <unistd.h>

std::vector<DeviceChoice> listDeviceChoices() {
    std::vector<DeviceChoice> out;
    try {
        for (const auto& d : qb::vk::Context::listDevices()) {
            DeviceChoice c;
            c.id = QString("vulkan:%1").arg(d.index);
            c.name = QObject::tr("%1 — %2, Vulkan").arg(QString::fromStdString(d.name), QString::fromStdString(d.type));
            c.memoryBytes = d.memoryBytes;
            out.push_back(c);
        }
    } catch (const std::exception&) {
        // no Vulkan loader or driver: the CPU reference remains
    }
    DeviceChoice cpu;
    cpu.id = "cpu";
    cpu.cpu = true;
    cpu.memoryBytes = qb::physicalMemoryBytes();
    cpu.name = QObject::tr("CPU reference (%1 threads)").arg(sysconf(_SC_NPROCESSORS_ONLN));
    out.push_back(cpu);
    return out;
}
