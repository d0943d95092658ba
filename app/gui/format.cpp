#include "gui/format.h"

#include <QObject>
#include <cmath>

namespace gui {

QString bytesText(uint64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        ++u;
    }
    return u == 0 ? QString("%1 B").arg(bytes) : QString("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : v < 100 ? 1 : 0).arg(units[u]);
}

QString durationText(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return QString();
    const qint64 s = qint64(std::llround(seconds));
    const qint64 h = s / 3600, m = (s / 60) % 60, r = s % 60;
    if (h > 0) return QString("%1:%2:%3").arg(h).arg(m, 2, 10, QChar('0')).arg(r, 2, 10, QChar('0'));
    return QString("%1:%2").arg(m).arg(r, 2, 10, QChar('0'));
}

QString etaText(double seconds) {
    if (!std::isfinite(seconds) || seconds <= 0) return QString();
    return QObject::tr("ETA %1").arg(durationText(seconds));
}

QString numberText(double v, int digits) {
    if (!std::isfinite(v)) return QString::fromUtf8("–");
    return QString::number(v, 'f', digits);
}

} // namespace gui
