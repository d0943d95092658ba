#pragma once
// nlohmann::json travels in queued signals between workers and the window.
#include <QMetaType>
#include <nlohmann/json.hpp>

Q_DECLARE_METATYPE(nlohmann::json)
